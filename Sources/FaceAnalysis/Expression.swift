import Foundation

/// Raw face measurements, in units of the inter-ocular distance (IOD), from
/// landmarks aligned to the model's mean shape.
///
/// Alignment: the least-squares similarity taking the stable points (nose
/// 27–31, 33, 35; eye corners 36, 39, 42, 45) onto the same points of the
/// mean shape, then division by the mean shape's IOD. In the aligned frame
/// x runs to the image's right and y downwards; `q[i]` is aligned point i.
public struct ExpressionFeatures: Sendable, Equatable, Codable {
    /// `mean(q39.y − q21.y, q42.y − q22.y)`: inner brow ends above the inner eye corners.
    public var innerBrowHeight: Double
    /// `mean(q36.y − mean(q17.y, q18.y), q45.y − mean(q25.y, q26.y))`: outer brows above the outer eye corners.
    public var outerBrowHeight: Double
    /// `eyeLine.y − mean(q17…26.y)`, eyeLine.y = mean of q36, q39, q42, q45 y: the brows' mean height.
    public var browHeight: Double
    /// `q22.x − q21.x`: the gap between the inner brow ends.
    public var innerBrowGap: Double
    /// `mean(mean(q40, q41).y − mean(q37, q38).y, mean(q46, q47).y − mean(q43, q44).y)`: lid opening.
    public var eyeOpening: Double
    /// `mean(mean(q40, q41).y − mean(q36, q39).y, mean(q46, q47).y − mean(q42, q45).y)`: lower lids below the corner line.
    public var lowerLidDrop: Double
    /// Eye aspect ratio (Soukupová & Čech 2016), both eyes averaged:
    /// `(|p37−p41| + |p38−p40|) / (2 |p36−p39|)` (and 43/47, 44/46, 42/45).
    public var eyeAspectRatio: Double
    /// `q51.y − q33.y`: upper lip below the nose base.
    public var noseToUpperLip: Double
    /// `q62.y − mean(q48.y, q54.y)`: lip corners above the upper inner lip.
    public var lipCornerHeight: Double
    /// `|q54 − q48|`: mouth width.
    public var mouthWidth: Double
    /// `q66.y − q62.y`: gap between the inner lips.
    public var lipGap: Double
    /// `q8.y − q33.y`: chin below the nose base.
    public var chinDrop: Double

    public static let names = [
        "innerBrowHeight", "outerBrowHeight", "browHeight", "innerBrowGap", "eyeOpening", "lowerLidDrop",
        "eyeAspectRatio", "noseToUpperLip", "lipCornerHeight", "mouthWidth", "lipGap", "chinDrop",
    ]

    public var values: [Double] {
        [innerBrowHeight, outerBrowHeight, browHeight, innerBrowGap, eyeOpening, lowerLidDrop,
         eyeAspectRatio, noseToUpperLip, lipCornerHeight, mouthWidth, lipGap, chinDrop]
    }

    public init(values v: [Double]) {
        precondition(v.count == Self.names.count, "ExpressionFeatures needs \(Self.names.count) values")
        innerBrowHeight = v[0]; outerBrowHeight = v[1]; browHeight = v[2]; innerBrowGap = v[3]
        eyeOpening = v[4]; lowerLidDrop = v[5]; eyeAspectRatio = v[6]; noseToUpperLip = v[7]
        lipCornerHeight = v[8]; mouthWidth = v[9]; lipGap = v[10]; chinDrop = v[11]
    }

    /// Measures a 68-point face. `meanShape` is the model's mean shape (any units).
    public init(landmarks p: [SIMD2<Double>], meanShape: [SIMD2<Double>]) {
        let fit = SimilarityTransform.fit(from: p, to: meanShape, indices: Landmark68.stable)
        let iod = max(1e-9, Landmark68.interOcularDistance(meanShape))
        let q = p.map { fit.apply($0) / iod }
        func mean(_ xs: Double...) -> Double { xs.reduce(0, +) / Double(xs.count) }
        innerBrowHeight = mean(q[39].y - q[21].y, q[42].y - q[22].y)
        outerBrowHeight = mean(q[36].y - mean(q[17].y, q[18].y), q[45].y - mean(q[25].y, q[26].y))
        let eyeLine = mean(q[36].y, q[39].y, q[42].y, q[45].y)
        browHeight = eyeLine - (17...26).reduce(0) { $0 + q[$1].y } / 10
        innerBrowGap = q[22].x - q[21].x
        eyeOpening = mean(mean(q[40].y, q[41].y) - mean(q[37].y, q[38].y),
                          mean(q[46].y, q[47].y) - mean(q[43].y, q[44].y))
        lowerLidDrop = mean(mean(q[40].y, q[41].y) - mean(q[36].y, q[39].y),
                            mean(q[46].y, q[47].y) - mean(q[42].y, q[45].y))
        func ear(_ e: Int) -> Double {
            (distance(q[e + 1], q[e + 5]) + distance(q[e + 2], q[e + 4])) / max(1e-9, 2 * distance(q[e], q[e + 3]))
        }
        eyeAspectRatio = mean(ear(36), ear(42))
        noseToUpperLip = q[51].y - q[33].y
        lipCornerHeight = q[62].y - mean(q[48].y, q[54].y)
        mouthWidth = distance(q[54], q[48])
        lipGap = q[66].y - q[62].y
        chinDrop = q[8].y - q[33].y
    }
}

