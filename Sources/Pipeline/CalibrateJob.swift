import Biometrics
import EmpathyCore
import FaceAnalysis
import Footage
import Foundation

/// `empathy calibrate`: measures the neutral face of the performer in a clip
/// (every frame where the face is followed; the per-feature median of the
/// landmark features, and the mean of the appearance model's output) and
/// writes the profile.
public struct CalibrateJob: Sendable {
    public var clipPath: String
    public var name: String
    public var outputPath: String
    public var modelPath = LandmarkPredictor.defaultModelPath
    /// The appearance model whose output on the neutral face is recorded.
    public var expressionModel = ExpressionModelChoice.shipped
    public var tracker = TrackerOptions()
    /// The OpenCV cascade for `tracker.detector == .cascade` (nil: the default one).
    public var cascadePath: String?
    /// Fewer face frames than this is an error.
    public var minimumFaceFrames = 5
    /// A calm sensor recording (`empathy sensor record`) whose resting heart
    /// rate and RMSSD are stored in the profile.
    public var restingSessionPath: String?

    public init(clipPath: String, name: String, outputPath: String) {
        self.clipPath = clipPath
        self.name = name
        self.outputPath = outputPath
    }

    /// Measures the neutral face, reporting each frame to `progress`, and writes the profile.
    public func run(progress: any ProgressReporter = SilentProgress()) throws -> NeutralProfile {
        // Read and check first, so a bad session or output fails before the clip is read.
        let resting = try restingBaseline()
        try AtomicFile.prepareOutput(outputPath, what: "calibration profile")
        let source = try FrameSources.open(clipPath)
        let predictor = try LandmarkPredictor(modelPath: modelPath)
        try predictor.requireIBUG68Layout()
        var options = self.tracker
        options.stillImage = source.info.kind == .still
        let tracker = FaceTracker(detector: try FaceDetector(kind: options.detector, cascadePath: cascadePath), predictor: predictor, options: options)
        let model = try expressionModel.load()
        var samples: [[Double]] = []
        var appearance: [Double]?
        var frame = RGBAImage(width: source.info.width, height: source.info.height)
        var performer: Int?
        var frames = 0
        let started = Date(), clipName = URL(fileURLWithPath: clipPath).lastPathComponent
        while try source.read(into: &frame) {
            try StopRequest.throwIfRequested()
            frames += 1
            let faces = try tracker.update(frame: frame, intervalSeconds: 1 / source.info.framesPerSecond)
            if !faces.contains(where: { $0.id == performer }) {
                performer = faces.max { $0.box.width * $0.box.height < $1.box.width * $1.box.height }?.id
            }
            if let face = faces.first(where: { $0.id == performer }) {
                samples.append(ExpressionFeatures(landmarks: face.landmarks, meanShape: predictor.meanShape).values)
                if let model {
                    let p = try model.probabilities(in: frame, landmarks: face.landmarks, meanShape: predictor.meanShape)
                    appearance = zip(appearance ?? Array(repeating: 0, count: p.count), p).map { $0 + $1 }
                }
            }
            progress.update(.measured(clipName: clipName, framesDone: frames, framesTotal: source.info.frameCount ?? 0,
                                      processed: frames, since: started))
        }
        progress.finish()
        guard samples.count >= minimumFaceFrames else {
            throw EmpathyError.badFile(path: clipPath, line: nil, message:
                "a face was found in \(samples.count) of \(frames) frame(s), at least \(minimumFaceFrames) are needed; record the performer facing the camera with a relaxed face")
        }
        let features = ExpressionFeatures.neutral(from: samples)
        let profile = NeutralProfile(name: name, features: features, frameCount: samples.count,
                                     source: clipName,
                                     restingHeartRateBPM: resting?.restingHeartRateBPM, restingRMSSDMs: resting?.restingRMSSDMs,
                                     appearanceNeutral: appearance?.map { $0 / Double(samples.count) },
                                     appearanceModel: model.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        try profile.write(path: outputPath)
        return profile
    }

    /// The resting heart measured from `restingSessionPath`, nil without one.
    func restingBaseline() throws -> HeartBaseline? {
        guard let restingSessionPath else { return nil }
        let session = try SensorSession.load(path: restingSessionPath)
        guard let baseline = HeartBaseline.measure(session.beats) else {
            throw EmpathyError.badFile(path: restingSessionPath, line: nil, message:
                "has \(session.beats.count) beat(s); a resting baseline needs at least 10 clean intervals — record a calm minute")
        }
        return baseline
    }
}
