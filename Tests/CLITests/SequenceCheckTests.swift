import EmpathyCore
import Foundation
import ImageSequence
import TestSupport
import XCTest

/// `empathy sequence check`: what a wrangler runs before delivery.
final class SequenceCheckTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("seqcheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    func frame(_ n: Int) -> URL { tmp.appendingPathComponent(String(format: "shot.%04d.png", n)) }

    /// Frames 1–10 of 8×8 written, then 4 removed, 6 cut short, 8 replaced
    /// by a 16×8 frame, and a dead writer's temporary beside them; checked
    /// against 1–12.
    func testListsMissingIncompleteAndForeignFramesAndTheFramesToRenderAgain() throws {
        for n in 1...10 { try PNGCodec.write(RGBAImage(width: 8, height: 8), to: frame(n).path) }
        try FileManager.default.removeItem(at: frame(4))
        let bytes = try Data(contentsOf: frame(6))
        try bytes.prefix(bytes.count - 5).write(to: frame(6))
        try PNGCodec.write(RGBAImage(width: 16, height: 8), to: frame(8).path)
        // pid 2^22 + 1 is above Linux's pid_max: no process has it.
        try Data("x".utf8).write(to: tmp.appendingPathComponent(".shot.0009.png.4194305.tmp"))

        let run = try EmpathyCommand.run(["sequence", "check", tmp.path, "--frames", "1-12"])
        XCTAssertEqual(run.status, 1, run.standardError)
        let out = run.standardOutput
        XCTAssertTrue(out.contains("checked 12 frames"), out)
        XCTAssertTrue(out.contains("(8x8 8-bit RGB PNG): 3 missing, 1 incomplete, 1 foreign, 1 temporary"), out)
        XCTAssertTrue(out.contains("missing     shot.0004.png (frame 4)"), out)
        XCTAssertTrue(out.contains("incomplete  shot.0006.png (frame 6)"), out)
        XCTAssertTrue(out.contains("foreign     shot.0008.png (frame 8): 16x8 8-bit RGB PNG, the others 8x8 8-bit RGB PNG"), out)
        XCTAssertTrue(out.contains("temporary   .shot.0009.png.4194305.tmp"), out)
        XCTAssertTrue(out.hasSuffix("render again: --frames 4,6,8,11-12\n"), out)

        let redo = try EmpathyCommand.run(["sequence", "check", tmp.path, "--frames", "1-12", "--redo"])
        XCTAssertEqual(redo.status, 1)
        XCTAssertEqual(redo.standardOutput, "4,6,8,11-12\n")
        let stepped = try EmpathyCommand.run(["sequence", "check", tmp.path, "--frames", "1-9:4", "--redo"])
        XCTAssertEqual(stepped.standardOutput, "\n", "frames 1, 5 and 9 are whole (the temporary still fails the check)")
        XCTAssertEqual(stepped.status, 1)
    }

    func testACompleteSequenceExitsZeroAndDefaultsToItsOwnFiles() throws {
        for n in 3...7 { try PNGCodec.write(RGBAImage(width: 4, height: 2), to: frame(n).path) }
        let run = try EmpathyCommand.run(["sequence", "check", tmp.path])
        XCTAssertEqual(run.status, 0, run.standardOutput + run.standardError)
        XCTAssertTrue(run.standardOutput.contains("checked 5 frames"), run.standardOutput)
        XCTAssertTrue(run.standardOutput.contains("0 missing, 0 incomplete, 0 foreign, 0 temporary"), run.standardOutput)
        let open = try EmpathyCommand.run(["sequence", "check", tmp.path, "--frames", "5-", "--redo"])
        XCTAssertEqual(open.status, 0)
        XCTAssertEqual(open.standardOutput, "\n")
    }

    func testBadFoldersAndSpecsAreOneLine() throws {
        try PNGCodec.write(RGBAImage(width: 4, height: 2), to: frame(1).path)
        try PNGCodec.write(RGBAImage(width: 4, height: 2), to: tmp.appendingPathComponent("other.0001.png").path)
        let cases: [([String], String)] = [
            (["sequence", "check", tmp.appendingPathComponent("absent").path], "absent"),
            (["sequence", "check", tmp.path], "--stem"),
            (["sequence", "check", tmp.path, "--stem", "shot", "--frames", "1-99999999999"], "10,000,000"),
            (["sequence", "check", tmp.path, "--stem", "nope"], "--frames"),
        ]
        for (arguments, fragment) in cases {
            let run = try EmpathyCommand.run(arguments)
            XCTAssertEqual(run.status, 1, "\(arguments)")
            XCTAssertEqual(run.errorLines.count, 1, run.standardError)
            XCTAssertTrue(run.standardError.contains(fragment), "\(arguments): \(run.standardError)")
        }
        let none = try EmpathyCommand.run(["sequence", "check", tmp.path, "--stem", "nope", "--frames", "1-3", "--redo"])
        XCTAssertEqual(none.standardOutput, "1-3\n", "no file yet: every frame is missing")
    }

    /// The exit-code contract's classification: full disks, vanished or
    /// stalled shared file systems and a lost GPU context may clear; a
    /// missing input or a bad file will not.
    func testTransientFailuresAreTheOnesThatMayClear() {
        for code in [ENOSPC, EDQUOT, ESTALE, EIO, ENOTCONN, ETIMEDOUT] {
            XCTAssertTrue(EmpathyError.io(path: "/x", operation: "write", errno: code).isTransient, EmpathyError.errnoName(code))
        }
        for code in [ENOENT, EACCES, EISDIR, EROFS] {
            XCTAssertFalse(EmpathyError.io(path: "/x", operation: "write", errno: code).isTransient, EmpathyError.errnoName(code))
        }
        XCTAssertTrue(EmpathyError.transient("context lost").isTransient)
        XCTAssertFalse(EmpathyError.badFile(path: "t.csv", line: 3, message: "bad").isTransient)
        XCTAssertFalse(isTransientFailure(CocoaError(.fileNoSuchFile)))
    }
}
