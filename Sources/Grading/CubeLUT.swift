import EmpathyCore

/// A one-dimensional table: `size` entries of RGB, applied per channel with
/// linear interpolation between entries. Inputs are first mapped from
/// [domainMin, domainMax] to [0, size-1] and clamped.
public struct LUT1D: Sendable, Equatable {
    public var size: Int
    public var domainMin: SIMD3<Float>
    public var domainMax: SIMD3<Float>
    /// `size * 3` floats: entry i is (values[3i], values[3i+1], values[3i+2]).
    public var values: [Float]

    public init(size: Int, domainMin: SIMD3<Float> = .zero, domainMax: SIMD3<Float> = .one, values: [Float]) {
        precondition(values.count == size * 3, "a 1D LUT of size \(size) holds \(size * 3) floats")
        self.size = size
        self.domainMin = domainMin
        self.domainMax = domainMax
        self.values = values
    }

    /// Maps an input to table coordinates: t = x * scale + offset, with
    /// scale = (size - 1) / (max - min) and offset = -min * scale, so that
    /// min → 0 and max → size - 1. (The shader gets the same two vectors as
    /// uniforms: a multiply-add per pixel instead of a divide.)
    public var latticeScale: SIMD3<Float> { Float(size - 1) / (domainMax - domainMin) }
    public var latticeOffset: SIMD3<Float> { -domainMin * latticeScale }

    /// out_c = v[i][c] + (v[i+1][c] - v[i][c]) * f, where
    /// t = clamp(x_c * scale_c + offset_c, 0, size - 1), i = min(floor(t), size - 2), f = t - i.
    @inlinable
    public func apply(_ rgb: SIMD3<Float>) -> SIMD3<Float> {
        var out = SIMD3<Float>()
        let last = Float(size - 1)
        let scale = latticeScale, offset = latticeOffset
        for c in 0..<3 {
            let t = min(max(rgb[c] * scale[c] + offset[c], 0), last)
            let i = min(Int(t), size - 2)
            let f = t - Float(i)
            let a = values[i * 3 + c], b = values[(i + 1) * 3 + c]
            out[c] = a + (b - a) * f
        }
        return out
    }
}

/// A three-dimensional table of `size³` RGB entries, red varying fastest:
/// entry (r, g, b) lives at index `r + g*size + b*size*size`.
public struct LUT3D: Sendable, Equatable {
    public var size: Int
    public var domainMin: SIMD3<Float>
    public var domainMax: SIMD3<Float>
    /// `size³ * 3` floats.
    public var values: [Float]

    public init(size: Int, domainMin: SIMD3<Float> = .zero, domainMax: SIMD3<Float> = .one, values: [Float]) {
        precondition(values.count == size * size * size * 3, "a 3D LUT of size \(size) holds \(size * size * size * 3) floats")
        self.size = size
        self.domainMin = domainMin
        self.domainMax = domainMax
        self.values = values
    }

    /// The identity table: entry (r, g, b) = (r, g, b) / (size - 1).
    public static func identity(size: Int) -> LUT3D {
        var values = [Float](repeating: 0, count: size * size * size * 3)
        let scale = 1 / Float(size - 1)
        var k = 0
        for b in 0..<size { for g in 0..<size { for r in 0..<size {
            values[k] = Float(r) * scale; values[k + 1] = Float(g) * scale; values[k + 2] = Float(b) * scale
            k += 3
        } } }
        return LUT3D(size: size, values: values)
    }

    /// Builds a table by sampling `transform` at every lattice point in [0, 1]³.
    public static func sampling(size: Int, _ transform: (SIMD3<Float>) -> SIMD3<Float>) -> LUT3D {
        var values = [Float](repeating: 0, count: size * size * size * 3)
        let scale = 1 / Float(size - 1)
        var k = 0
        for b in 0..<size { for g in 0..<size { for r in 0..<size {
            let v = transform(SIMD3(Float(r) * scale, Float(g) * scale, Float(b) * scale))
            values[k] = v.x; values[k + 1] = v.y; values[k + 2] = v.z
            k += 3
        } } }
        return LUT3D(size: size, values: values)
    }

    /// As `LUT1D.latticeScale`: t = x * scale + offset maps [min, max] to [0, size - 1].
    public var latticeScale: SIMD3<Float> { Float(size - 1) / (domainMax - domainMin) }
    public var latticeOffset: SIMD3<Float> { -domainMin * latticeScale }

