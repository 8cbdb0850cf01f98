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
    /// Only these frames (1-based, as `render --frames`); nil: every frame.
    /// Each run of them is analysed afresh, from `warmUpSeconds` before its
    /// first frame, so the pieces of a farm job merge (`TrackMerge`) into
    /// the track an unchunked analysis writes, where tracking allows.
    public var frames: FrameSpec?
    /// Seconds analysed before each run of `frames` and not written: the
    /// landmark and score filters settle (their state shrinks by about half
    /// a frame at 24-30 fps, so 2 s leaves a billionth) and the tracker is
    /// following the face by the first written frame.
    public var warmUpSeconds = 2.0

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

    /// What an analysis writes, as `analyze` and `track merge` both write
    /// it: the track, its landmark sidecar and its plot.
    struct TrackFiles {
        let track: String
        var landmarks: String { EmotionTrackFile.landmarksPath(forTrack: track) }
        var plot: String { AnalyzeJob.plotPath(forTrack: track) }
        var all: [String] { [track, landmarks, plot] }

        /// Checks that each can be written, before the work.
        func prepare() throws {
            for (path, what) in zip(all, ["emotion track", "landmark sidecar", "track plot"]) {
                try AtomicFile.prepareOutput(path, what: what)
            }
        }

        /// The rows, the sidecar's text and the plot of the rows, each written whole.
        func write(_ rows: [EmotionTrackRow], landmarks text: String) throws {
            try EmotionTrackFile.write(rows, to: track)
            try AtomicFile.write(text, to: landmarks)
            try PNGCodec.write(TrackPlot.render(rows.map(\.face)), to: plot)
        }
    }

    /// Runs the analysis, reporting each frame to `progress`.
    public func run(progress: any ProgressReporter = SilentProgress()) throws -> Summary {
        // Read and check first, so a bad session or output fails before the long analysis.
        let heart = try heartFusion()
        let files = TrackFiles(track: trackPath)
        try files.prepare()
        let source = try FrameSources.open(inputPath)
        let still = source.info.kind == .still
        let pieces = try plan(source.info)
        if frames != nil { try source.requireFrames(pieces.map(\.written)) }
        if let overlayDirectory {
            try FileManager.default.createDirectory(atPath: overlayDirectory, withIntermediateDirectories: true)
        }
        let fps = source.info.framesPerSecond
        var analysed = Analysed()
        let started = DispatchTime.now()
        let progressTotal = pieces.map { $0.analysed.map(\.count) ?? (source.info.frameCount ?? 0) }.reduce(0, +)
        var pointCount = 68
        for (n, piece) in pieces.enumerated() {
            // Each piece starts afresh: tracker, filters and learnt baseline, as on a farm node. Loading writes
            // nothing (the overlays so far are complete files), so a stop during it ends the run at once.
            let (analyzer, predictor) = try StopRequest.withNothingToClose { try makeAnalyzer(stillImage: still) }
            pointCount = predictor.pointCount
            let frames = FramePrefetcher(source: n == 0 ? source : try FrameSources.open(inputPath),
                                         frameNumbers: piece.analysed.map { Array($0) })
            defer { frames.cancel() }
            try analyse(frames, with: analyzer, writing: piece.written, fps: fps, into: &analysed,
                        progress: progress, progressTotal: progressTotal)
            analysed.add(analyzer, decodeSeconds: frames.decodeSeconds)
        }
        progress.finish()
        let wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let faceRows = analysed.readings.map { EmotionTrackRow(face: $0) }
        let (rows, micro) = try EmotionTrackFile.markingMicroExpressions(heart?.complete(faceRows) ?? faceRows, framesPerSecond: fps)
        try files.write(rows, landmarks: EmotionTrackFile.encodeLandmarks(analysed.landmarkRows, pointCount: pointCount))
        return Summary(frameCount: rows.count, faceFrameCount: rows.filter(\.faceFound).count,
                       detectionCount: analysed.detectionCount, faceIDs: analysed.ids.sorted(),
                       wallSeconds: wallSeconds, decodeSeconds: analysed.decodeSeconds, analysisSeconds: analysed.analysisSeconds,
                       detectSeconds: analysed.detectSeconds, landmarkSeconds: analysed.landmarkSeconds,
                       modelSeconds: analysed.modelSeconds, scoreSeconds: analysed.scoreSeconds, microExpressions: micro,
                       overlaySeconds: analysed.overlaySeconds,
                       plotPath: files.plot, landmarksPath: files.landmarks, heart: heart)
    }

    /// What to analyse: the whole clip in one piece, or each run of `frames`
    /// (1-based) with its warm-up (`analysed`) before the frames written.
    struct Piece {
        var written: ClosedRange<Int>
        /// nil: every frame of the clip, in order.
        var analysed: ClosedRange<Int>?
    }

    func plan(_ info: ClipInfo) throws -> [Piece] {
        guard let frames else { return [Piece(written: 1...max(1, info.frameCount ?? 1), analysed: nil)] }
        guard warmUpSeconds.isFinite, warmUpSeconds >= 0 else {
            throw EmpathyError.invalidArgument("the warm-up must be 0 s or more, got \(warmUpSeconds)")
        }
        let warmUp = Int((warmUpSeconds * info.framesPerSecond).rounded(.up))
        return try info.frames(in: frames, for: "analysing part of a clip").map {
            Piece(written: $0, analysed: max(1, $0.lowerBound - warmUp)...$0.upperBound)
        }
    }

    /// The readings so far, and the time each stage took, over every piece.
    struct Analysed {
        var readings: [FaceReading] = []
        var landmarkRows: [(frameIndex: Int, faceID: Int?, points: [SIMD2<Double>]?)] = []
        var ids = Set<Int>()
        var framesDone = 0
        var analysisSeconds = 0.0, overlaySeconds = 0.0, decodeSeconds = 0.0
        var detectionCount = 0
        var detectSeconds = 0.0, landmarkSeconds = 0.0, modelSeconds = 0.0, scoreSeconds = 0.0

        mutating func add(_ analyzer: FaceAnalyzer, decodeSeconds decoded: Double) {
            detectionCount += analyzer.tracker.detectionCount
            detectSeconds += analyzer.tracker.detectSeconds
            landmarkSeconds += analyzer.tracker.landmarkSeconds
            modelSeconds += analyzer.modelSeconds
            scoreSeconds += analyzer.scoreSeconds
            decodeSeconds += decoded
        }
    }

    /// One piece's frames through `analyzer`; those in `written` kept (with
    /// their overlays), the warm-up before them only analysed.
    private func analyse(_ frames: FramePrefetcher, with analyzer: FaceAnalyzer, writing written: ClosedRange<Int>, fps: Double,
                         into analysed: inout Analysed, progress: any ProgressReporter, progressTotal: Int) throws {
        let clipName = URL(fileURLWithPath: inputPath).lastPathComponent
        let startedAt = Date()
        var clock = DispatchTime.now()
        func lap() -> Double {
            let now = DispatchTime.now()
            defer { clock = now }
            return Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e9
        }
        while let (number, frame) = try frames.nextNumbered() {
            try StopRequest.throwIfRequested()
            let index = number - 1
            _ = lap()
            let result = try analyzer.analyze(frame: frame, frameIndex: index, timeSeconds: Double(index) / fps,
                                              intervalSeconds: 1 / fps)
            analysed.analysisSeconds += lap()
            analysed.framesDone += 1
            progress.update(.measured(clipName: clipName, framesDone: analysed.framesDone, framesTotal: progressTotal,
                                      processed: analysed.framesDone, since: startedAt))
            guard self.frames == nil || written.contains(number) else { continue }
            analysed.readings.append(result.reading)
            analysed.landmarkRows.append((index, result.reading.faceID, result.landmarks))
            for face in result.faces { analysed.ids.insert(face.id) }
            if let overlayDirectory {
                var overlay = frame
                Overlay.draw(result, into: &overlay)
                try PNGCodec.write(overlay, to: String(format: "%@/overlay.%04d.png", overlayDirectory, number))
                analysed.overlaySeconds += lap()
            }
        }
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
