import EmpathyCore
import Foundation
import Grading
import ImageSequence
import TestSupport
import XCTest

/// `empathy grade --format png16|exr`: the passes run in floating point end
/// to end, so the files carry the LUT's precision. Read back by OpenImageIO
/// (oiiotool) and compared with the CPU reference of the same LUT.
final class GradeFormatTests: XCTestCase {
    var tmp: URL!
    let midnight = EmpathyProcess.repositoryRoot.appendingPathComponent("shaders/luts/neon-noir/midnight.cube").path

    override func setUpWithError() throws {
        tmp = try EmpathyProcess.temporaryDirectory()
        // Four 256×4 frames: red ramps 0…255 across, green steps by 7, blue falls.
        for n in 1...4 {
            var image = RGBAImage(width: 256, height: 4)
            for y in 0..<4 {
                for x in 0..<256 {
                    let o = image.offset(x: x, y: y)
                    image.pixels[o] = UInt8(x)
                    image.pixels[o + 1] = UInt8((x * 7 + 40 * y + 9 * n) % 256)
                    image.pixels[o + 2] = UInt8(255 - x)
                }
            }
            try PNGCodec.write(image, to: tmp.appendingPathComponent(String(format: "ramp.%04d.png", n)).path)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    var rampPattern: String { tmp.appendingPathComponent("ramp.%04d.png").path }

    func grade(_ arguments: [String], out: String) throws {
        let result = try EmpathyProcess.run(["grade", rampPattern, "--lut", "midnight", "--out", out, "--quiet"] + arguments)
        XCTAssertEqual(result.status, 0, "stderr: \(result.stderr)")
    }

    /// The CPU reference for input pixel (x, y) of frame `n`.
    func reference(_ lut: CubeLUT, x: Int, y: Int, n: Int) -> SIMD3<Float> {
        let input = SIMD3<Float>(Float(x), Float((x * 7 + 40 * y + 9 * n) % 256), Float(255 - x)) / 255
        return lut.apply(input)
    }

    /// Worst |read − expected| over frame 1, with `tolerance(expected)` per value.
    func check(_ path: String, channels: Int, expected: (Int, Int) -> SIMD3<Float>, tolerance: (Double) -> Double,
               file: StaticString = #filePath, line: UInt = #line) throws -> OpenImageIOPixels {
        let read = try OpenImageIOPixels.read(path)
        XCTAssertEqual([read.width, read.height, read.channels], [256, 4, channels], file: file, line: line)
        var worst = (excess: -Double.infinity, x: 0, y: 0, c: 0, got: 0.0, want: 0.0)
        for y in 0..<4 {
            for x in 0..<256 {
                let e = expected(x, y)
                for c in 0..<3 {
                    let want = Double(e[c]), got = read.value(x: x, y: y, channel: c)
                    let excess = abs(got - want) - tolerance(want)
                    if excess > worst.excess { worst = (excess, x, y, c, got, want) }
                }
            }
        }
        XCTAssertLessThanOrEqual(worst.excess, 0, "\(path): worst pixel (\(worst.x), \(worst.y)) channel \(worst.c) is \(worst.got), expected \(worst.want)",
                                 file: file, line: line)
        return read
    }

    /// Tolerance: half-float rounding (2⁻¹¹ relative) plus 1e-5 for the
    /// GPU's float arithmetic against the CPU's.
    func testOpenEXRGradeMatchesTheCPUReferenceWithinHalfPrecision() throws {
        let lut = try CubeFile.read(path: midnight)
        let out = tmp.appendingPathComponent("exr").path
        try grade(["--format", "exr", "--frames", "1-1"], out: out)
        let read = try check(out + "/ramp/ramp.0001.exr", channels: 4, expected: { self.reference(lut, x: $0, y: $1, n: 1) },
                             tolerance: { abs($0) * 0x1p-11 + 1e-5 })
        XCTAssert(read.attributes.contains { $0.hasPrefix("chromaticities: 0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329") })
    }

    func testLinearOpenEXRIsTheDisplayGradeWithTheSRGBCurveUndone() throws {
        let lut = try CubeFile.read(path: midnight)
        let out = tmp.appendingPathComponent("linear").path
        try grade(["--format", "exr", "--linear", "--frames", "1-1"], out: out)
        func linear(_ v: Float) -> Float { v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4) }
        _ = try check(out + "/ramp/ramp.0001.exr", channels: 4, expected: {
            let e = self.reference(lut, x: $0, y: $1, n: 1)
            return SIMD3(linear(e.x), linear(e.y), linear(e.z))
        }, tolerance: { abs($0) * 0x1p-10 + 2e-5 })
    }

    /// Tolerance: the 16-bit code's rounding (0.5 / 65535) plus 1e-5.
    func testSixteenBitGradeOfARampHasNoEightBitSteps() throws {
        let lut = try CubeFile.read(path: midnight)
        let out = tmp.appendingPathComponent("png16").path
        try grade(["--format", "png16", "--frames", "1-1"], out: out)
        let read = try check(out + "/ramp/ramp.0001.png", channels: 3, expected: { self.reference(lut, x: $0, y: $1, n: 1) },
                             tolerance: { _ in 0.5 / 65535 + 1e-5 })
        // An 8-bit grade would put every value on k / 255; this one almost never does.
        let offGrid = read.values.filter { abs($0 * 255 - ($0 * 255).rounded()) > 0.02 }.count
        XCTAssertGreaterThan(Double(offGrid) / Double(read.values.count), 0.8, "\(offGrid) of \(read.values.count) values off the 8-bit grid")
    }

    func testOpenEXRChunksEqualOneRunByteForByte() throws {
        let whole = tmp.appendingPathComponent("whole").path, chunks = tmp.appendingPathComponent("chunks").path
        try grade(["--format", "exr", "--frames", "1-4"], out: whole)
        try grade(["--format", "exr", "--frames", "1-2"], out: chunks)
        try grade(["--format", "exr", "--frames", "3-4"], out: chunks)
        for n in 1...4 {
            let name = String(format: "ramp/ramp.%04d.exr", n)
            let a = try Data(contentsOf: URL(fileURLWithPath: whole + "/" + name))
            let b = try Data(contentsOf: URL(fileURLWithPath: chunks + "/" + name))
            XCTAssertEqual(a, b, name)
        }
        // A re-run skips the complete frames.
        let again = try EmpathyProcess.run(["grade", rampPattern, "--lut", "midnight", "--out", whole, "--format", "exr"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssert(again.stdout.contains("0 written, 4 skipped"), again.stdout)
    }

    func testLinearWithoutOpenEXRIsOneClearLine() throws {
        let result = try EmpathyProcess.run(["grade", rampPattern, "--lut", "midnight", "--out", tmp.path, "--linear"])
        XCTAssertEqual(result.status, 64)
        XCTAssert(result.stderr.contains("--linear needs --format exr"), result.stderr)
        let bad = try EmpathyProcess.run(["grade", rampPattern, "--lut", "midnight", "--out", tmp.path, "--format", "tiff"])
        XCTAssertEqual(bad.status, 64)
        XCTAssert(bad.stderr.contains("png16") && bad.stderr.contains("exr"), bad.stderr)
    }
}
