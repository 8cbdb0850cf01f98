import Foundation
import ImageSequence
import TestSupport
import XCTest

/// Stopping a run: SIGTERM (or Ctrl-C) ends it at the next frame with one
/// line and exit 128 + signal, every written frame complete and no temporary
/// or lock file left; `kill -9` at any moment leaves nothing partial under a
/// final name, and the next run cleans up and finishes byte-identical to an
/// uninterrupted one.
final class InterruptTests: XCTestCase {
    private var tmp: URL!
    private var root: URL { EmpathyProcess.repositoryRoot }

    override func setUpWithError() throws { tmp = try EmpathyProcess.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// Starts empathy, sends `signal` after `delay` seconds, and waits.
    private func run(_ arguments: [String], signal: Int32, after delay: Double) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = EmpathyCommand.executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, signal)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// Runs `arguments` (which write `output`) and sends `signal` after
    /// `delay` seconds. A run that finishes first (the machine is faster now
    /// than when it was timed) is checked, removed and run again with half the
    /// delay, so every trial really interrupts a run.
    private func interrupt(_ arguments: [String], output: URL, signal: Int32, after delay: Double,
                           _ trial: String) throws -> (status: Int32, stderr: String) {
        var delay = delay
        for _ in 0..<6 {
            let result = try run(arguments, signal: signal, after: delay)
            guard result.status == 0 else { return result }
            try? FileManager.default.removeItem(at: output)
            delay /= 2
        }
        XCTFail("\(trial): every run finished before the signal")
        return (0, "")
    }

    /// `count` kill moments as fractions of a run, 5–95 %, the same on every run of the test.
    private func moments(_ count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(state: seed)
        return (0..<count).map { _ in 0.05 + 0.9 * random.unit() }
    }

    /// Runs empathy to completion and returns its wall time, so kills can be
    /// placed at fractions of a run on any machine.
    private func timedRun(_ arguments: [String]) throws -> Double {
        let started = Date()
        let result = try EmpathyProcess.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return Date().timeIntervalSince(started)
    }