/// AU-like intensities, each 0…1. With `d` = feature − baseline (IOD units)
/// and `ramp(x, full) = clamp((x − 0.015) / (full − 0.015), 0, 1)` (a 0.015
/// IOD dead zone against landmark jitter):
///
/// | intensity | FACS | formula |
/// | --- | --- | --- |
/// | innerBrowRaise | AU1 | ramp(d.innerBrowHeight, 0.10) |
/// | outerBrowRaise | AU2 | ramp(d.outerBrowHeight, 0.10) |
/// | browLower | AU4 | ramp(−d.browHeight − 0.5 d.innerBrowGap, 0.08) |
/// | upperLidRaise | AU5 | ramp(d.eyeOpening, 0.06) |
/// | lidTighten | AU6/7 | ramp(−d.lowerLidDrop, 0.04) |
/// | noseWrinkle | AU9/10 | ramp(−d.noseToUpperLip, 0.06) |
/// | lipCornerPull | AU12 | ramp(c, 0.08), c = d.lipCornerHeight + 0.4 max(0, d.lipGap) |
/// | lipCornerDepress | AU15 | ramp(−c, 0.08) |
/// | lipStretch | AU20 | ramp(d.mouthWidth − 2.5 max(0, c), 0.10) |
/// | lipsPart | AU25 | ramp(d.lipGap, 0.15) |
/// | jawDrop | AU26/27 | ramp(d.chinDrop, 0.20) |
/// | blink | AU45 | clamp((EAR₀ − EAR) / (0.6 EAR₀), 0, 1), EAR₀ the baseline eye aspect ratio |
///
/// `c` lets the corners follow the lower lip by 40 % of the mouth's opening,
/// so a dropped jaw alone reads as neither pull nor depress; a widening that
/// comes with raised corners is the smile's, not a stretch. Full-scale
/// values are typical peak displacements of posed expressions in IOD units
/// (set on the expression clip and the demo face; adjust per production).
public enum ActionUnit: String, Sendable, CaseIterable, Codable {
    case innerBrowRaise, outerBrowRaise, browLower, upperLidRaise, lidTighten, noseWrinkle
    case lipCornerPull, lipCornerDepress, lipStretch, lipsPart, jawDrop, blink

    /// Position in `allCases`.
    public var index: Int { Self.indices[self] ?? 0 }
    private static let indices = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    /// Column name in the emotion track, e.g. `au01_inner_brow_raise`.
    public var columnName: String {
        switch self {
        case .innerBrowRaise: return "au01_inner_brow_raise"
        case .outerBrowRaise: return "au02_outer_brow_raise"
        case .browLower: return "au04_brow_lower"
        case .upperLidRaise: return "au05_upper_lid_raise"
        case .lidTighten: return "au06_07_lid_tighten"
        case .noseWrinkle: return "au09_10_nose_wrinkle"
        case .lipCornerPull: return "au12_lip_corner_pull"
        case .lipCornerDepress: return "au15_lip_corner_depress"
        case .lipStretch: return "au20_lip_stretch"
        case .lipsPart: return "au25_lips_part"
        case .jawDrop: return "au26_jaw_drop"
        case .blink: return "au45_blink"
        }
    }
}

/// Intensities for every `ActionUnit`, indexed by `ActionUnit.allCases` order.
public struct ActionUnitIntensities: Sendable, Equatable {
    public var values: [Double]

    public init(values: [Double] = Array(repeating: 0, count: ActionUnit.allCases.count)) {
        self.values = values
    }

    public subscript(unit: ActionUnit) -> Double {
        get { values[unit.index] }
        set { values[unit.index] = newValue }
    }

    static let deadZone = 0.015

    static func ramp(_ x: Double, _ full: Double) -> Double { clamp01((x - deadZone) / (full - deadZone)) }

    /// The table in `ActionUnit`'s comment.
    public init(features f: ExpressionFeatures, baseline b: ExpressionFeatures) {
        self.init()
        let c = (f.lipCornerHeight - b.lipCornerHeight) + 0.4 * max(0, f.lipGap - b.lipGap)
        self[.innerBrowRaise] = Self.ramp(f.innerBrowHeight - b.innerBrowHeight, 0.10)
        self[.outerBrowRaise] = Self.ramp(f.outerBrowHeight - b.outerBrowHeight, 0.10)
        self[.browLower] = Self.ramp(-(f.browHeight - b.browHeight) - 0.5 * (f.innerBrowGap - b.innerBrowGap), 0.08)
        self[.upperLidRaise] = Self.ramp(f.eyeOpening - b.eyeOpening, 0.06)
        self[.lidTighten] = Self.ramp(-(f.lowerLidDrop - b.lowerLidDrop), 0.04)
        self[.noseWrinkle] = Self.ramp(-(f.noseToUpperLip - b.noseToUpperLip), 0.06)
        self[.lipCornerPull] = Self.ramp(c, 0.08)
        self[.lipCornerDepress] = Self.ramp(-c, 0.08)
        self[.lipStretch] = Self.ramp((f.mouthWidth - b.mouthWidth) - 2.5 * max(0, c), 0.10)
        self[.lipsPart] = Self.ramp(f.lipGap - b.lipGap, 0.15)
        self[.jawDrop] = Self.ramp(f.chinDrop - b.chinDrop, 0.20)
        let ear0 = max(1e-6, b.eyeAspectRatio)
        self[.blink] = clamp01((ear0 - f.eyeAspectRatio) / (0.6 * ear0))
    }
}
