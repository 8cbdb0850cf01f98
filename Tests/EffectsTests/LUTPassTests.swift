import EmpathyCore
import Foundation
import Grading
import XCTest

@testable import Effects
@testable import Rendering

/// The LUT pass alone in a chain, as `empathy grade` runs it.
final class LUTGrade {
    let pass: LUTPass
    let chain: PassChain
    var context: RenderContext { pass.context }
    var tablesInBuffers: Bool { pass.tablesInBuffers }

    init(_ pass: LUTPass) throws {
        self.pass = pass
        chain = try PassChain(context: pass.context, passes: [pass])
    }

    func render(_ frame: RGBAImage, intensity: Float) throws -> RGBAImage {
        var output = RGBAImage(width: 1, height: 1)
        try render(frame, intensity: intensity, into: &output)
        return output
    }

    func render(_ frame: RGBAImage, intensity: Float, into output: inout RGBAImage) throws {
        try pass.setParameter("intensity", intensity)
        try chain.readBack(try chain.draw(frame, inputs: FrameInputs(frameIndex: 0, framesPerSecond: 24, state: EmotionState())),
                           into: &output)
    }
}

/// The LUT pass (what `empathy grade` runs) against `CubeLUT.grade`, the CPU reference. Tolerance: ±1
/// code value per channel (both round the same single-precision formula;
/// the GPU's unorm8 → float conversion and fused arithmetic may differ in the
/// last bit), 0 where the result is exact by construction.
final class LUTPassTests: XCTestCase {
    private func makePass(_ lut: CubeLUT, shader: URL = lutShaderURL, allowTextureBuffers: Bool = true) throws -> LUTGrade {
        try LUTGrade(LUTPass(context: RenderContext(), lut: lut, shaderURL: shader, allowTextureBuffers: allowTextureBuffers))
    }

    /// Renders with both table layouts (texture buffers, and the OpenGL ES
    /// 3.0 layout of 3D/2D textures) and compares each with the reference.
    private func assertMatchesReference(
        _ lut: CubeLUT, _ frame: RGBAImage, intensity: Float = 1, _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let expected = lut.grade(frame, intensity: intensity)
        for allowTextureBuffers in [true, false] {
            let pass = try makePass(lut, allowTextureBuffers: allowTextureBuffers)
            let layout = pass.tablesInBuffers ? "buffers" : "textures"
            let output = try pass.render(frame, intensity: intensity)
            XCTAssertEqual(output.rowOrder, frame.rowOrder, "a pointwise chain keeps the rows' order", file: file, line: line)
            let difference = assertSamePicture(output, expected, tolerance: 1, "\(label) [\(layout)]", file: file, line: line)
            if let difference { print("\(label) [\(layout)]: \(difference)") }
        }
    }

    // MARK: - Exactness and agreement with the CPU reference

    func testIdentityLUTReturnsTheInputExactly() throws {
        for allowTextureBuffers in [true, false] {
            let pass = try makePass(CubeLUT(cube: .identity(size: 17)), allowTextureBuffers: allowTextureBuffers)
            for frame in [TestImages.ramp(), TestImages.random(width: 97, height: 61, seed: 1)] {
                assertSamePicture(
                    try pass.render(frame, intensity: 1), frame, tolerance: 0, "identity 17³ [buffers: \(pass.tablesInBuffers)]")
            }
        }
    }

