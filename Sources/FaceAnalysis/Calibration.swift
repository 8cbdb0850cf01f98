import EmpathyCore
import Footage
import Foundation

/// Where calibration profiles live: `calibration/NAME.json` in the
/// Empathy Engine folder (found by `ResourceLocator`), or the current
/// folder's `calibration/` when run outside a checkout.
public enum CalibrationLibrary {
    public static func directory() -> String {
        if let root = try? ResourceLocator.root() { return root.appendingPathComponent("calibration").path }
        return "calibration"
    }

    /// A name (`alice`, → calibration/alice.json) or a path to a .json file.
    public static func path(forName name: String) -> String {
        if name.contains("/") || name.hasSuffix(".json") { return name }
        return directory() + "/" + name + ".json"
    }

    /// Names that are safe as file names: letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

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
    /// Fewer face frames than this is an error.
    public var minimumFaceFrames = 5
    /// Resting heart values measured from a calm sensor recording, stored in the profile.
    public var restingHeartRateBPM: Double?
    public var restingRMSSDMs: Double?

    public init(clipPath: String, name: String, outputPath: String) {
        self.clipPath = clipPath
        self.name = name
        self.outputPath = outputPath
    }

    public func run() throws -> NeutralProfile {
        let source = try FrameSources.open(clipPath)
        let predictor = try LandmarkPredictor(modelPath: modelPath)
        try predictor.requireIBUG68Layout()
        var options = self.tracker
        options.stillImage = source.info.kind == .still
        let tracker = FaceTracker(detector: try FaceDetector(kind: options.detector), predictor: predictor, options: options)
        let model = try expressionModel.load()
        var samples: [[Double]] = []
        var appearance: [Double]?
        var frame = RGBAImage(width: source.info.width, height: source.info.height)
        var performer: Int?
        var frames = 0
        while try source.read(into: &frame) {
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
        }
        guard samples.count >= minimumFaceFrames else {
            throw EmpathyError.badFile(path: clipPath, line: nil, message:
                "a face was found in \(samples.count) of \(frames) frame(s), at least \(minimumFaceFrames) are needed; record the performer facing the camera with a relaxed face")
        }
        let features = ExpressionFeatures(values: (0..<ExpressionFeatures.names.count).map { k in median(samples.map { $0[k] }) })
        let profile = NeutralProfile(name: name, features: features, frameCount: samples.count,
                                     source: URL(fileURLWithPath: clipPath).lastPathComponent,
                                     restingHeartRateBPM: restingHeartRateBPM, restingRMSSDMs: restingRMSSDMs,
                                     appearanceNeutral: appearance?.map { $0 / Double(samples.count) },
                                     appearanceModel: model.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        let folder = URL(fileURLWithPath: outputPath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try profile.write(path: outputPath)
        return profile
    }
}
