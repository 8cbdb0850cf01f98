import EmpathyCore
import FaceAnalysis
import Foundation
import Fusion
import ImageSequence
import XCTest

/// The `empathy analyze` and `empathy calibrate` commands, run as a user would.
final class AnalyzeCommandTests: XCTestCase {
    var empathy: String { EmpathyCommand.executable.path }

    func testAnalyzeAStillPrintsWhatItWrote() throws {
        let folder = try makeTemporaryFolder(self)
        try PNGCodec.write(try expressionFrame(0), to: folder + "/face.png")
        let run = try runCommand(empathy, ["analyze", folder + "/face.png", "--out", folder + "/face.csv", "--quiet"])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssert(run.standardOutput.contains("1 frame(s), face in 1, face IDs 1"), run.standardOutput)
        XCTAssertEqual(try EmotionTrackFile.read(path: folder + "/face.csv").count, 1)
        XCTAssert(FileManager.default.fileExists(atPath: folder + "/face.plot.png"))
        XCTAssert(FileManager.default.fileExists(atPath: folder + "/face.landmarks.csv"))
    }

    /// (arguments, exit status, fragment of standard error)
    func testBadArgumentsAreOneClearLine() throws {
        let folder = try makeTemporaryFolder(self)
        let out = folder + "/t.csv"
        let table: [([String], Int32, String)] = [
            (["analyze", expressionClipPath, "--out", out, "--detect-every", "0"], 64, "--detect-every must be 1 or more"),
            (["analyze", expressionClipPath, "--out", out, "--detect-scale", "9"], 64, "--detect-scale must be between 0.01 and 4"),
            (["analyze", expressionClipPath, "--out", out, "--detector", "cnn"], 64, "'cnn' is invalid for '--detector"),
            (["analyze", folder + "/none.mp4", "--out", out], 1, "none.mp4"),
            (["analyze", expressionClipPath, "--out", out, "--landmark-model", folder], 1, "the landmark model is a folder"),
            (["analyze", expressionClipPath, "--out", out, "--calibration", "nobody-\(getpid())"], 1, "cannot read calibration profile"),
            (["analyze", expressionClipPath, "--out", out, "--expression-model", folder + "/none.onnx"], 1, "cannot read expression model"),
            (["analyze", expressionClipPath, "--out", out, "--expression-model", folder], 1, "the expression model is a folder"),
            (["calibrate", expressionClipPath, "--name", "../escape"], 64, "--name '../escape' must be letters"),
            (["analyze", expressionClipPath, "--out", out, "--frames", "121-200"], 1, "--frames 121-200 is beyond"),
            (["analyze", expressionClipPath, "--out", out, "--frames", "5-x"], 64, "--frames"),
            (["analyze", expressionClipPath, "--out", out, "--frames", "1-5", "--warm-up=-1"], 64, "--warm-up must be from 0 to 600"),
            (["track", "merge", folder + "/none.csv", "--out", out], 1, "none.csv"),
            (["track", "merge", "--out", out], 64, "Missing expected argument '<piece> ...'"),
            (["track", "merge", expressionClipPath, "--out", out, "--fps", "0"], 64, "--fps must be above 0"),
        ]
        for (arguments, status, fragment) in table {
            let run = try runCommand(empathy, arguments)
            let line = arguments.joined(separator: " ")
            XCTAssertEqual(run.status, status, "\(line): \(run.standardError)")
            XCTAssert(run.standardError.contains(fragment), "\(line): \(run.standardError)")
            if status == 1 {
                XCTAssertEqual(run.standardError.split(separator: "\n").count, 1, "\(line): \(run.standardError)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written when the run fails")
    }

    /// A farm's analysis: pieces of the clip, merged; the summary says what came of it.
    func testAnalyzeInPiecesAndMerge() throws {
        let folder = try makeTemporaryFolder(self)
        for spec in ["1-60", "61-"] {
            let run = try runCommand(empathy, ["analyze", expressionClipPath, "--frames", spec, "--out", folder + "/\(spec).csv", "--quiet"])
            XCTAssertEqual(run.status, 0, run.standardError)
            XCTAssert(run.standardOutput.contains("60 frame(s), face in 60"), run.standardOutput)
        }
        let merge = try runCommand(empathy, ["track", "merge", folder + "/61-.csv", folder + "/1-60.csv", "--out", folder + "/t.csv"])
        XCTAssertEqual(merge.status, 0, merge.standardError)
        XCTAssert(merge.standardOutput.hasPrefix("\(folder)/t.csv: 120 frame(s) from 2 piece(s) at 24 fps, face in 120\n"), merge.standardOutput)
        XCTAssertEqual(try EmotionTrackFile.read(path: folder + "/t.csv").map(\.frameIndex), Array(0..<120))
        let gap = try runCommand(empathy, ["track", "merge", folder + "/61-.csv", "--out", folder + "/g.csv"])
        XCTAssertEqual(gap.status, 1)
        XCTAssertEqual(gap.standardError, "empathy: error: no piece holds frames 1-60 (as --frames counts); analyse them with --frames 1-60 and merge again\n")
    }

    func testCalibrateWritesTheNamedProfile() throws {
        let folder = try makeTemporaryFolder(self)
        for n in 0..<6 { try PNGCodec.write(try expressionFrame(n), to: String(format: "%@/n.%04d.png", folder, n + 1)) }
        let run = try runCommand(empathy, ["calibrate", folder + "/n.%04d.png", "--name", "eileen", "--out", folder + "/eileen.json"])
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(try NeutralProfile.read(path: folder + "/eileen.json").frameCount, 6)
        let analyze = try runCommand(empathy, ["analyze", expressionClipPath, "--out", folder + "/t.csv", "--quiet",
                                               "--calibration", folder + "/eileen.json"])
        XCTAssertEqual(analyze.status, 0, analyze.standardError)
    }
}
