import EmpathyCore
import Foundation
import TestSupport
import XCTest

/// farm/slurm on a real single-node Slurm (Debian's slurmctld, slurmd and
/// munge, brought up and torn down by scripts/slurm-local.sh): the analysis
/// as a job, the render as a 3-task array after it, one task failing once
/// with exit 75 and requeued.
final class FarmSlurmTests: XCTestCase {
    let root = EmpathyCommand.repositoryRoot
    var tmp: URL!
    var cluster: String?

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        chmod(tmp.path, 0o755)
    }

    override func tearDownWithError() throws {
        if let cluster { _ = try? runCommand(root.appendingPathComponent("scripts/slurm-local.sh").path, ["down", cluster]) }
        try? FileManager.default.removeItem(at: tmp)
    }

    func testAChunkArrayWithATransientFailureIsRequeuedAndEveryFrameRendered() throws {
        let started = Date()
        let up = try runCommand(root.appendingPathComponent("scripts/slurm-local.sh").path, ["up"], timeoutSeconds: 60)
        XCTAssertEqual(up.status, 0, up.standardError)
        let folder = up.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        cluster = folder
        let environment = ["SLURM_CONF": folder + "/slurm.conf"]
        let clip = root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
        let session = root.appendingPathComponent("footage/expressions/astronaut-expressions.session.csv").path
        let out = tmp.appendingPathComponent("out")
        let wrapper = try failOnceEmpathy(in: tmp, chunk: "5-8")

        let submit = try runCommand(root.appendingPathComponent("farm/slurm/submit.sh").path,
                                    ["--clip", clip, "--out", out.path, "--frames", "1-12", "--chunk", "4", "--session", session,
                                     "--empathy", wrapper], environment: environment)
        XCTAssertEqual(submit.status, 0, submit.standardError)
        let job = submit.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(job.isEmpty)
        var queue = ""
        for _ in 0..<240 {
            queue = try runCommand("/usr/bin/squeue", ["-h"], environment: environment).standardOutput
            if queue.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertEqual(queue, "", "the jobs ended within 2 minutes")

        // Task 2 ran twice, appending to its log; the others once.
        let logs = out.appendingPathComponent("logs")
        let second = try String(contentsOf: logs.appendingPathComponent("render-\(job)_2.log"), encoding: .utf8)
        XCTAssertTrue(second.contains("chunk 2: frames 5-8, attempt 1") && second.contains("chunk 2: transient failure (exit 75); requeued")
                      && second.contains("chunk 2: frames 5-8, attempt 2"), second)
        let state = try runCommand("/usr/bin/scontrol", ["show", "job", job], environment: environment).standardOutput
        XCTAssertEqual(state.components(separatedBy: "JobState=COMPLETED").count - 1, 3, state)
        // Slurm may call a job that never ran COMPLETED: the frames are what count.
        let check = try EmpathyCommand.run(["sequence", "check", out.path, "--stem", "astronaut-expressions", "--frames", "1-12"])
        XCTAssertEqual(check.status, 0, check.standardOutput)
        let single = tmp.appendingPathComponent("single")
        XCTAssertEqual(try EmpathyCommand.run(["render", clip, "--track", out.appendingPathComponent("track.csv").path, "--frames", "1-12",
                                               "--out", single.path, "--quiet"]).status, 0)
        for n in 1...12 {
            let name = String(format: "astronaut-expressions.%04d.png", n)
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(name)), try Data(contentsOf: single.appendingPathComponent(name)), name)
        }

        let down = try runCommand(root.appendingPathComponent("scripts/slurm-local.sh").path, ["down", folder], timeoutSeconds: 60)
        XCTAssertEqual(down.status, 0, down.standardError)
        cluster = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "torn down")
        XCTAssertEqual(try runCommand("/usr/bin/pgrep", ["-f", folder]).standardOutput, "", "no daemon left")
        XCTAssertLessThan(Date().timeIntervalSince(started), 60, "well under a minute")
    }
}
