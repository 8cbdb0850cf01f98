import EmpathyCore
import Foundation

/// The face matte layer: a soft alpha of the performer's face region, written
/// beside each rendered frame (`shot.matte.0001.png`) for compositors who
/// grade or protect the face — what Resolve's face refinement gives its users.
///
/// Region: the face outline (`EmotionState.faceOutline`: the jaw, and the
/// brows raised to take in the forehead), or without landmarks the ellipse
/// inscribed in the face box; nothing without a face. With d(p) the signed
/// distance from pixel centre p to the region's edge (negative inside) and
/// f the feather width, `alpha = clamp(0.5 − d / f, 0, 1)`: 1 deeper than f/2
/// inside, 0 beyond f/2 outside, a linear ramp across the edge.
/// f = `featherFraction` × the region's larger side (a tuning choice: 8 %
/// softens the jaw line like a hand-drawn roto edge at any face size).
public enum FaceMatte {
    public static let featherFraction: Float = 0.08

    /// The matte of one frame: R = G = B = A = alpha.
    public static func render(_ state: EmotionState, width: Int, height: Int) -> FloatImage {
        var image = FloatImage(width: width, height: height, pixels: [Float](repeating: 0, count: width * height * 4))
        let size = SIMD2<Float>(Float(width), Float(height))
        let region: [SIMD2<Float>]
        if let outline = state.faceOutline, outline.count >= 3 {
            region = outline.map { $0 * size }
        } else if let box = state.faceBox {
            let centre = SIMD2(box.x + box.width / 2, box.y + box.height / 2) * size
            let radii = SIMD2(box.width, box.height) * size / 2
            region = (0..<48).map { k in
                let t = Float(k) / 48 * 2 * .pi
                return centre + SIMD2(cos(t), sin(t)) * radii
            }
        } else {
            return image
        }
        let low = region.reduce(SIMD2<Float>(repeating: .infinity)) { pointwiseMin($0, $1) }
        let high = region.reduce(SIMD2<Float>(repeating: -.infinity)) { pointwiseMax($0, $1) }
        let feather = max(1, featherFraction * max(high.x - low.x, high.y - low.y))
        let x0 = max(0, Int((low.x - feather).rounded(.down))), x1 = min(width - 1, Int((high.x + feather).rounded(.up)))
        let y0 = max(0, Int((low.y - feather).rounded(.down))), y1 = min(height - 1, Int((high.y + feather).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return image }
        for y in y0...y1 {
            for x in x0...x1 {
                let p = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                let alpha = min(max(0.5 - signedDistance(p, to: region) / feather, 0), 1)
                guard alpha > 0 else { continue }
                let o = (y * width + x) * 4
                image.pixels[o] = alpha; image.pixels[o + 1] = alpha; image.pixels[o + 2] = alpha; image.pixels[o + 3] = alpha
            }
        }
        return image
    }

    /// Distance from `p` to the closed polygon's edge, negative inside (even-odd rule).
    static func signedDistance(_ p: SIMD2<Float>, to polygon: [SIMD2<Float>]) -> Float {
        var nearest = Float.infinity
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[j], b = polygon[i]
            let edge = b - a
            let t = min(max(((p - a) * edge).sum() / max((edge * edge).sum(), 1e-12), 0), 1)
            let d = p - (a + edge * t)
            nearest = min(nearest, (d * d).sum())
            if (a.y > p.y) != (b.y > p.y), p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) { inside.toggle() }
            j = i
        }
        return inside ? -nearest.squareRoot() : nearest.squareRoot()
    }
}