    func testNonLinear17CubedLUTMatchesCPUReferenceWithinOneCode() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 17))
        try assertMatchesReference(lut, TestImages.ramp(), "17³ ramp")
        try assertMatchesReference(lut, TestImages.random(width: 97, height: 61, seed: 2), "17³ random")
    }

    func testNonLinear33CubedLUTMatchesCPUReferenceWithinOneCode() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 33))
        try assertMatchesReference(lut, TestImages.ramp(), "33³ ramp")
        try assertMatchesReference(lut, TestImages.random(width: 97, height: 61, seed: 3), "33³ random")
    }

    func testDomainOtherThanZeroToOneMatchesCPUReference() throws {
        var cube = TestLUTs.nonLinear(size: 17)
        cube.domainMin = SIMD3(-0.25, 0.1, 0)
        cube.domainMax = SIMD3(1.5, 0.8, 2)
        let lut = CubeLUT(cube: cube)
        try assertMatchesReference(lut, TestImages.ramp(), "domain (-0.25, 0.1, 0)…(1.5, 0.8, 2) ramp")
        try assertMatchesReference(lut, TestImages.random(width: 64, height: 64, seed: 4), "domain random")
    }

    func testShaperThen3DMatchesCPUReference() throws {
        let lut = CubeLUT(shaper: TestLUTs.shaper(size: 1024), cube: TestLUTs.nonLinear(size: 33))
        try assertMatchesReference(lut, TestImages.ramp(), "shaper 1024 + 33³ ramp")
        let widened = CubeLUT(shaper: TestLUTs.shaper(size: 17, domainMin: -0.1, domainMax: 1.2), cube: TestLUTs.nonLinear(size: 17))
        try assertMatchesReference(widened, TestImages.random(width: 64, height: 64, seed: 5), "shaper domain -0.1…1.2 + 17³")
    }

    func testShaperAloneMatchesCPUReference() throws {
        try assertMatchesReference(CubeLUT(shaper: TestLUTs.shaper(size: 4096)), TestImages.ramp(), "shaper 4096 only")
    }

    func testShaperLongerThanATextureRowWrapsAndMatchesCPUReference() throws {
        let context = try RenderContext()
        let lut = CubeLUT(shaper: TestLUTs.shaper(size: context.maxTextureSize * 2 + 3))
        try assertMatchesReference(lut, TestImages.ramp(), "shaper of \(context.maxTextureSize * 2 + 3) entries")
    }

    func testOpenGLES30ContextGradesLikeTheCPUReference() throws {
        let context = try RenderContext(platform: .automatic, versions: [(3, 0)])
        XCTAssertEqual(context.contextVersion, "3.0")
        XCTAssertEqual(context.maxTextureBufferSize, 0)
        let lut = CubeLUT(shaper: TestLUTs.shaper(size: 64), cube: TestLUTs.nonLinear(size: 17))
        let pass = try LUTGrade(LUTPass(context: context, lut: lut, shaderURL: lutShaderURL))
        XCTAssertFalse(pass.tablesInBuffers)
        let frame = TestImages.ramp()
        assertSamePicture(try pass.render(frame, intensity: 0.75), lut.grade(frame, intensity: 0.75), tolerance: 1, "ES 3.0")
    }

    func testIntensityZeroHalfAndOneMatchCPUReference() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 33))
        let frame = TestImages.ramp()
        for intensity: Float in [0, 0.5, 1] {
            try assertMatchesReference(lut, frame, intensity: intensity, "intensity \(intensity)")
        }
        // Intensity 0 leaves the picture exactly as it was.
        assertSamePicture(try makePass(lut).render(frame, intensity: 0), frame, tolerance: 0, "intensity 0 is the input")
    }

    func testIntensityOutsideZeroToOneIsClampedAndNaNIsRejected() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 9))
        let pass = try makePass(lut)
        let frame = TestImages.random(width: 16, height: 8, seed: 6)
        assertSamePicture(try pass.render(frame, intensity: 3), lut.grade(frame, intensity: 1), tolerance: 1, "intensity 3 → 1")
        assertSamePicture(try pass.render(frame, intensity: -2), frame, tolerance: 0, "intensity -2 → 0")
        XCTAssertThrowsError(try pass.render(frame, intensity: .nan)) { error in
            XCTAssertEqual("\(error)", "'\(lutShaderURL.relativePath)' parameter 'intensity' takes 1 finite numbers, got [nan]")
        }
    }

    // MARK: - Frame sizes and orientation

    func testOddFrameSizesMatchCPUReference() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 17))
        let pass = try makePass(lut)
        for (width, height) in [(1, 1), (3, 5), (5, 3), (1, 64), (257, 1)] {
            let frame = TestImages.random(width: width, height: height, seed: UInt64(width * 1000 + height))
            assertSamePicture(try pass.render(frame, intensity: 1), lut.grade(frame), tolerance: 1, "\(width)x\(height)")
        }
    }

    func testFullHDOddSizeFrameIsGradedEverywhere() throws {
        // 1921×1079: rows of odd width, an odd row count, larger than any
        // power of two below it. The identity look makes the expected
        // output the input itself, so every pixel is checked exactly.
        let pass = try makePass(CubeLUT(cube: .identity(size: 33)))
        let frame = TestImages.random(width: 1921, height: 1079, seed: 7)
        assertSamePicture(try pass.render(frame, intensity: 1), frame, tolerance: 0, "1921x1079 identity")
        // And a non-linear look on the same size, against the reference on
        // its first and last rows and columns (the edges are where size
        // mistakes show).
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 17))
        let graded = try makePass(lut).render(frame, intensity: 1)
        for (x, y) in [(0, 0), (1920, 0), (0, 1078), (1920, 1078), (960, 539), (1919, 1077)] {
            let o = frame.offset(x: x, y: y)
            let pixel = RGBAImage(width: 1, height: 1, pixels: Array(frame.pixels[o..<o + 4]))
            let expected = lut.grade(pixel)
            let g = graded.offset(x: x, y: y)
            for c in 0..<4 {
                XCTAssertLessThanOrEqual(
                    abs(Int(graded.pixels[g + c]) - Int(expected.pixels[c])), 1,
                    "pixel (\(x), \(y)) channel \(c): expected \(expected.pixels[c]), got \(graded.pixels[g + c])")
            }
        }
    }

    func testFrameSizeChangeBetweenCallsReallocatesAndStaysCorrect() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 17))
        let pass = try makePass(lut)
        var output = RGBAImage(width: 1, height: 1)
        for (index, (width, height)) in [(64, 48), (17, 9), (17, 9), (64, 48), (3, 200)].enumerated() {
            let frame = TestImages.random(width: width, height: height, seed: UInt64(100 + index))
            try pass.render(frame, intensity: 1, into: &output)
            XCTAssertEqual(output.width, width)
            XCTAssertEqual(output.height, height)
            assertSamePicture(output, lut.grade(frame), tolerance: 1, "call \(index): \(width)x\(height)")
        }
    }

    func testTopDownAndBottomUpInputsGiveTheSamePicture() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 17))
        let pass = try makePass(lut)
        let topDown = TestImages.random(width: 31, height: 17, seed: 8)
        let bottomUp = TestImages.bottomUp(topDown)
        let fromTop = try pass.render(topDown, intensity: 1)
        let fromBottom = try pass.render(bottomUp, intensity: 1)
        XCTAssertEqual(fromTop.rowOrder, .topDown, "a pointwise chain draws no flip")
        assertSamePicture(fromTop, fromBottom, tolerance: 0, "same picture whatever the input row order")
        assertSamePicture(fromTop, lut.grade(topDown), tolerance: 1, "top-down input")
    }

    func testRowsComeBackInTheFramesOrder() throws {
        // A picture whose top row is white and the rest black: top-down in,
        // the white row first in memory; bottom-up in, last.
        var frame = RGBAImage(width: 4, height: 3)
        for x in 0..<4 { for c in 0..<3 { frame.pixels[frame.offset(x: x, y: 0) + c] = 255 } }
        let pass = try makePass(CubeLUT(cube: .identity(size: 2)))
        let black = [UInt8](repeating: 0, count: 16).enumerated().map { $0.offset % 4 == 3 ? UInt8(255) : 0 }
        let fromTop = try pass.render(frame, intensity: 1)
        XCTAssertEqual(Array(fromTop.pixels[0..<16]), [UInt8](repeating: 255, count: 16))
        XCTAssertEqual(Array(fromTop.pixels[32..<48]), black)
        let fromBottom = try pass.render(TestImages.bottomUp(frame), intensity: 1)
        XCTAssertEqual(fromBottom.rowOrder, .bottomUp)
        XCTAssertEqual(Array(fromBottom.pixels[0..<16]), black)
        XCTAssertEqual(Array(fromBottom.pixels[32..<48]), [UInt8](repeating: 255, count: 16))
    }

    // MARK: - Large tables

    func testTablesLiveInTextureBuffersOnOpenGLES32() throws {
        let context = try RenderContext()
        let lut = CubeLUT(shaper: TestLUTs.shaper(size: 16), cube: TestLUTs.nonLinear(size: 17))
        let pass = try LUTPass(context: context, lut: lut, shaderURL: lutShaderURL)
        XCTAssertEqual(pass.tablesInBuffers, context.contextVersion == "3.2", "context \(context.version)")
        let forced = try LUTPass(context: context, lut: lut, shaderURL: lutShaderURL, allowTextureBuffers: false)
        XCTAssertFalse(forced.tablesInBuffers)
    }

    func testLUTOfSize256StillWorks() throws {
        let context = try RenderContext()
        let lut = CubeLUT(cube: .identity(size: 256))
        let frame = TestImages.ramp()
        for allowTextureBuffers in [true, false] {
            let fits = allowTextureBuffers ? context.maxTextureBufferSize >= 256 * 256 * 256 : context.max3DTextureSize >= 256
            guard fits || allowTextureBuffers else {
                // Then the pass must say so clearly instead of failing in GL.
                XCTAssertThrowsError(try LUTPass(context: context, lut: lut, shaderURL: lutShaderURL, allowTextureBuffers: false)) {
                    XCTAssertTrue("\($0)".contains("3D texture limit"), "\($0)")
                }
                continue
            }
            let pass = try LUTGrade(LUTPass(context: context, lut: lut, shaderURL: lutShaderURL, allowTextureBuffers: allowTextureBuffers))
            let layout = pass.tablesInBuffers ? "buffers" : "textures"
            assertSamePicture(try pass.render(frame, intensity: 1), frame, tolerance: 0, "identity 256³ [\(layout)]")
        }
    }

    // MARK: - Bad input

    func testBrokenShaderNamesTheFileAndLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grade-broken-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = try String(contentsOf: lutShaderURL, encoding: .utf8).components(separatedBy: "\n")
        let mainLine = try XCTUnwrap(lines.firstIndex(of: "void main() {"))
        lines.insert("    float broken = ;", at: mainLine + 1)
        let broken = directory.appendingPathComponent("broken.frag")
        try lines.joined(separator: "\n").write(to: broken, atomically: true, encoding: .utf8)

        XCTAssertThrowsError(try makePass(CubeLUT(cube: .identity(size: 2)), shader: broken)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("'\(broken.path)' line \(mainLine + 2): "), message)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)")
        }
    }

    func testMissingShaderFileIsOneLineWithENOENT() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/grade.frag")
        XCTAssertThrowsError(try makePass(CubeLUT(cube: .identity(size: 2)), shader: missing)) { error in
            XCTAssertEqual(
                "\(error)", "cannot read shader '/nonexistent/grade.frag': No such file or directory (ENOENT)")
        }
    }

    func testShaderPathThatIsAFolderIsOneLineWithEISDIR() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grade-folder-\(getpid()).frag")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try makePass(CubeLUT(cube: .identity(size: 2)), shader: folder)) { error in
            XCTAssertEqual("\(error)", "cannot read shader '\(folder.path)': Is a directory (EISDIR)")
        }
    }

    func testShaderHeaderThatIsNotJSONIsRejected() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grade-header-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOf: lutShaderURL, encoding: .utf8)
            .replacingOccurrences(of: "\"CATEGORIES\": [\"Color\"],", with: "\"CATEGORIES\": [Color],")
        let bad = directory.appendingPathComponent("bad-header.frag")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try makePass(CubeLUT(cube: .identity(size: 2)), shader: bad)) { error in
            XCTAssertTrue("\(error)".hasPrefix("'\(bad.path)' line 1: header: not valid JSON"), "\(error)")
        }
    }

    func testLUTShaderHeaderDeclaresImageAndIntensityInputs() throws {
        let header = try ISFShader.load(lutShaderURL).header
        XCTAssertEqual(header.inputs.map(\.name), ["inputImage", "intensity"])
        let intensity = try XCTUnwrap(header.input(named: "intensity"))
        XCTAssertEqual(intensity.type, .float)
        XCTAssertEqual(intensity.defaultValue, [1])
        XCTAssertEqual(intensity.minimum, [0])
        XCTAssertEqual(intensity.maximum, [1])
    }

    func testDomainMaxNotAboveMinIsRejectedBeforeRendering() throws {
        var cube = LUT3D.identity(size: 2)
        cube.domainMax = SIMD3(1, 0, 1)
        XCTAssertThrowsError(try makePass(CubeLUT(title: "flat", cube: cube))) { error in
            XCTAssertEqual(
                "\(error)",
                "LUT 'flat': the 3D domain runs from 0.0 to 0.0 in channel 1; DOMAIN_MAX must be above DOMAIN_MIN")
        }
    }

    // MARK: - Timing (printed, not asserted)

    func testTimingAt1080pIsPrintedPerStage() throws {
        let lut = CubeLUT(cube: TestLUTs.nonLinear(size: 33))
        let frame = TestImages.random(width: 1920, height: 1080, seed: 9)
        for allowTextureBuffers in [true, false] {
            let pass = try makePass(lut, allowTextureBuffers: allowTextureBuffers)
            var output = RGBAImage(width: 1920, height: 1080, rowOrder: .bottomUp)
            try pass.render(frame, intensity: 1, into: &output)  // warm-up: allocation, shader JIT
            let frames = 10
            let inputs = FrameInputs(frameIndex: 0, framesPerSecond: 24, state: EmotionState())
            var readback: [Double] = [], total: [Double] = []
            func milliseconds(_ from: UInt64, _ to: UInt64) -> Double { Double(to - from) / 1e6 }
            pass.chain.timesStages = true
            for _ in 0..<frames {
                let texture = try pass.chain.draw(frame, inputs: inputs)
                let t0 = DispatchTime.now().uptimeNanoseconds
                try pass.chain.readBack(texture, into: &output)
                let t1 = DispatchTime.now().uptimeNanoseconds
                try pass.render(frame, intensity: 1, into: &output)
                let t2 = DispatchTime.now().uptimeNanoseconds
                readback.append(milliseconds(t0, t1))
                total.append(milliseconds(t1, t2))
            }
            func summary(_ values: [Double]) -> String {
                String(format: "%.2f (min %.2f)", values.reduce(0, +) / Double(values.count), values.min() ?? 0)
            }
            // Stages are summed over the timed frames and the render() calls.
            let stages = pass.chain.stageSeconds.map { String(format: "%@ %.2f", $0.name, 1000 * $0.seconds / Double(2 * frames)) }
            print(
                "grade 1920x1080, 33³ tetrahedral, tables in \(pass.tablesInBuffers ? "texture buffers" : "a 3D texture"), "
                    + "\(pass.context.renderer): \(stages.joined(separator: " ms, ")) ms, "
                    + "readback \(summary(readback)) ms; render() \(summary(total)) ms per frame (mean of \(frames))")
            // The timed frames must still be right: spot-check against the reference.
            for (x, y) in [(0, 0), (1919, 1079), (777, 333)] {
                let o = frame.offset(x: x, y: y)
                let expected = lut.grade(RGBAImage(width: 1, height: 1, pixels: Array(frame.pixels[o..<o + 4])))
                let g = output.offset(x: x, y: y)
                for c in 0..<4 {
                    XCTAssertLessThanOrEqual(
                        abs(Int(output.pixels[g + c]) - Int(expected.pixels[c])), 1, "pixel (\(x), \(y)) channel \(c)")
                }
            }
        }
    }

    func testTwoContextsOnOneThreadEachRenderWithTheirOwnObjects() throws {
        // Creating a second context makes it current; the first pass must
        // switch back to its own context before drawing.
        let first = try RenderContext()
        let pass = try LUTGrade(LUTPass(context: first, lut: .init(cube: TestLUTs.nonLinear(size: 9)), shaderURL: lutShaderURL))
        let second = try RenderContext()
        XCTAssertNotEqual(first.context, second.context)
        let frame = TestImages.random(width: 7, height: 5, seed: 11)
        let output = try pass.render(frame, intensity: 1)
        assertSamePicture(
            output, CubeLUT(cube: TestLUTs.nonLinear(size: 9)).grade(frame), tolerance: 1, "after a second context")
    }
}
