import EmpathyCore
import Foundation
import Grading
import ImageSequence
import XCTest

/// `empathy grade` end to end: real decode, real EGL pass, real PNG files
/// read back with libpng.
final class GradeCommandTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = try EmpathyProcess.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    private let demoClip = EmpathyProcess.repositoryRoot.appendingPathComponent("footage/demo/astronaut.mp4").path
    private let midnight = EmpathyProcess.repositoryRoot.appendingPathComponent("shaders/luts/neon-noir/midnight.cube").path

    private func grade(_ arguments: [String], out: URL) throws -> EmpathyProcess.Result {
        let result = try EmpathyProcess.run(["grade", demoClip, "--out", out.path, "--quiet"] + arguments)
        XCTAssertEqual(result.status, 0, "stderr: \(result.stderr)\nstdout: \(result.stdout)")
        return result
    }

    private func pngs(in dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
    }

    /// Tolerance: ±1 code value, the GPU's float arithmetic against the CPU's.
    func testGradedFramesMatchTheCPUReferenceOfTheirDecodedInput() throws {
        let graded = tmp.appendingPathComponent("graded"), decoded = tmp.appendingPathComponent("decoded")
        _ = try grade(["--lut", "midnight", "--frames", "1-3"], out: graded)
        _ = try grade(["--lut", "midnight", "--frames", "1-3", "--intensity", "0"], out: decoded)
        let lut = try CubeFile.read(path: midnight)
        for n in 1...3 {
            let name = String(format: "astronaut.%04d.png", n)
            let input = try PNGCodec.read(path: decoded.appendingPathComponent("astronaut/\(name)").path)
            let output = try PNGCodec.read(path: graded.appendingPathComponent("astronaut/\(name)").path)
            let expected = lut.grade(input)
            XCTAssertEqual(output.width, 640)
            XCTAssertEqual(output.height, 360)
            var worst = (diff: 0, x: 0, y: 0)
            var changed = 0
            for y in 0..<output.height {
                for x in 0..<output.width {
                    let o = output.offset(x: x, y: y), e = expected.offset(x: x, y: y)
                    for c in 0..<3 {
                        let d = abs(Int(output.pixels[o + c]) - Int(expected.pixels[e + c]))
                        if d > worst.diff { worst = (d, x, y) }
                        if input.pixels[o + c] != output.pixels[o + c] { changed += 1 }
                    }
                }
            }
            XCTAssertLessThanOrEqual(worst.diff, 1, "\(name): worst pixel (\(worst.x), \(worst.y)) off by \(worst.diff)")
            XCTAssertGreaterThan(changed, output.width * output.height, "\(name): the look barely changed the frame")
        }
    }

    func testFrameRangeAndStartNumberNameTheFiles() throws {
        let out = tmp.appendingPathComponent("g")
        let result = try grade(["--lut", "rain", "--frames", "3-5", "--start-number", "1001", "--padding", "5"], out: out)
        XCTAssertEqual(pngs(in: out.appendingPathComponent("astronaut")),
                       ["astronaut.01003.png", "astronaut.01004.png", "astronaut.01005.png"])
        XCTAssertTrue(result.stdout.contains("3 written, 0 skipped"), result.stdout)
    }

    /// A farm's chunk as OpenJD hands it out: a list with a stepped range;
    /// the frames equal the same frames of a whole run, byte for byte.
    func testOpenJDRangeExpressionsPickTheFramesAndMatchAWholeRun() throws {
        let chunk = tmp.appendingPathComponent("chunk"), whole = tmp.appendingPathComponent("whole")
        let result = try grade(["--lut", "midnight", "--frames", "1-2,7,10-14:2"], out: chunk)
        XCTAssertTrue(result.stdout.contains("6 written, 0 skipped"), result.stdout)
        let names = pngs(in: chunk.appendingPathComponent("astronaut"))
        XCTAssertEqual(names, [1, 2, 7, 10, 12, 14].map { String(format: "astronaut.%04d.png", $0) })
        _ = try grade(["--lut", "midnight", "--frames", "1-14"], out: whole)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: chunk.appendingPathComponent("astronaut/" + name)),
                           try Data(contentsOf: whole.appendingPathComponent("astronaut/" + name)), name)
        }
    }

    func testRerunSkipsCompleteFramesAndRedoesBrokenOnes() throws {
        let out = tmp.appendingPathComponent("g"), clipDir = out.appendingPathComponent("astronaut")
        _ = try grade(["--lut", "midnight", "--frames", "1-4"], out: out)
        let frame1 = try Data(contentsOf: clipDir.appendingPathComponent("astronaut.0001.png"))
        let frame2Path = clipDir.appendingPathComponent("astronaut.0002.png")
        let frame2 = try Data(contentsOf: frame2Path)
        try frame2.prefix(frame2.count / 2).write(to: frame2Path)  // as if a copy had been cut short
        try FileManager.default.removeItem(at: clipDir.appendingPathComponent("astronaut.0003.png"))
        let rerun = try grade(["--lut", "midnight", "--frames", "1-4"], out: out)
        XCTAssertTrue(rerun.stdout.contains("2 written, 2 skipped"), rerun.stdout)
        XCTAssertEqual(try Data(contentsOf: frame2Path), frame2, "a redone frame must equal the first run's bytes")
        XCTAssertEqual(try Data(contentsOf: clipDir.appendingPathComponent("astronaut.0001.png")), frame1)
        let forced = try grade(["--lut", "midnight", "--frames", "1-4", "--overwrite"], out: out)
        XCTAssertTrue(forced.stdout.contains("4 written, 0 skipped"), forced.stdout)
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: clipDir.path)) ?? []).filter { !$0.hasSuffix(".png") || $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "temporary files left behind")
    }

    func testManyClipsGetOneFolderEach() throws {
        let second = tmp.appendingPathComponent("second.mp4")
        try FileManager.default.copyItem(atPath: demoClip, toPath: second.path)
        let out = tmp.appendingPathComponent("g")
        let result = try EmpathyProcess.run(["grade", demoClip, second.path, "--lut", "chrome", "--frames", "1-2",
                                             "--out", out.path, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(pngs(in: out.appendingPathComponent("astronaut")), ["astronaut.0001.png", "astronaut.0002.png"])
        XCTAssertEqual(pngs(in: out.appendingPathComponent("second")), ["second.0001.png", "second.0002.png"])
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("astronaut/astronaut.0002.png")),
                       try Data(contentsOf: out.appendingPathComponent("second/second.0002.png")))
    }

    func testProgressIsOneJSONLinePerSecondWhenNotATerminal() throws {
        let out = tmp.appendingPathComponent("g")
        let result = try EmpathyProcess.run(["grade", demoClip, "--lut", "sodium", "--frames", "1-6", "--out", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.errorLines
        XCTAssertFalse(lines.isEmpty, "no progress lines")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(object?["fps"], "not a progress line: \(line)")
        }
        let last = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        XCTAssertEqual(last["frame"] as? Int, 6)
        XCTAssertEqual(last["frames"] as? Int, 6)
        XCTAssertTrue(result.stdout.contains("astronaut.0001.png"), "summary names the output: \(result.stdout)")
    }

    func testTruncatedClipFailsNamingTheFrameAndKeepsCompleteFrames() throws {
        // Cut the demo clip (moov atom first) in half: the container promises
        // 96 frames, the data holds about half.
        let clip = tmp.appendingPathComponent("cut.mp4")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: demoClip))
        try bytes.prefix(bytes.count / 2).write(to: clip)
        let out = tmp.appendingPathComponent("g")
        let result = try EmpathyProcess.run(["grade", clip.path, "--lut", "midnight", "--out", out.path, "--quiet"])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("FAILED") && result.stdout.contains("cut.mp4"), result.stdout)
        XCTAssertTrue(result.stdout.range(of: "frame [0-9]+", options: .regularExpression) != nil, result.stdout)
        let frames = pngs(in: out.appendingPathComponent("cut"))
        XCTAssertGreaterThan(frames.count, 10)
        XCTAssertLessThan(frames.count, 96)
        for name in frames {
            XCTAssertTrue(PNGCodec.isComplete(path: out.appendingPathComponent("cut/\(name)").path), name)
        }
    }
}
