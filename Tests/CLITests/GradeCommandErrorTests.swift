import Foundation
import TestSupport
import XCTest

/// Bad input: one line on stderr naming the file and what to do, a non-zero
/// exit, and no output frames.
final class GradeCommandErrorTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = try EmpathyProcess.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    private var demoClip: String { EmpathyProcess.repositoryRoot.appendingPathComponent("footage/demo/astronaut.mp4").path }

    /// Runs a grade that must fail with exit status 1 and exactly one error line containing every fragment.
    private func assertFails(_ arguments: [String], mentions fragments: [String], environment: [String: String] = [:],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let out = tmp.appendingPathComponent("out").path
        let result = try EmpathyProcess.run(["grade"] + arguments + ["--out", out, "--quiet"], environment: environment)
        XCTAssertEqual(result.status, 1, "exit status; stderr: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.errorLines.count, 1, "expected one error line, got:\n\(result.stderr)", file: file, line: line)
        let message = String(result.errorLines.first ?? "")
        XCTAssertTrue(message.hasPrefix("empathy: error: "), message, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment), "'\(message)' should mention '\(fragment)'", file: file, line: line)
        }
        let pngs = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }
        XCTAssertEqual(pngs, [], "no frames may be written", file: file, line: line)
    }

    func testMissingClipIsNamed() throws {
        try assertFails(["/no/such/scene.mp4", "--lut", "midnight"], mentions: ["/no/such/scene.mp4"])
    }

    func testTextFileIsNotAVideo() throws {
        let fake = tmp.appendingPathComponent("notes.mp4")
        try "these are not frames\n".write(to: fake, atomically: true, encoding: .utf8)
        try assertFails([fake.path, "--lut", "midnight"], mentions: [fake.path])
    }

    func testUnknownLookListsTheChoices() throws {
        try assertFails([demoClip, "--lut", "sepia-dream"], mentions: ["unknown look 'sepia-dream'", "neon-noir/"])
    }

    func testMalformedLUTNamesFileAndLine() throws {
        let lut = tmp.appendingPathComponent("broken.cube")
        try "TITLE \"broken\"\nLUT_3D_SIZE 2\n0 0 0\n1 0\n".write(to: lut, atomically: true, encoding: .utf8)
        try assertFails([demoClip, "--lut", lut.path], mentions: ["broken.cube", "line 4"])
    }

    func testUnwritableOutputFolderIsNamed() throws {
        let blocker = tmp.appendingPathComponent("file")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let result = try EmpathyProcess.run(
            ["grade", demoClip, "--lut", "midnight", "--out", blocker.appendingPathComponent("graded").path, "--quiet"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(blocker.path), result.stderr)
    }

    func testMissingEGLDriverGivesOneLine() throws {
        // glvnd finds no EGL vendor library: the state of a machine without Mesa or a GPU driver.
        try assertFails([demoClip, "--lut", "midnight", "--frames", "1"], mentions: ["EGL"],
                        environment: ["__EGL_VENDOR_LIBRARY_FILENAMES": "/nonexistent/vendor.json",
                                      "__EGL_VENDOR_LIBRARY_DIRS": "/nonexistent"])
    }

    func testArgumentMistakesExitWithUsageStatus() throws {
        for (arguments, fragment) in [
            (["--intensity", "1.5"], "--intensity"),
            (["--frames", "9-3"], "--frames"),
            (["--padding", "0"], "--padding"),
            (["--egl", "vulkan"], "--egl"),
            // File numbers that would overflow N + f − 1 are refused before any work.
            (["--start-number", "9223372036854775807"], "--start-number must be from 0 to 999999999"),
        ] {
            let result = try EmpathyProcess.run(["grade", demoClip, "--lut", "midnight"] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
        }
    }

    /// A range wholly beyond the clip is a mistake, not "nothing to do".
    func testFramesBeyondTheClipAreOneLine() throws {
        for frames in ["9223372036854775807", "200-300"] {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-never-\(getpid())").path
            let result = try EmpathyProcess.run(["grade", demoClip, "--lut", "midnight", "--frames", frames, "--out", out])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "checked before any folder is made")
            XCTAssertEqual(result.stderr.split(separator: "\n").last.map(String.init),
                           "empathy: error: --frames \(frames) is beyond '\(demoClip)', which has 96 frames")
        }
    }

    /// Two frames numbered 1 and 99999999: refused at once (the gap named),
    /// without planning, scanning or allocating a hundred million frames.
    func testAWideGapInASequenceIsNamedAtOnce() throws {
        let folder = tmp.appendingPathComponent("gap").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let make = try runCommand("/usr/bin/ffmpeg", ["-v", "error", "-i", demoClip, "-frames:v", "2", folder + "/shot.%08d.png"])
        XCTAssertEqual(make.status, 0, make.standardError)
        try FileManager.default.copyItem(atPath: folder + "/shot.00000001.png", toPath: folder + "/shot.99999999.png")
        let started = Date()
        try assertFails([folder + "/shot.%08d.png", "--lut", "midnight"], mentions: ["has no file for frame 3 of frames 1-99999999"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "found from the files present")
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("out").path), "checked before any folder is made")
    }

    /// Grading a sequence into its own folder under its own names would
    /// replace the source (with --overwrite) or skip every frame as done:
    /// refused at once, the source untouched.
    func testAnOutputThatIsTheInputIsRefused() throws {
        let folder = tmp.appendingPathComponent("reel/shot").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let make = try runCommand("/usr/bin/ffmpeg", ["-v", "error", "-i", demoClip, "-frames:v", "3", folder + "/shot.%04d.png"])
        XCTAssertEqual(make.status, 0, make.standardError)
        let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/shot.0002.png"))
        for extra in [[], ["--overwrite"]] {
            let result = try EmpathyProcess.run(["grade", folder + "/shot.%04d.png", "--lut", "midnight", "--quiet",
                                                 "--out", tmp.appendingPathComponent("reel").path] + extra)
            XCTAssertEqual(result.status, 1, "\(extra): \(result.stderr)")
            XCTAssertEqual(result.errorLines.map(String.init),
                           ["empathy: error: the output '\(folder)/shot.0001.png' would overwrite the input frame '\(folder)/shot.0001.png'; write to another folder with --out"])
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/shot.0002.png")), before, "the source is untouched")
        // Another start number misses the source's names: allowed.
        let shifted = try EmpathyProcess.run(["grade", folder + "/shot.%04d.png", "--lut", "midnight", "--quiet",
                                              "--out", tmp.appendingPathComponent("reel").path, "--start-number", "1001"])
        XCTAssertEqual(shifted.status, 0, shifted.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/shot.1003.png"))
    }
}
