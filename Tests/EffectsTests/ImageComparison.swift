import EmpathyCore
import Foundation
import Grading
import XCTest

/// Where two images differ most, compared in picture coordinates (row order
/// taken into account), over all four channels.
struct ImageDifference: CustomStringConvertible {
    var maxDelta = 0
    var worst: (x: Int, y: Int, channel: Int, expected: UInt8, actual: UInt8)?
    /// Pixels whose largest channel difference is exactly 1.
    var offByOnePixels = 0
    /// Pixels whose largest channel difference is above the tolerance.
    var outOfTolerancePixels = 0
    var pixelCount = 0

    var description: String {
        guard let worst else { return "identical (\(pixelCount) pixels)" }
        let channel = ["R", "G", "B", "A"][worst.channel]
        return "worst pixel (\(worst.x), \(worst.y)) from the top, channel \(channel): expected \(worst.expected), got \(worst.actual) "
            + "(|Δ| = \(maxDelta)); \(offByOnePixels) of \(pixelCount) pixels off by 1, \(outOfTolerancePixels) beyond tolerance"
    }

    init(_ actual: RGBAImage, _ expected: RGBAImage, tolerance: Int) {
        pixelCount = actual.width * actual.height
        actual.pixels.withUnsafeBufferPointer { a in
            expected.pixels.withUnsafeBufferPointer { e in
                for y in 0..<actual.height {
                    for x in 0..<actual.width {
                        let ai = actual.offset(x: x, y: y), ei = expected.offset(x: x, y: y)
                        var pixelDelta = 0
                        for c in 0..<4 {
                            let delta = abs(Int(a[ai + c]) - Int(e[ei + c]))
                            pixelDelta = max(pixelDelta, delta)
                            if delta > maxDelta {
                                maxDelta = delta
                                worst = (x, y, c, e[ei + c], a[ai + c])
                            }
                        }
                        if pixelDelta == 1 { offByOnePixels += 1 }
                        if pixelDelta > tolerance { outOfTolerancePixels += 1 }
                    }
                }
            }
        }
    }
}

/// Fails unless `actual` shows the same picture as `expected` within
/// `tolerance` code values per channel; the message names the worst pixel and
/// how many pixels are off by one.
@discardableResult
func assertSamePicture(
    _ actual: RGBAImage, _ expected: RGBAImage, tolerance: Int, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) -> ImageDifference? {
    guard actual.width == expected.width, actual.height == expected.height else {
        XCTFail("\(label): size \(actual.width)x\(actual.height), expected \(expected.width)x\(expected.height)", file: file, line: line)
        return nil
    }
    let difference = ImageDifference(actual, expected, tolerance: tolerance)
    XCTAssertLessThanOrEqual(difference.maxDelta, tolerance, "\(label) (tolerance ±\(tolerance)): \(difference)", file: file, line: line)
    return difference
}

enum TestImages {
    /// 256×256 ramp: red = x and green = y cover all 256 codes (and every
    /// red/green pair); blue = (x + 3y) mod 256 covers all codes too; alpha
    /// = (7x + y) mod 256 so pass-through is checked.
    static func ramp() -> RGBAImage {
        var pixels = [UInt8](repeating: 0, count: 256 * 256 * 4)
        for y in 0..<256 {
            for x in 0..<256 {
                let i = (y * 256 + x) * 4
                pixels[i] = UInt8(x)
                pixels[i + 1] = UInt8(y)
                pixels[i + 2] = UInt8((x + 3 * y) & 255)
                pixels[i + 3] = UInt8((x * 7 + y) & 255)
            }
        }
        return RGBAImage(width: 256, height: 256, pixels: pixels)
    }

    /// Uniform random RGBA from a fixed seed (SplitMix64), so failures repeat.
    static func random(width: Int, height: Int, seed: UInt64, rowOrder: RowOrder = .topDown) -> RGBAImage {
        var state = seed
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        pixels.withUnsafeMutableBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                for k in 0..<8 where i + k < buffer.count {
                    buffer[i + k] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(k)))
                }
                i += 8
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels, rowOrder: rowOrder)
    }

    /// The same picture stored bottom-up.
    static func bottomUp(_ image: RGBAImage) -> RGBAImage {
        let top = image.topDown()
        var pixels = [UInt8](repeating: 0, count: top.pixels.count)
        let stride = top.bytesPerRow
        for row in 0..<top.height {
            let from = (top.height - 1 - row) * stride
            pixels[row * stride..<(row + 1) * stride] = top.pixels[from..<from + stride]
        }
        return RGBAImage(width: top.width, height: top.height, pixels: pixels, rowOrder: .bottomUp)
    }
}

enum TestLUTs {
    /// A strongly non-linear look: channel cross-talk, a contrast S-curve,
    /// a hue twist and values pushed outside [0, 1] before clamping.
    static func nonLinear(size: Int) -> LUT3D {
        LUT3D.sampling(size: size) { c in
            let r = c.x, g = c.y, b = c.z
            let luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
            let s = SIMD3<Float>(
                sinf(3.1 * r + 1.7 * b) * 0.5 + 0.5 * g * g,
                powf(g, 2.2) * 0.8 + 0.3 * r * b,
                1 - powf(1 - b, 3) * (0.6 + 0.4 * luma))
            return s * 1.1 - 0.05
        }
    }

    /// Per-channel curves x^(1/2.4), x^(1/2), x² over the given domain.
    static func shaper(size: Int, domainMin: Float = 0, domainMax: Float = 1) -> LUT1D {
        var values: [Float] = []
        for i in 0..<size {
            let t = Float(i) / Float(size - 1)
            values += [powf(t, 1 / 2.4), powf(t, 1 / 2.0), t * t]
        }
        return LUT1D(
            size: size, domainMin: SIMD3(repeating: domainMin), domainMax: SIMD3(repeating: domainMax), values: values)
    }
}

/// `shaders/passes/lut.frag` in this checkout.
let lutShaderURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("shaders/passes/lut.frag")
