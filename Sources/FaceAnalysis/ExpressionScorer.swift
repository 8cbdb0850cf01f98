import EmpathyCore
import Foundation

/// A performer's neutral face: the `ExpressionFeatures` of a relaxed,
/// front-facing face (and, once the sensor exists, the resting heart rate).
/// Stored as `calibration/NAME.json`.
public struct NeutralProfile: Sendable, Equatable, Codable {
    public var name: String
    /// Feature name (see `ExpressionFeatures.names`) → value in IOD units.
    public var features: [String: Double]
    /// Face frames the profile was measured on (0 for population defaults).
    public var frameCount: Int
    /// The clip it was measured on, or a description of its source.
    public var source: String
    /// Resting heart rate and RMSSD from a calm sensor recording
    /// (`empathy calibrate --sensor`); absent when none was given.
    public var restingHeartRateBPM: Double?
    public var restingRMSSDMs: Double?

    public init(name: String, features: ExpressionFeatures, frameCount: Int, source: String,
                restingHeartRateBPM: Double? = nil, restingRMSSDMs: Double? = nil) {
        self.name = name
        self.features = Dictionary(uniqueKeysWithValues: zip(ExpressionFeatures.names, features.values))
        self.frameCount = frameCount
        self.source = source
        self.restingHeartRateBPM = restingHeartRateBPM
        self.restingRMSSDMs = restingRMSSDMs
    }

    /// Population defaults: the features of the landmark model's mean shape
    /// (the average face of its training set).
    public static func population(meanShape: [SIMD2<Double>], modelPath: String) -> NeutralProfile {
        NeutralProfile(name: "default", features: ExpressionFeatures(landmarks: meanShape, meanShape: meanShape),
                       frameCount: 0, source: "mean shape of \(modelPath)")
    }

    /// The features, or an error naming the missing one.
    public func expressionFeatures(path: String) throws -> ExpressionFeatures {
        var values: [Double] = []
        for name in ExpressionFeatures.names {
            guard let v = features[name], v.isFinite else {
                throw EmpathyError.badFile(path: path, line: nil, message: "has no finite value for feature '\(name)'; record it again with 'empathy calibrate'")
            }
            values.append(v)
        }
        return ExpressionFeatures(values: values)
    }

    /// Reads a profile JSON file.
    public static func read(path: String) throws -> NeutralProfile {
        guard access(path, R_OK) == 0 else {
            throw EmpathyError.io(path: path, operation: "read calibration profile", errno: errno)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmpathyError.badFile(path: path, line: nil, message: "cannot be read as a file; name a .json calibration profile")
        }
        do {
            return try JSONDecoder().decode(NeutralProfile.self, from: data)
        } catch {
            throw EmpathyError.badFile(path: path, line: nil, message: "is not a calibration profile (\(Self.describe(error))); record it with 'empathy calibrate CLIP --name NAME'")
        }
    }

    /// Writes the profile as pretty JSON, atomically.
    public func write(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        try AtomicFile.write([UInt8](data) + [10], to: path)
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: return "not valid JSON"
        default: return "\(error)"
        }
    }
}

/// Turns landmarks into smoothed AU intensities and an emotion estimate,
/// against a neutral baseline.
///
/// Baseline: the calibration profile when given. Otherwise a running
/// baseline: the per-feature median of the first `warmupSeconds` of face
/// frames (so a clip should open on a relaxed face), then an exponential
/// average (time constant `baselineTimeConstantSeconds`) over the frames
/// whose top category is neutral, so it follows slow drift (pose, lighting)
/// without absorbing expressions.
///
/// Smoothing: each AU intensity passes its own One Euro filter
/// (`scoreSmoothing`), separate from the landmark filter.
///
/// No face: the intensities relax toward 0 (neutral) as
/// `AU ← AU · exp(−Δt / relaxSeconds)`; categories, valence and arousal
/// follow from them. The score filters restart when the face returns.
public final class ExpressionScorer {
    public struct Options: Sendable, Equatable {
        public var warmupSeconds = 0.5
        public var baselineTimeConstantSeconds = 30.0
        /// minCutoff 3 Hz, beta 5 per (intensity/s), dCutoff 1 Hz: brisk onsets, quiet holds.
        public var scoreSmoothing = OneEuroFilter.Parameters(minCutoffHz: 3, beta: 5, derivativeCutoffHz: 1)
        public var relaxSeconds = 0.5
        public init() {}
    }

    public let options: Options
    public let meanShape: [SIMD2<Double>]
    public private(set) var baseline: ExpressionFeatures?
    private let fixedBaseline: Bool
    private var warmup: [[Double]] = []
    private var warmupElapsed = 0.0
    private var filters: [OneEuroFilter]
    private var last = ActionUnitIntensities()

    public init(meanShape: [SIMD2<Double>], profile: ExpressionFeatures? = nil, options: Options = Options()) {
        self.meanShape = meanShape
        self.options = options
        baseline = profile
        fixedBaseline = profile != nil
        filters = Array(repeating: OneEuroFilter(options.scoreSmoothing), count: ActionUnit.allCases.count)
    }

    /// Scores one frame's face (`landmarks` nil when no face was found).
    public func score(landmarks: [SIMD2<Double>]?, intervalSeconds dt: Double) -> (ActionUnitIntensities, EmotionEstimate) {
        guard let landmarks, landmarks.count == 68 else {
            let decay = exp(-max(0, dt) / options.relaxSeconds)
            last = ActionUnitIntensities(values: last.values.map { $0 * decay })
            for i in filters.indices { filters[i].reset() }
            return (last, EmotionEstimate(actionUnits: last))
        }
        let features = ExpressionFeatures(landmarks: landmarks, meanShape: meanShape)
        if !fixedBaseline && (baseline == nil || warmupElapsed < options.warmupSeconds) {
            warmup.append(features.values)
            warmupElapsed += dt
            baseline = ExpressionFeatures(values: (0..<ExpressionFeatures.names.count).map { k in
                median(warmup.map { $0[k] })
            })
        }
        let raw = ActionUnitIntensities(features: features, baseline: baseline ?? features)
        var smoothed = raw
        for i in raw.values.indices {
            smoothed.values[i] = clamp01(filters[i].filter(raw.values[i], intervalSeconds: dt))
        }
        last = smoothed
        let estimate = EmotionEstimate(actionUnits: smoothed)
        if !fixedBaseline, warmupElapsed >= options.warmupSeconds, estimate.top == .neutral, let b = baseline {
            let alpha = 1 - exp(-max(0, dt) / options.baselineTimeConstantSeconds)
            baseline = ExpressionFeatures(values: zip(b.values, features.values).map { $0 + alpha * ($1 - $0) })
        }
        return (smoothed, estimate)
    }
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
