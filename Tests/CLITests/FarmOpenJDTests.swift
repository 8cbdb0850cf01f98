import EmpathyCore
import Foundation
import TestSupport
import XCTest

/// The OpenJD job bundle (farm/openjd/empathy-render), checked and run with
/// the real Open Job Description CLI and model (openjd-cli and openjd-model
/// from PyPI, in .venv-tools; scripts/install-test-tools.sh).
final class FarmOpenJDTests: XCTestCase {
    let root = EmpathyCommand.repositoryRoot
    var tmp: URL!
    lazy var template = root.appendingPathComponent("farm/openjd/empathy-render/template.yaml").path
    lazy var openjd = root.appendingPathComponent(".venv-tools/bin/openjd").path
    lazy var clip = root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
    lazy var session = root.appendingPathComponent("footage/expressions/astronaut-expressions.session.csv").path

    override func setUpWithError() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: openjd), "no \(openjd): run scripts/install-test-tools.sh (make test does)")
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("openjd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    func frame(_ n: Int, in dir: URL) throws -> Data {
        try Data(contentsOf: dir.appendingPathComponent(String(format: "astronaut-expressions.%04d.png", n)))
    }

    /// `openjd run` of the bundle over frames 1–12 in chunks of 4, with `empathy` as given.
    func runBundle(out: URL, empathy: String, extra: [String] = []) throws -> CommandResult {
        try runCommand(openjd, ["run", template, "-p", "Clip=\(clip)", "-p", "OutputDir=\(out.path)", "-p", "FrameEnd=12",
                                "-p", "ChunkSize=4", "-p", "Empathy=\(empathy)", "-p", "Session=\(session)"] + extra,
                       timeoutSeconds: 300)
    }

    func testTheBundlePassesOpenJDCheck() throws {
        let check = try runCommand(openjd, ["check", template])
        XCTAssertEqual(check.status, 0, check.standardOutput + check.standardError)
        XCTAssertTrue(check.standardOutput.contains("passes validation checks"), check.standardOutput)
    }

    /// Analyse once, render in three chunks: the frames equal a single
    /// process's render of the same frames from the same track, byte for byte.
    func testTheBundleRunsInChunksAndEqualsASingleRender() throws {
        let out = tmp.appendingPathComponent("farm"), single = tmp.appendingPathComponent("single")
        let run = try runBundle(out: out, empathy: EmpathyCommand.executable.path)
        XCTAssertEqual(run.status, 0, run.standardOutput.suffix(3000) + run.standardError)
        XCTAssertTrue(run.standardOutput.contains("Chunks run: 4"), "analyse + 3 render chunks: \(run.standardOutput.suffix(500))")
        let track = out.appendingPathComponent("track.csv").path
        let reference = try EmpathyCommand.run(["render", clip, "--track", track, "--frames", "1-12", "--out", single.path, "--quiet"])
        XCTAssertEqual(reference.status, 0, reference.standardError)
        for n in 1...12 { XCTAssertEqual(try frame(n, in: out), try frame(n, in: single), "frame \(n)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("astronaut-expressions.0013.png").path))
    }

    /// A wrapper that exits 75 the first time the second chunk (5-8) is
    /// rendered, as a vanished share would: the run fails there, the
    /// sequence check names what is missing, and running the job again
    /// renders only that.
    func testAChunkThatFailsOnceIsRenderedAgainAndOnlyWhatIsMissing() throws {
        let out = tmp.appendingPathComponent("farm")
        let wrapper = try failOnceEmpathy(in: tmp, chunk: "5-8")
        let first = try runBundle(out: out, empathy: wrapper)
        XCTAssertNotEqual(first.status, 0, "the failed chunk fails the run")
        XCTAssertTrue(first.standardOutput.contains("exited with code: 75"), first.standardOutput.suffix(2000) + "")
        let check = try EmpathyCommand.run(["sequence", "check", out.path, "--stem", "astronaut-expressions", "--frames", "1-12", "--redo"])
        XCTAssertEqual(check.status, 1)
        XCTAssertEqual(check.standardOutput, "5-12\n", "the failed chunk and the one after it, never run")

        let again = try runBundle(out: out, empathy: wrapper, extra: ["-p", "Track=\(out.appendingPathComponent("track.csv").path)"])
        XCTAssertEqual(again.status, 0, again.standardOutput.suffix(3000) + again.standardError)
        XCTAssertTrue(again.standardOutput.contains("Rendered 0 frames (4 skipped)"), "chunk 1-4 was complete")
        XCTAssertEqual(again.standardOutput.components(separatedBy: "Rendered 4 frames (0 skipped)").count - 1, 2, "5-8 and 9-12 rendered")
        let done = try EmpathyCommand.run(["sequence", "check", out.path, "--frames", "1-12"])
        XCTAssertEqual(done.status, 0, done.standardOutput)
    }

    /// Through OpenJD's own model, the chunks of a 150,000-frame job at 100
    /// frames a chunk, read as `--frames` reads them, cover every frame
    /// exactly once.
    func testTheChunksOfAFeatureCoverEveryFrameExactlyOnce() throws {
        let python = root.appendingPathComponent(".venv-tools/bin/python").path
        let run = try runCommand(python, [root.appendingPathComponent("scripts/farm/openjd_chunks.py").path, template, "render",
                                          "Clip=/shared/feature.mov", "OutputDir=/shared/out", "FrameEnd=150000", "ChunkSize=100"])
        XCTAssertEqual(run.status, 0, run.standardError)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: run.standardOutputData) as? [String: Any])
        let chunks = try XCTUnwrap(object["chunks"] as? [String])
        XCTAssertEqual(chunks.count, 1500)
        var seen = [UInt8](repeating: 0, count: 150_001)
        for chunk in chunks {
            let spec = try XCTUnwrap(FrameSpec(parsing: chunk), "--frames reads '\(chunk)'")
            for run in spec.runs(inClipOf: 150_000) { for f in run { seen[f] += 1 } }
        }
        XCTAssertEqual(seen[0], 0)
        XCTAssertTrue(seen.dropFirst().allSatisfy { $0 == 1 }, "every frame once: \(seen.dropFirst().enumerated().first { $0.element != 1 }.map { "frame \($0.offset + 1) \($0.element) times" } ?? "")")
    }
}
