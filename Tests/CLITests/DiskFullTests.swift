import Foundation
import ImageSequence
import TestSupport
import XCTest

/// A full disk, on a small tmpfs mounted for the test (root is needed to
/// mount; elsewhere the test is skipped, saying so): one error line naming
/// ENOSPC, a summary that counts the frames really written, no temporary
/// file left, and a re-run after space is freed that completes the sequence
/// byte-identical to a run that never ran out.
final class DiskFullTests: XCTestCase {
    private var tmp: URL!
    private var mountPoint: String { tmp.appendingPathComponent("small").path }

    override func setUpWithError() throws {
        tmp = try EmpathyProcess.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint])
        try XCTSkipUnless(mount.status == 0, "cannot mount a tmpfs here (\(mount.standardError.trimmingCharacters(in: .whitespacesAndNewlines))); run as root")
    }

    override func tearDownWithError() throws {
        _ = try? runCommand("/bin/umount", [mountPoint])
        try? FileManager.default.removeItem(at: tmp)
    }

    func testAFullDiskIsOneLineWithAnHonestCountAndARerunCompletes() throws {
        let clip = EmpathyProcess.repositoryRoot.appendingPathComponent("footage/demo/astronaut.mp4").path
        let reference = tmp.appendingPathComponent("reference").path
        XCTAssertEqual(try EmpathyProcess.run(["grade", clip, "--lut", "midnight", "--out", reference, "--quiet"]).status, 0)
        let out = mountPoint + "/graded"
        let full = try EmpathyProcess.run(["grade", clip, "--lut", "midnight", "--out", out, "--quiet"])
        XCTAssertEqual(full.status, 75, "a full disk may clear: EX_TEMPFAIL, a farm's cue to run the job again; \(full.stderr)")
        let errors = full.errorLines.filter { $0.hasPrefix("empathy: error:") }
        XCTAssertEqual(errors.count, 1, full.stderr)
        XCTAssertTrue(errors.first?.contains("ENOSPC") ?? false, full.stderr)
        let folder = out + "/astronaut"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(names.filter { $0.hasPrefix(".") }, [], "no temporary or lock file left")
        let frames = names.filter { $0.hasSuffix(".png") }
        XCTAssertGreaterThan(frames.count, 0)
        XCTAssertLessThan(frames.count, 96)
        for name in frames { XCTAssertTrue(PNGCodec.isComplete(path: folder + "/" + name), "\(name) is whole") }
        XCTAssertTrue(full.stdout.contains("\(frames.count) written"), "the summary counts the frames on disk: \(full.stdout)")

        XCTAssertEqual(try runCommand("/bin/mount", ["-o", "remount,size=64m", mountPoint]).status, 0)
        let rerun = try EmpathyProcess.run(["grade", clip, "--lut", "midnight", "--out", out, "--quiet"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.contains("\(96 - frames.count) written, \(frames.count) skipped"), rerun.stdout)
        for n in 1...96 {
            let name = String(format: "astronaut.%04d.png", n)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)),
                           try Data(contentsOf: URL(fileURLWithPath: reference + "/astronaut/" + name)), name)
        }
    }

    /// A live take recording onto a disk that fills: the take goes on to its
    /// end (every frame offered is rendered or counted as dropped), one line
    /// says where the recording stopped, exit 1, every frame on disk whole,
    /// the track readable with whole rows, no temporary or lock file left.
    func testALiveTakeGoesOnWhenItsDiskFills() throws {
        let clip = EmpathyProcess.repositoryRoot.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
        let out = mountPoint + "/take"
        let run = try EmpathyProcess.run(["live", "--play", clip, "--out", out, "--expression-model", "none"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let errors = run.errorLines.filter { $0.hasPrefix("empathy: error:") }
        XCTAssertEqual(errors.count, 1, run.stderr)
        XCTAssertTrue(errors.first?.contains("the recording stopped at frame") ?? false, run.stderr)
        XCTAssertTrue(errors.first?.contains("ENOSPC") ?? false, run.stderr)
        let summary = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("live: ") }, run.stdout)
        XCTAssertTrue(summary.contains("of 120 offered"), "the take played the whole clip: \(summary)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertEqual(names.filter { $0.hasPrefix(".") }, [], "no temporary or lock file left")
        let frames = names.filter { $0.hasSuffix(".png") }
        XCTAssertGreaterThan(frames.count, 0)
        for name in frames { XCTAssertTrue(PNGCodec.isComplete(path: out + "/" + name), "\(name) is whole") }
        let track = try String(contentsOfFile: out + "/take.track.csv", encoding: .utf8)
        XCTAssertTrue(track.hasSuffix("\n"), "whole rows only")
        XCTAssertGreaterThan(track.split(separator: "\n").count, 1)
    }
}