    private func files(_ folder: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            result[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return result
    }

    func testSIGTERMStopsARenderCleanlyAndARerunFinishesIt() throws {
        let clip = root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
        let track = tmp.appendingPathComponent("take.track.csv").path
        XCTAssertEqual(try EmpathyProcess.run(["analyze", clip, "--out", track, "--quiet", "--expression-model", "none"]).status, 0)
        let reference = tmp.appendingPathComponent("reference"), stopped = tmp.appendingPathComponent("stopped")
        let render = ["render", clip, "--track", track, "--quiet", "--out"]
        let duration = try timedRun(render + [reference.path])

        let run = try interrupt(render + [stopped.path], output: stopped, signal: SIGTERM, after: duration * 0.6, "SIGTERM")
        XCTAssertEqual(run.status, 128 + SIGTERM, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").filter { $0.hasPrefix("empathy: error:") },
                       ["empathy: error: stopped by SIGTERM; complete frames are kept, run again to finish"])
        let partial = try files(stopped)
        XCTAssertGreaterThan(partial.count, 0)
        XCTAssertLessThan(partial.count, try files(reference).count, "stopped before the end")
        XCTAssertEqual(partial.keys.filter { $0.hasPrefix(".") }, [], "no temporary or lock file left")
        for (name, bytes) in partial { XCTAssertEqual(bytes, try files(reference)[name], "\(name) is complete and right") }

        XCTAssertEqual(try EmpathyProcess.run(render + [stopped.path]).status, 0)
        XCTAssert(try files(stopped) == files(reference), "the re-run finishes the sequence byte for byte")
    }

    /// A farm that cancels or pre-empts a task sends SIGTERM and waits a
    /// little before SIGKILL: a render chunk and an analysis piece end within
    /// a second of it, at any point of their work, with exit 143, every
    /// written frame complete and no temporary or lock file left.
    func testSIGTERMEndsAFarmChunkWithinASecond() throws {
        let clip = root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
        let track = tmp.appendingPathComponent("take.track.csv").path
        XCTAssertEqual(try EmpathyProcess.run(["analyze", clip, "--out", track, "--quiet", "--expression-model", "none"]).status, 0)
        let render = ["render", clip, "--track", track, "--frames", "31-90", "--quiet", "--out"]
        // Signalled once the output folder is made (the frames before the chunk being re-rendered), then once 1, 8, 20
        // and 40 frames are on disk.
        for (trial, written) in [0, 1, 8, 20, 40].enumerated() {
            let out = tmp.appendingPathComponent("render\(trial)")
            let (elapsed, status) = try stopWithSIGTERM(render + [out.path]) {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: out.path) else { return false }
                return names.filter { $0.hasSuffix(".png") && !$0.hasPrefix(".") }.count >= written
            }
            XCTAssertEqual(status, 128 + SIGTERM, "render trial \(trial)")
            XCTAssertLessThan(elapsed, 1.0, "render trial \(trial): SIGTERM to exit")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            XCTAssertEqual(names.filter { $0.hasPrefix(".") }, [], "render trial \(trial): no temporary or lock file left")
            for name in names where name.hasSuffix(".png") {
                XCTAssertTrue(PNGCodec.isComplete(path: out.appendingPathComponent(name).path), "render trial \(trial): \(name) is whole")
            }
        }
        let analyze = ["analyze", clip, "--frames", "31-120", "--quiet", "--out"]
        let duration = try timedRun(analyze + [tmp.appendingPathComponent("whole.csv").path])
        // The first trials land while the models load (a second or more in a debug build), the others mid-analysis.
        for (trial, fraction) in [0.1, 0.2, 0.5, 0.8].enumerated() {
            let out = tmp.appendingPathComponent("piece\(trial)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let started = Date()
            let (elapsed, status) = try stopWithSIGTERM(analyze + [out.appendingPathComponent("t.csv").path]) {
                Date().timeIntervalSince(started) >= duration * fraction
            }
            guard status != 0 else { continue }  // finished first: nothing to stop
            XCTAssertEqual(status, 128 + SIGTERM, "analysis trial \(trial)")
            XCTAssertLessThan(elapsed, 1.0, "analysis trial \(trial): SIGTERM to exit")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [], "analysis trial \(trial): nothing left")
        }
    }

    /// Starts empathy, sends SIGTERM once `ready` holds (polled every 5 ms),
    /// and returns the seconds from the signal to its exit, and its status.
    private func stopWithSIGTERM(_ arguments: [String], when ready: () -> Bool) throws -> (seconds: Double, status: Int32) {
        let process = Process()
        process.executableURL = EmpathyCommand.executable
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && !ready() && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        let sent = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        // Signalled before it set up its handlers (the first milliseconds), the process ends by the signal itself,
        // as a farm sees it too: reported as a shell does, 128 + N.
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return (Date().timeIntervalSince(sent), status)
    }

    /// `kill -9` at ten moments of a grade, each followed by a re-run: the
    /// result equals one uninterrupted grade.
    func testKillNineAtAnyMomentThenResumeIsByteIdentical() throws {
        let clip = root.appendingPathComponent("footage/demo/astronaut.mp4").path
        let reference = tmp.appendingPathComponent("reference")
        let grade = ["grade", clip, "--lut", "midnight", "--quiet", "--out"]
        let duration = try timedRun(grade + [reference.path])
        let expected = try files(reference.appendingPathComponent("astronaut"))
        for (trial, fraction) in moments(10, seed: 1).enumerated() {
            let out = tmp.appendingPathComponent("trial\(trial)")
            let killed = try interrupt(grade + [out.path], output: out, signal: SIGKILL, after: duration * fraction, "trial \(trial)")
            XCTAssertEqual(killed.status, SIGKILL, "trial \(trial) was killed")
            let folder = out.appendingPathComponent("astronaut")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where !name.hasPrefix(".") {
                XCTAssertTrue(PNGCodec.isComplete(path: folder.appendingPathComponent(name).path), "trial \(trial): \(name) is whole")
            }
            let resumed = try EmpathyProcess.run(grade + [out.path])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssert(try files(folder) == expected, "trial \(trial): resumed sequence equals the uninterrupted one")
        }
    }