    @inlinable
    func entry(_ r: Int, _ g: Int, _ b: Int) -> SIMD3<Float> {
        let i = (r + g * size + b * size * size) * 3
        return SIMD3(values[i], values[i + 1], values[i + 2])
    }

    /// Tetrahedral interpolation (Kasson et al., 1995; the same split of the
    /// cube into six tetrahedra as ffmpeg's `lut3d` and OpenColorIO).
    ///
    /// p = clamp(x * scale + offset, 0, size - 1) (see `latticeScale`); i = floor(p),
    /// d = p - i, and c_xyz is the entry at i + (x, y, z). With dr > dg > db:
    /// out = (1-dr) c000 + (dr-dg) c100 + (dg-db) c110 + db c111, and likewise
    /// for the other five orderings of (dr, dg, db).
    @inlinable
    public func apply(_ rgb: SIMD3<Float>) -> SIMD3<Float> {
        let last = Float(size - 1)
        let p = (rgb * latticeScale + latticeOffset).clamped(lowerBound: .zero, upperBound: SIMD3(repeating: last))
        let r0 = min(Int(p.x), size - 1), g0 = min(Int(p.y), size - 1), b0 = min(Int(p.z), size - 1)
        let r1 = min(r0 + 1, size - 1), g1 = min(g0 + 1, size - 1), b1 = min(b0 + 1, size - 1)
        let dr = p.x - Float(r0), dg = p.y - Float(g0), db = p.z - Float(b0)
        let c000 = entry(r0, g0, b0), c111 = entry(r1, g1, b1)
        if dr > dg {
            if dg > db {
                return (1 - dr) * c000 + (dr - dg) * entry(r1, g0, b0) + (dg - db) * entry(r1, g1, b0) + db * c111
            } else if dr > db {
                return (1 - dr) * c000 + (dr - db) * entry(r1, g0, b0) + (db - dg) * entry(r1, g0, b1) + dg * c111
            } else {
                return (1 - db) * c000 + (db - dr) * entry(r0, g0, b1) + (dr - dg) * entry(r1, g0, b1) + dg * c111
            }
        } else {
            if db > dg {
                return (1 - db) * c000 + (db - dg) * entry(r0, g0, b1) + (dg - dr) * entry(r0, g1, b1) + dr * c111
            } else if db > dr {
                return (1 - dg) * c000 + (dg - db) * entry(r0, g1, b0) + (db - dr) * entry(r0, g1, b1) + dr * c111
            } else {
                return (1 - dg) * c000 + (dg - dr) * entry(r0, g1, b0) + (dr - db) * entry(r1, g1, b0) + db * c111
            }
        }
    }
}

/// A colour look as stored in a `.cube` file: an optional 1D shaper applied
/// first, then an optional 3D table (at least one of the two is present).
public struct CubeLUT: Sendable, Equatable {
    public var title: String?
    public var shaper: LUT1D?
    public var cube: LUT3D?
    /// Comment lines (without `#`) written at the top of the file.
    public var comments: [String]

    public init(title: String? = nil, shaper: LUT1D? = nil, cube: LUT3D? = nil, comments: [String] = []) {
        precondition(shaper != nil || cube != nil, "a LUT needs a 1D or a 3D table")
        self.title = title
        self.shaper = shaper
        self.cube = cube
        self.comments = comments
    }

    /// Applies the shaper (if any), then the 3D table (if any).
    @inlinable
    public func apply(_ rgb: SIMD3<Float>) -> SIMD3<Float> {
        var v = rgb
        if let shaper { v = shaper.apply(v) }
        if let cube { v = cube.apply(v) }
        return v
    }
}

extension CubeLUT {
    /// The CPU reference of the colour-grade pass, in single precision:
    /// x = code / 255; y = x + (lut(x) - x) * intensity;
    /// out = clamp(floor(y * 255 + 0.5), 0, 255). Alpha passes through.
    /// The GLSL pass computes the same, so the two agree within ±1 code value.
    public func grade(_ image: RGBAImage, intensity: Float = 1) -> RGBAImage {
        var out = image
        let inv: Float = 1 / 255
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i < src.count {
                    let x = SIMD3(Float(src[i]), Float(src[i + 1]), Float(src[i + 2])) * inv
                    let y = x + (apply(x) - x) * intensity
                    let q = (y * 255 + 0.5).rounded(.down).clamped(lowerBound: .zero, upperBound: SIMD3(repeating: 255))
                    dst[i] = UInt8(q.x); dst[i + 1] = UInt8(q.y); dst[i + 2] = UInt8(q.z)
                    i += 4
                }
            }
        }
        return out
    }
}
