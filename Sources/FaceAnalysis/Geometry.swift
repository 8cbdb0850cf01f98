/// A 2-D similarity transform: `p' = scale * R(angle) * p + translation`.
public struct SimilarityTransform: Sendable, Equatable {
    /// `a = scale * cos(angle)`, `b = scale * sin(angle)`.
    public var a: Double
    public var b: Double
    public var translation: SIMD2<Double>

    public init(a: Double, b: Double, translation: SIMD2<Double>) {
        self.a = a
        self.b = b
        self.translation = translation
    }

    public static let identity = SimilarityTransform(a: 1, b: 0, translation: .zero)

    public var scale: Double { (a * a + b * b).squareRoot() }

    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double> {
        SIMD2(a * p.x - b * p.y, b * p.x + a * p.y) + translation
    }

    /// The inverse map (identity-like when `scale` is 0).
    public var inverse: SimilarityTransform {
        let s2 = a * a + b * b
        guard s2 > 0 else { return .identity }
        let ia = a / s2, ib = -b / s2
        let t = SIMD2(ia * translation.x - ib * translation.y, ib * translation.x + ia * translation.y)
        return SimilarityTransform(a: ia, b: ib, translation: -t)
    }

    /// The least-squares similarity taking `from[i]` to `to[i]` over `indices`
    /// (all points when nil): with centred points u = from - mean(from),
    /// v = to - mean(to), `a = Σ(u·v) / Σ|u|²`, `b = Σ(u×v) / Σ|u|²`
    /// (Umeyama 1991 in 2-D, as complex numbers: (a + ib) = Σ conj(u)v / Σ|u|²).
    public static func fit(from: [SIMD2<Double>], to: [SIMD2<Double>], indices: [Int]? = nil) -> SimilarityTransform {
        let idx = indices ?? Array(0..<min(from.count, to.count))
        guard !idx.isEmpty else { return .identity }
        var mf = SIMD2<Double>.zero, mt = SIMD2<Double>.zero
        for i in idx { mf += from[i]; mt += to[i] }
        mf /= Double(idx.count); mt /= Double(idx.count)
        var dot = 0.0, cross = 0.0, norm = 0.0
        for i in idx {
            let u = from[i] - mf, v = to[i] - mt
            dot += u.x * v.x + u.y * v.y
            cross += u.x * v.y - u.y * v.x
            norm += u.x * u.x + u.y * u.y
        }
        guard norm > 0 else { return SimilarityTransform(a: 1, b: 0, translation: mt - mf) }
        let a = dot / norm, b = cross / norm
        let t = mt - SIMD2(a * mf.x - b * mf.y, b * mf.x + a * mf.y)
        return SimilarityTransform(a: a, b: b, translation: t)
    }
}

/// Point indices in the iBUG 300-W 68-point layout (dlib's model). Image-left
/// is the performer's right.
public enum Landmark68 {
    public static let jaw = 0...16
    public static let rightBrow = 17...21
    public static let leftBrow = 22...26
    public static let noseBridge = 27...30
    public static let noseBase = 31...35
    public static let rightEye = 36...41
    public static let leftEye = 42...47
    public static let outerLips = 48...59
    public static let innerLips = 60...67
    /// Points that move little with expression, used to align a face to the
    /// mean shape: nose bridge and base, and the eye corners.
    public static let stable = [27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45]

    /// Centre of the right eye (mean of 36–41) and of the left eye (42–47).
    public static func eyeCentres(_ p: [SIMD2<Double>]) -> (SIMD2<Double>, SIMD2<Double>) {
        var r = SIMD2<Double>.zero, l = SIMD2<Double>.zero
        for i in rightEye { r += p[i] }
        for i in leftEye { l += p[i] }
        return (r / 6, l / 6)
    }

    /// The points shaders get (`EmotionState`'s key landmarks), in pixels:
    /// eye centres (the performer's left is 42–47, the right 36–41), the
    /// nose tip (30) and the mouth centre (mean of the outer lips, 48–59).
    /// Nil unless `p` has the 68 points of this layout.
    public static func keyPoints(_ p: [SIMD2<Double>])
        -> (leftEye: SIMD2<Double>, rightEye: SIMD2<Double>, noseTip: SIMD2<Double>, mouthCenter: SIMD2<Double>)?
    {
        guard p.count == 68 else { return nil }
        let (right, left) = eyeCentres(p)
        var mouth = SIMD2<Double>.zero
        for i in outerLips { mouth += p[i] }
        return (left, right, p[30], mouth / Double(outerLips.count))
    }

    /// The face region's outline: the jaw (0–16), then the brows from the
    /// performer's left to right (26 … 17) moved away from the eyes by 0.6
    /// inter-ocular distances, perpendicular to the eye line, to take in the
    /// forehead. Nil unless there are 68 points.
    public static func faceOutline(_ p: [SIMD2<Double>]) -> [SIMD2<Double>]? {
        guard p.count == 68 else { return nil }
        let (right, left) = eyeCentres(p)
        let across = left - right
        let length = (across * across).sum().squareRoot()
        guard length > 0 else { return nil }
        // Up the face: the eye line turned a quarter (image y runs down).
        let up = SIMD2(across.y, -across.x) / length
        return Array(p[0...16]) + (17...26).reversed().map { p[$0] + up * (0.6 * length) }
    }

    /// Inter-ocular distance: between the two eye centres.
    public static func interOcularDistance(_ p: [SIMD2<Double>]) -> Double {
        let (r, l) = eyeCentres(p)
        let d = l - r
        return (d * d).sum().squareRoot()
    }
}

@inline(__always) func distance(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
    let d = a - b
    return (d * d).sum().squareRoot()
}

@inline(__always) func clamp01(_ x: Double) -> Double { min(1, max(0, x)) }