    /// `kill -9` at ten moments of a render chunk (frames 31-90, as a farm
    /// task runs it) through the default look (particles, glitch feedback,
    /// grade): no truncated frame under its final name, and each resumed
    /// chunk equals the uninterrupted one byte for byte.
    func testKillNineDuringARenderChunkThenResumeIsByteIdentical() throws {
        let clip = root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
        let track = tmp.appendingPathComponent("take.track.csv").path
        XCTAssertEqual(try EmpathyProcess.run(["analyze", clip, "--out", track, "--quiet", "--expression-model", "none"]).status, 0)
        let render = ["render", clip, "--track", track, "--frames", "31-90", "--quiet", "--out"]
        let reference = tmp.appendingPathComponent("reference")
        let duration = try timedRun(render + [reference.path])
        let expected = try files(reference)
        XCTAssertEqual(expected.keys.filter { $0.hasSuffix(".png") }.count, 60)
        for (trial, fraction) in moments(10, seed: 2).enumerated() {
            let out = tmp.appendingPathComponent("trial\(trial)")
            let killed = try interrupt(render + [out.path], output: out, signal: SIGKILL, after: duration * fraction, "trial \(trial)")
            XCTAssertEqual(killed.status, SIGKILL, "trial \(trial) was killed")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] where name.hasSuffix(".png") && !name.hasPrefix(".") {
                XCTAssertTrue(PNGCodec.isComplete(path: out.appendingPathComponent(name).path), "trial \(trial): \(name) is whole")
            }
            XCTAssertEqual(try EmpathyProcess.run(render + [out.path]).status, 0)
            XCTAssert(try files(out) == expected, "trial \(trial): resumed chunk equals the uninterrupted one")
        }
    }

    /// `kill -9` at ten moments of an analysis leaves no track under its
    /// final name; the next analysis into the same folder removes what the
    /// killed one left and writes the same track as one never killed.
    func testKillNineDuringAnAnalysisLeavesNothingPartial() throws {
        let clip = root.appendingPathComponent("footage/demo/astronaut.mp4").path
        let reference = tmp.appendingPathComponent("reference.track.csv").path
        let analyze = ["analyze", clip, "--quiet", "--expression-model", "none", "--out"]
        let duration = try timedRun(analyze + [reference])
        for (trial, fraction) in moments(10, seed: 3).enumerated() {
            let folder = tmp.appendingPathComponent("trial\(trial)")
            let track = folder.appendingPathComponent("t.track.csv").path
            let killed = try interrupt(analyze + [track], output: folder, signal: SIGKILL, after: duration * fraction, "trial \(trial)")
            XCTAssertEqual(killed.status, SIGKILL, "trial \(trial) was killed")
            // A file under its final name is whole: renamed into place once written (a kill after the track but
            // before the sidecar and plot leaves the track).
            if FileManager.default.fileExists(atPath: track) {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: track)), try Data(contentsOf: URL(fileURLWithPath: reference)),
                               "trial \(trial): a track under its final name is the whole track")
            }
            XCTAssertEqual(try EmpathyProcess.run(analyze + [track]).status, 0)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: track)), try Data(contentsOf: URL(fileURLWithPath: reference)))
            let after = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            XCTAssertEqual(after.filter { $0.hasPrefix(".") }, [], "trial \(trial): the killed run's temporary files are gone")
        }
        // A temporary file of a run that is gone is removed at the next start; one of a live run is not.
        let folder = tmp.appendingPathComponent("trial0")
        let dead = folder.appendingPathComponent(".t.track.csv.\(try deadPID()).tmp.77").path
        let live = folder.appendingPathComponent(".t.track.csv.\(getpid()).tmp.78").path
        for path in [dead, live] { XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8))) }
        XCTAssertEqual(try EmpathyProcess.run(analyze + [folder.appendingPathComponent("t.track.csv").path]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead))
        XCTAssertTrue(FileManager.default.fileExists(atPath: live))
    }

    /// The pid of a process that has exited and been reaped.
    private func deadPID() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
