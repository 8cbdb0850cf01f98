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
    /// The appearance model's mean output on the performer's neutral face
    /// (category name → probability), and the model file it came from;
    /// absent in profiles recorded without a model.
    public var appearanceNeutral: [String: Double]?
    public var appearanceModel: String?

    public init(name: String, features: ExpressionFeatures, frameCount: Int, source: String,
                restingHeartRateBPM: Double? = nil, restingRMSSDMs: Double? = nil,
                appearanceNeutral: [Double]? = nil, appearanceModel: String? = nil) {
        self.name = name
        self.features = Dictionary(uniqueKeysWithValues: zip(ExpressionFeatures.names, features.values))
        self.frameCount = frameCount
        self.source = source
        self.restingHeartRateBPM = restingHeartRateBPM
        self.restingRMSSDMs = restingRMSSDMs
        self.appearanceNeutral = appearanceNeutral.map {
            Dictionary(uniqueKeysWithValues: zip(EmotionCategory.allCases.map(\.rawValue), $0))
        }
        self.appearanceModel = appearanceModel
    }

    /// The recorded model output in category order, nil when none was
    /// recorded, or an error naming a missing or bad category.
    public func appearanceNeutralScores(path: String) throws -> [Double]? {
        guard let appearanceNeutral else { return nil }
        return try EmotionCategory.allCases.map { category in
            guard let v = appearanceNeutral[category.rawValue], v.isFinite, v >= 0 else {
                throw EmpathyError.badFile(path: path, line: nil, message: "has no valid 'appearanceNeutral' value for '\(category.rawValue)'; record it again with 'empathy calibrate'")
            }
            return v
        }
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
        try decode(Data(UserFile.bytes(path, what: "calibration profile")), path: path)
    }

    /// A profile from JSON bytes; errors name `path`.
    public static func decode(_ data: Data, path: String) throws -> NeutralProfile {
        do {
            return try JSONDecoder().decode(NeutralProfile.self, from: Data(EditedText.normalized(String(decoding: data, as: UTF8.self)).utf8))
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

/// Turns a face — its landmarks and, when a model is loaded, the appearance
/// model's probabilities — into smoothed AU intensities and an emotion
/// estimate.
///
/// AU baseline: the calibration profile when given (fixed). Otherwise it
/// starts from the population defaults (the landmark model's mean shape, as
/// `calibration/default.json`) — never from the clip's opening frames, so a
/// clip that opens on an expression reads it from its first frame — and
/// learns the performer's neutral face only from frames that both the
/// appearance model and the AUs call neutral (`isNeutralEvidence`): a running
/// mean of those frames with the population defaults counted as
/// `priorSeconds` of them, for the first `baselineTimeConstantSeconds` of
/// neutral frames, then an exponential average with that time constant, so
/// it follows slow drift (pose, lighting) without absorbing expressions.
///
/// Categories: `EmotionEstimate.fused` (the rule and its weights are there).
/// With a calibration profile that recorded the model on the performer's
/// neutral face, the model's output is first corrected by
/// `AppearanceCalibration`.
///
/// Smoothing: each AU intensity and each appearance probability passes its
/// own One Euro filter (`scoreSmoothing`), separate from the landmark filter.
///
/// No face: the intensities relax toward 0 and the appearance toward
/// neutral as `x ← x · exp(−Δt / relaxSeconds)`; categories, valence and
/// arousal follow from them. The score filters restart when the face returns.
public final class ExpressionScorer {
    public struct Options: Sendable, Equatable {
        /// Weight of the population defaults in the learnt baseline, in seconds of neutral frames.
        public var priorSeconds = 0.5
        public var baselineTimeConstantSeconds = 30.0
        /// minCutoff 3 Hz, beta 5 per (intensity/s), dCutoff 1 Hz: brisk onsets, quiet holds.
        public var scoreSmoothing = OneEuroFilter.Parameters(minCutoffHz: 3, beta: 5, derivativeCutoffHz: 1)
        public var relaxSeconds = 0.5
        public init() {}
    }

    public let options: Options
    public let meanShape: [SIMD2<Double>]
    public private(set) var baseline: ExpressionFeatures
    /// Seconds of neutral frames the learnt baseline has absorbed (0 with a fixed baseline).
    public private(set) var neutralSecondsLearnt = 0.0
    private let fixedBaseline: Bool
    /// True when the fixed baseline is the performer's own face (a recorded
    /// calibration), false for population defaults: only then do the AUs
    /// earn the full gain.
    private let performerBaseline: Bool
    private let appearanceCalibration: AppearanceCalibration?
    private var filters: [OneEuroFilter]
    private var appearanceFilters: [OneEuroFilter]
    private var last = ActionUnitIntensities()
    private var lastAppearance: [Double]?

    /// `profile`: neutral features to hold fixed — the performer's own when
    /// `profileIsPerformer` (a recorded calibration), else population
    /// defaults (`--calibration default`); nil learns a baseline from the
    /// population defaults, the features of `meanShape`. `appearanceNeutral`:
    /// the model's mean output on the performer's neutral face, from the same
    /// calibration.
    public init(meanShape: [SIMD2<Double>], profile: ExpressionFeatures? = nil, profileIsPerformer: Bool = true,
                appearanceNeutral: [Double]? = nil, options: Options = Options()) {
        self.meanShape = meanShape
        self.options = options
        baseline = profile ?? ExpressionFeatures(landmarks: meanShape, meanShape: meanShape)
        fixedBaseline = profile != nil
        performerBaseline = profile != nil && profileIsPerformer
        appearanceCalibration = appearanceNeutral.map(AppearanceCalibration.init(neutralOutput:))
        filters = Array(repeating: OneEuroFilter(options.scoreSmoothing), count: ActionUnit.allCases.count)
        appearanceFilters = Array(repeating: OneEuroFilter(options.scoreSmoothing), count: EmotionCategory.allCases.count)
    }

    /// Scores one frame's face: `landmarks` nil when no face was found;
    /// `appearance` the model's probabilities (category order), nil without a model.
    public func score(landmarks: [SIMD2<Double>]?, appearance: [Double]? = nil,
                      intervalSeconds dt: Double) -> (ActionUnitIntensities, EmotionEstimate) {
        guard let landmarks, landmarks.count == 68 else { return relax(intervalSeconds: dt) }
        let features = ExpressionFeatures(landmarks: landmarks, meanShape: meanShape)
        let raw = ActionUnitIntensities(features: features, baseline: baseline)
        var smoothed = raw
        for i in raw.values.indices {
            smoothed.values[i] = clamp01(filters[i].filter(raw.values[i], intervalSeconds: dt))
        }
        last = smoothed
        let auOnly = EmotionEstimate(actionUnits: smoothed)
        guard let appearance else {
            learn(features, neutral: auOnly.top == .neutral, intervalSeconds: dt)
            return (smoothed, auOnly)
        }
        let corrected = appearanceCalibration?.correct(appearance) ?? appearance
        var filtered = corrected
        for i in filtered.indices {
            filtered[i] = max(0, appearanceFilters[i].filter(corrected[i], intervalSeconds: dt))
        }
        let total = max(1e-12, filtered.reduce(0, +))
        filtered = filtered.map { $0 / total }
        lastAppearance = filtered
        // Fused with the gain earned before this frame, then the frame may teach the baseline.
        let fused = EmotionEstimate.fused(appearance: filtered, actionUnits: smoothed, auGain: auGain)
        learn(features, neutral: Self.isNeutralEvidence(appearance: corrected, actionUnits: auOnly), intervalSeconds: dt)
        return (smoothed, fused)
    }

    /// A frame that may teach the baseline: the (corrected) model's top class
    /// is neutral with at least half the probability, and the AUs' top
    /// category is neutral too.
    public static func isNeutralEvidence(appearance: [Double], actionUnits: EmotionEstimate) -> Bool {
        let n = appearance[EmotionCategory.neutral.index]
        return n >= 0.5 && actionUnits.top == .neutral
    }

    /// The AU gain of the fusion for this baseline (`EmotionEstimate.auGain`).
    public var auGain: Double {
        EmotionEstimate.auGain(calibrated: performerBaseline, neutralSecondsLearnt: neutralSecondsLearnt)
    }

    private func learn(_ features: ExpressionFeatures, neutral: Bool, intervalSeconds dt: Double) {
        guard !fixedBaseline, neutral, dt > 0 else { return }
        neutralSecondsLearnt += dt
        // Running mean with the prior counted as priorSeconds, until the
        // window reaches the time constant; an exponential average after.
        let window = min(options.priorSeconds + neutralSecondsLearnt, options.baselineTimeConstantSeconds)
        let alpha = min(1, dt / window)
        baseline = ExpressionFeatures(values: zip(baseline.values, features.values).map { $0 + alpha * ($1 - $0) })
    }

    private func relax(intervalSeconds dt: Double) -> (ActionUnitIntensities, EmotionEstimate) {
        let decay = exp(-max(0, dt) / options.relaxSeconds)
        last = ActionUnitIntensities(values: last.values.map { $0 * decay })
        for i in filters.indices { filters[i].reset() }
        for i in appearanceFilters.indices { appearanceFilters[i].reset() }
        guard let previous = lastAppearance else { return (last, EmotionEstimate(actionUnits: last)) }
        let neutral = EmotionCategory.neutral.index
        let relaxed = previous.indices.map { i in (i == neutral ? 1 : 0) + (previous[i] - (i == neutral ? 1 : 0)) * decay }
        lastAppearance = relaxed
        return (last, EmotionEstimate.fused(appearance: relaxed, actionUnits: last, auGain: auGain))
    }
}

/// Corrects the appearance model for a performer whose resting face it
/// misreads (a resting face it calls "sad", say), from its output q on the
/// performer's neutral face (recorded by `empathy calibrate`):
///
///     p'(c) ∝ p(c) · r(c) / max(q(c), 0.01)
///
/// the prior-shift correction of a classifier's posteriors (Saerens,
/// Latinne & Decaestecker 2002, "Adjusting the outputs of a classifier to
/// new a priori probabilities", Neural Computation 14:21–41), with the
/// performer's neutral output as the shifted prior. r is the output the
/// correction maps that neutral face to: neutral 0.85, 0.025 for each
/// other class (a tuning choice: a confident neutral that still lets
/// expressions through). On the calibrated face itself p = q, so p' = r
/// exactly where every q(c) ≥ 0.01; a class the model all but rules out on
/// that face (q < 0.01, FER's disgust often is) keeps a little less than r.
public struct AppearanceCalibration: Sendable, Equatable {
    public var neutralOutput: [Double]
    public static let target: [Double] = EmotionCategory.allCases.map { $0 == .neutral ? 0.85 : 0.025 }

    public init(neutralOutput: [Double]) { self.neutralOutput = neutralOutput }

    public func correct(_ p: [Double]) -> [Double] {
        let w = p.indices.map { p[$0] * Self.target[$0] / max(neutralOutput[$0], 0.01) }
        let total = max(1e-12, w.reduce(0, +))
        return w.map { $0 / total }
    }
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
