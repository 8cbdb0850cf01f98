import EmpathyCore
import Foundation

/// What face analysis knows of each category (the list itself is
/// EmpathyCore's `EmotionCategory`).
extension EmotionCategory {
    /// Column name in the emotion track, e.g. `cat_happiness`.
    public var columnName: String { "cat_" + rawValue }

    /// The EMFACS prototype as (action unit, weight): Friesen & Ekman's EMFACS
    /// (1983) core combinations, restricted to the units landmarks can see.
    /// happiness 6+12; sadness 1+4+15; surprise 1+2+5+26; fear
    /// 1+2+4+5+7+20+26; anger 4+5+7 (lip press 23/24 is not measured);
    /// disgust 9/10+15 (AU9 and AU10 share one intensity).
    public var prototype: [(ActionUnit, Double)] {
        switch self {
        case .neutral: return []
        case .happiness: return [(.lidTighten, 0.4), (.lipCornerPull, 1)]
        case .sadness: return [(.innerBrowRaise, 1), (.browLower, 1), (.lipCornerDepress, 1)]
        case .surprise: return [(.innerBrowRaise, 1), (.outerBrowRaise, 1), (.upperLidRaise, 1), (.jawDrop, 1)]
        case .fear:
            return [(.innerBrowRaise, 1), (.outerBrowRaise, 1), (.browLower, 1), (.upperLidRaise, 1),
                    (.lidTighten, 1), (.lipStretch, 1), (.jawDrop, 1)]
        case .anger: return [(.browLower, 1), (.upperLidRaise, 1), (.lidTighten, 1)]
        case .disgust: return [(.noseWrinkle, 1), (.lipCornerDepress, 1)]
        }
    }

    /// The prototype's evidence: the weighted mean of its AU intensities (0 for neutral).
    public func evidence(_ au: ActionUnitIntensities) -> Double {
        let weights = prototype.reduce(0) { $0 + $1.1 }
        return weights > 0 ? prototype.reduce(0) { $0 + au[$1.0] * $1.1 } / weights : 0
    }

    /// Circumplex coordinates (valence = pleasure, arousal), each −1…1:
    /// the pleasure and arousal ratings of the matching emotion terms in
    /// Russell & Mehrabian (1977), "Evidence for a three-factor theory of
    /// emotions", J. Research in Personality 11:273–294 (happy, sad,
    /// surprised, afraid, angry, disgusted), as tabulated for PAD-based
    /// affect models (e.g. Gebhard 2005, ALMA). Neutral is the origin.
    public var circumplex: (valence: Double, arousal: Double) {
        switch self {
        case .neutral: return (0, 0)
        case .happiness: return (0.81, 0.51)
        case .sadness: return (-0.63, -0.27)
        case .surprise: return (0.40, 0.67)
        case .fear: return (-0.64, 0.60)
        case .anger: return (-0.51, 0.59)
        case .disgust: return (-0.60, 0.35)
        }
    }
}

/// Category scores (each 0…1, summing to 1), valence and arousal.
///
/// Evidence for an expressive category c is the weighted mean of its
/// prototype's intensities, `e_c = Σ w_i AU_i / Σ w_i`; neutral's evidence is
/// `e_n = 1 − max_c e_c`. Scores are sharpened shares, `s_c = e_c³ / Σ e³`:
/// prototypes overlap (fear contains surprise's units, sadness shares brow
/// units with fear and anger), and the cube keeps the partly matched
/// neighbours from outweighing the matched category. Valence and
/// arousal are the score-weighted circumplex coordinates,
/// `valence = Σ s_c v_c`, `arousal = Σ s_c a_c`.
public struct EmotionEstimate: Sendable, Equatable {
    public var categories: [Double]
    public var valence: Double
    public var arousal: Double

    public static let neutral = EmotionEstimate(actionUnits: ActionUnitIntensities())

    public init(categories: [Double], valence: Double, arousal: Double) {
        self.categories = categories
        self.valence = valence
        self.arousal = arousal
    }

    public init(actionUnits au: ActionUnitIntensities) {
        var evidence = EmotionCategory.allCases.map { $0.evidence(au) }
        evidence[EmotionCategory.neutral.index] = 1 - (evidence.max() ?? 0)
        self.init(scores: evidence.map { $0 * $0 * $0 })
    }

    /// Scores from category probabilities (valence and arousal follow).
    public init(scores: [Double]) {
        let total = max(1e-12, scores.reduce(0, +))
        categories = scores.map { $0 / total }
        valence = 0
        arousal = 0
        for category in EmotionCategory.allCases {
            let share = categories[category.index]
            valence += share * category.circumplex.valence
            arousal += share * category.circumplex.arousal
        }
    }

    /// The AU gain g of `fused` for a calibrated baseline (a tuning choice:
    /// a fully matched prototype quadruples the category's odds). AUs measured
    /// against the population defaults also carry the performer's anatomy
    /// (eyes set wider open than the average face read as AU5, a wide mouth
    /// as AU20), so a learnt baseline earns the gain as it learns:
    /// `g = auGainCalibrated · L / (L + auGainHalfSeconds)`, L the seconds
    /// of neutral frames it has absorbed — 0 on a still or on footage that
    /// never rests, where the appearance model reads alone.
    public static let auGainCalibrated = 3.0
    public static let auGainHalfSeconds = 2.0

    public static func auGain(calibrated: Bool, neutralSecondsLearnt: Double) -> Double {
        calibrated ? auGainCalibrated : auGainCalibrated * neutralSecondsLearnt / (neutralSecondsLearnt + auGainHalfSeconds)
    }

    /// The appearance model's probabilities p and the AU evidence together,
    /// as a product of experts: the model's posterior times a likelihood
    /// ratio from the AUs,
    ///
    ///     s_c ∝ p_c · (1 + g · e_c)   for each expressive category c,
    ///     s_neutral ∝ p_neutral,
    ///
    /// with e_c the category's EMFACS prototype evidence (the weighted mean of
    /// its AU intensities, as in `init(actionUnits:)`) and g the AU gain
    /// (`auGain`). A fully matched prototype multiplies the category's odds
    /// by 1 + g; quiet AUs leave the model's reading as it is (absent landmark
    /// movement is weak evidence: many expressions show in texture — teeth,
    /// folds, wrinkles — before landmarks move). Valence and arousal follow
    /// from the scores.
    public static func fused(appearance p: [Double], actionUnits au: ActionUnitIntensities, auGain gain: Double) -> EmotionEstimate {
        var scores = p
        for category in EmotionCategory.allCases where category != .neutral {
            scores[category.index] *= 1 + gain * category.evidence(au)
        }
        return EmotionEstimate(scores: scores)
    }

    public subscript(category: EmotionCategory) -> Double { categories[category.index] }

    /// The highest-scoring category (neutral on ties).
    public var top: EmotionCategory {
        var best = EmotionCategory.neutral
        for c in EmotionCategory.allCases where categories[c.index] > categories[best.index] { best = c }
        return best
    }
}
