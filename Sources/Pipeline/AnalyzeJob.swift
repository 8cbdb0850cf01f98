import Biometrics
import EmpathyCore
import FaceAnalysis
import Footage
import Foundation
import Fusion
import ImageSequence

/// `empathy analyze`: a clip (video, image sequence or still) in, an emotion
/// track, its landmark sidecar and a plot out, and optionally overlay frames.
/// The face is read frame by frame (`FaceAnalyzer`); with a sensor session
/// the readings are fused with the heart (`HeartFusion`) into the track.
public struct AnalyzeJob: Sendable {
    public var inputPath: String
    /// The track CSV; the sidecar and plot go beside it
    /// (`X.csv` → `X.landmarks.csv`, `X.plot.png`).
    public var trackPath: String
    public var overlayDirectory: String?
    public var modelPath: String = LandmarkPredictor.defaultModelPath
    public var cascadePath: String?
    public var expressionModel = ExpressionModelChoice.shipped
    public var profile: NeutralProfile?
    public var profilePath: String?
    public var options = AnalysisOptions()
    /// A recorded sensor session (`empathy sensor record`) whose heart goes
    /// into the track: heart rate, RMSSD, beat phase and fused arousal.
    public var sensorSessionPath: String?
    /// Session time at the clip's first frame; nil takes the offset stored in the session.
    public var sensorOffsetSeconds: Double?

    public init(inputPath: String, trackPath: String) {
        self.inputPath = inputPath
        self.trackPath = trackPath
    }

    public struct Summary: Sendable {
        public var frameCount: Int
        public var faceFrameCount: Int
        public var detectionCount: Int
        public var faceIDs: [Int]
        /// Wall time of the frame loop (decoding runs on its own thread, overlapped).
        public var wallSeconds: Double
        /// Time the decoder thread spent decoding frames.
        public var decodeSeconds: Double
        /// Wall time in detection, tracking, landmarks, the model and scores.
        public var analysisSeconds: Double
        /// The stages inside `analysisSeconds`.
        public var detectSeconds: Double
        public var landmarkSeconds: Double
        public var modelSeconds: Double
        public var scoreSeconds: Double
        /// Brief expressions found (`MicroExpression`).
        public var microExpressions: [MicroExpression]
        /// Wall time drawing and writing overlays.
        public var overlaySeconds: Double
        public var plotPath: String
        public var landmarksPath: String
        /// The session and baseline the heart columns came from, when a session was given.
        public var heart: HeartFusion?
    }

    public static func plotPath(forTrack path: String) -> String {
        (path.hasSuffix(".csv") ? String(path.dropLast(4)) : path) + ".plot.png"
    }

    /// Runs the analysis, reporting each frame to `progress`.
    public func run(progress: any ProgressReporter = SilentProgress()) throws -> Summary {
        // Read and check first, so a bad session or output fails before the long analysis.
        let heart = try heartFusion()
        for (path, what) in [(trackPath, "emotion track"), (EmotionTrackFile.landmarksPath(forTrack: trackPath), "landmark sidecar"),
                             (Self.plotPath(forTrack: trackPath), "track plot")] {
            try AtomicFile.prepareOutput(path, what: what)
        }
        let source = try FrameSources.open(inputPath)
        let (analyzer, predictor) = try makeAnalyzer(stillImage: source.info.kind == .still)
        if let overlayDirectory {
            try FileManager.default.createDirectory(atPath: overlayDirectory, withIntermediateDirectories: true)
        }
        let fps = source.info.framesPerSecond
        let interval = 1 / fps
        var readings: [FaceReading] = []
        var landmarkRows: [(frameIndex: Int, faceID: Int?, points: [SIMD2<Double>]?)] = []
        var ids = Set<Int>()
        var analysisSeconds = 0.0, overlaySeconds = 0.0
        var clock = DispatchTime.now()
        func lap() -> Double {
            let now = DispatchTime.now()
            defer { clock = now }
            return Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e9
        }
        let frames = FramePrefetcher(source: source)
        defer { frames.cancel() }
        let started = DispatchTime.now(), startedAt = Date()
        let clipName = URL(fileURLWithPath: inputPath).lastPathComponent
        var index = 0
        while let frame = try frames.next() {
            try StopRequest.throwIfRequested()
            _ = lap()
            let result = try analyzer.analyze(frame: frame, frameIndex: index, timeSeconds: Double(index) / fps,
                                              intervalSeconds: interval)
            analysisSeconds += lap()
            readings.append(result.reading)
            landmarkRows.append((index, result.reading.faceID, result.landmarks))
            for face in result.faces { ids.insert(face.id) }
            if let overlayDirectory {
                var overlay = frame
                Overlay.draw(result, into: &overlay)
                let name = String(format: "%@/overlay.%04d.png", overlayDirectory, index + 1)
                try PNGCodec.write(overlay, to: name)
                overlaySeconds += lap()
            }
            index += 1
            progress.update(.measured(clipName: clipName, framesDone: index, framesTotal: source.info.frameCount ?? 0,
                                      processed: index, since: startedAt))
        }
        progress.finish()
        let wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let micro = MicroExpression.find(in: readings, framesPerSecond: fps)
        MicroExpression.mark(micro, in: &readings)
        let faceRows = readings.map { EmotionTrackRow(face: $0) }
        let rows = heart?.complete(faceRows) ?? faceRows
        try EmotionTrackFile.write(rows, to: trackPath)
        let landmarksPath = EmotionTrackFile.landmarksPath(forTrack: trackPath)
        try AtomicFile.write(EmotionTrackFile.encodeLandmarks(landmarkRows, pointCount: predictor.pointCount), to: landmarksPath)
        let plot = Self.plotPath(forTrack: trackPath)
        try PNGCodec.write(TrackPlot.render(readings), to: plot)
        return Summary(frameCount: readings.count, faceFrameCount: readings.filter(\.faceFound).count,
                       detectionCount: analyzer.tracker.detectionCount, faceIDs: ids.sorted(),
                       wallSeconds: wallSeconds, decodeSeconds: frames.decodeSeconds, analysisSeconds: analysisSeconds,
                       detectSeconds: analyzer.tracker.detectSeconds, landmarkSeconds: analyzer.tracker.landmarkSeconds,
                       modelSeconds: analyzer.modelSeconds, scoreSeconds: analyzer.scoreSeconds, microExpressions: micro,
                       overlaySeconds: overlaySeconds,
                       plotPath: plot, landmarksPath: landmarksPath, heart: heart)
    }

    /// The analyser this job's models, detector, calibration and options make.
    public func makeAnalyzer(stillImage: Bool) throws -> (FaceAnalyzer, LandmarkPredictor) {
        let predictor = try LandmarkPredictor(modelPath: modelPath)
        try predictor.requireIBUG68Layout()
        let detector = try FaceDetector(kind: options.tracker.detector, cascadePath: cascadePath)
        var options = self.options
        options.tracker.stillImage = stillImage
        let analyzer = try FaceAnalyzer(detector: detector, predictor: predictor, profile: profile, profilePath: profilePath,
                                        expressionModel: try expressionModel.load(), options: options)
        return (analyzer, predictor)
    }

    /// The session's heart against the profile's resting values (population defaults without them).
    func heartFusion() throws -> HeartFusion? {
        guard let sensorSessionPath else { return nil }
        let session = try SensorSession.load(path: sensorSessionPath, offsetSeconds: sensorOffsetSeconds)
        return HeartFusion(session: session, baseline: HeartFusion.baseline(from: profile))
    }
}
