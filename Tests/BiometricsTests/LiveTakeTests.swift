import Biometrics
import Foundation
import TestSupport
import XCTest

/// `empathy live` run as the real executable: a clip played as a camera,
/// the firmware in simavr as the pulse sensor over a pty.
final class LiveTakeTests: XCTestCase {
    private let clip = EmpathyCommand.repositoryRoot.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    private struct Summary {
        var rendered = 0, offered = 0, dropped = 0, recorded = 0
    }

    /// Reads `live: R frames in … D of O offered dropped … K recorded`.
    private func summary(_ stdout: String) throws -> Summary {
        let line = try XCTUnwrap(stdout.split(separator: "\n").first { $0.hasPrefix("live: ") }, stdout)
        let numbers = line.split(whereSeparator: { !$0.isNumber && $0 != "." }).compactMap { Double($0) }
        // frames, seconds, fps, dropped, offered, percent, captured late, render behind, analysed, recorded
        XCTAssertGreaterThanOrEqual(numbers.count, 10, String(line))
        XCTAssertEqual(numbers[6] + numbers[7], numbers[3], "the drops' reasons add up to the drops: \(line)")
        return Summary(rendered: Int(numbers[0]), offered: Int(numbers[4]), dropped: Int(numbers[3]), recorded: Int(numbers[9]))
    }

    private func trackRows(_ path: String) throws -> [[Substring]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        return lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }

    private func checkRecording(_ folder: URL, _ s: Summary, file: StaticString = #filePath, line: UInt = #line) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(names.filter { $0.hasPrefix(".") }, [], "no partial or temporary file", file: file, line: line)
        let rendered = names.filter { $0.hasPrefix("take.") && $0.hasSuffix(".png") && !$0.contains("source") }
        XCTAssertEqual(rendered.count, s.recorded, file: file, line: line)
        XCTAssertEqual(s.recorded, s.rendered, "every frame of the take is recorded", file: file, line: line)
        XCTAssertEqual(names.filter { $0.hasPrefix("take.source.") }.count, s.rendered, "with its source frame", file: file, line: line)
        XCTAssertGreaterThan(s.recorded, 0, file: file, line: line)
        for name in names where name.hasSuffix(".png") {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(Array(bytes.suffix(12)), [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82],
                           "\(name) ends with its IEND chunk", file: file, line: line)
        }
        XCTAssertEqual(try trackRows(folder.appendingPathComponent("take.track.csv").path).count, s.rendered,
                       "a track row for every rendered frame", file: file, line: line)
    }

    /// A played clip with no sensor: every frame offered is rendered or
    /// counted as dropped, the recording is whole, and the recorded source
    /// frames rendered again in batch with the recorded track give the live
    /// frames byte for byte.
    func testLiveTakeRendersAgainInBatchToTheSameBytes() throws {
        let take = tmp.appendingPathComponent("take")
        let run = try runCommand(EmpathyCommand.executable.path,
                                 ["live", "--play", clip, "--out", take.path, "--expression-model", "none"], timeoutSeconds: 120)
        XCTAssertFalse(run.timedOut)
        XCTAssertEqual(run.status, 0, run.standardError)
        let s = try summary(run.standardOutput)
        XCTAssertEqual(s.offered, 120, "the clip's 120 frames were offered")
        XCTAssertEqual(s.rendered + s.dropped, s.offered, "every frame offered is rendered or counted as dropped")
        try checkRecording(take, s)

        let again = tmp.appendingPathComponent("again")
        let batch = try runCommand(EmpathyCommand.executable.path,
                                   ["render", take.path + "/take.source.%06d.png", "--track", take.path + "/take.track.csv",
                                    "--out", again.path, "--quiet"], timeoutSeconds: 300)
        XCTAssertEqual(batch.status, 0, batch.standardError)
        var compared = 0
        for n in 1...s.rendered {
            let live = take.appendingPathComponent(String(format: "take.%06d.png", n)).path
            guard FileManager.default.fileExists(atPath: live) else { continue }
            let redone = again.appendingPathComponent(String(format: "take.source.%04d.png", n)).path
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: live)), try Data(contentsOf: URL(fileURLWithPath: redone)),
                           "frame \(n): the batch render equals the live one")
            compared += 1
        }
        XCTAssertEqual(compared, s.recorded)
    }

    /// `--analysis-rate` caps the face analyses by capture time: 5 a second
    /// over the clip's 5 s is at most 26, while every frame is still rendered.
    func testAnalysisRateCapsTheFaceAnalyses() throws {
        let run = try runCommand(EmpathyCommand.executable.path,
                                 ["live", "--play", clip, "--analysis-rate", "5", "--expression-model", "none"], timeoutSeconds: 120)
        XCTAssertEqual(run.status, 0, run.standardError)
        let line = try XCTUnwrap(run.standardOutput.split(separator: "\n").first { $0.hasPrefix("live: ") }, run.standardOutput)
        let analysed = try XCTUnwrap(line.split(separator: ",").first { $0.hasSuffix("analysed") }?.split(separator: " ").first.flatMap { Int($0) },
                                     String(line))
        let rendered = try XCTUnwrap(line.split(separator: " ").dropFirst().first.flatMap { Int($0) }, String(line))
        XCTAssertLessThanOrEqual(analysed, 26, String(line))
        XCTAssertGreaterThanOrEqual(analysed, 10, "the analyses go on at their rate: \(line)")
        XCTAssertGreaterThan(rendered, 3 * analysed, "frames between analyses are rendered with the newest reading")
    }

    /// Thirty seconds of a looping clip with the simulated board as the
    /// sensor, unplugged after ten seconds and plugged in again: the take
    /// goes on, drops are counted honestly, the recording is whole, and the
    /// gap is in the track (no heart) and in the session (disconnected,
    /// connected again).
    func testUnplugMidTakeIsAGapNotAnEnd() throws {
        let sensor = try SimulatedSensor()
        var board = try sensor.start(["--bpm", "90", "--duration-s", "600", "--realtime", "--seed", "1"])
        let take = tmp.appendingPathComponent("take")
        let live = Process()
        live.executableURL = EmpathyCommand.executable
        live.arguments = ["live", "--play", clip, "--loop", "--duration", "30", "--sensor", sensor.linkPath,
                          "--out", take.path, "--expression-model", "none"]
        let out = Pipe(), err = Pipe()
        live.standardOutput = out
        live.standardError = err
        try live.run()
        defer {
            if live.isRunning { live.terminate() }
            if board.isRunning { board.terminate() }
        }
        Thread.sleep(forTimeInterval: 12)
        try? FileManager.default.removeItem(atPath: sensor.linkPath)
        kill(board.processIdentifier, SIGKILL)
        board.waitUntilExit()
        Thread.sleep(forTimeInterval: 3)
        board = try sensor.start(["--bpm", "70", "--duration-s", "600", "--realtime", "--seed", "2"])
        let deadline = Date().addingTimeInterval(120)
        while live.isRunning && Date() < deadline { usleep(100_000) }
        XCTAssertFalse(live.isRunning, "the take ended after its 30 s")
        live.waitUntilExit()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(live.terminationStatus, 0, stderr)
        let s = try summary(stdout)
        XCTAssertTrue(stdout.contains("sensor reconnected 1 time(s)"), stdout)
        XCTAssertTrue(stdout.contains("a beat reached the take median"), "the sensor's share of beat latency is reported: \(stdout)")
        XCTAssertEqual(s.offered, 30 * 24, "30 s of a 24 fps source")
        XCTAssertEqual(s.rendered + s.dropped, s.offered)
        try checkRecording(take, s)

        // The heart: there before the unplug, missing in the gap, back after it.
        let rows = try trackRows(take.appendingPathComponent("take.track.csv").path)
        let heart = rows.map { !$0[$0.count - 5].isEmpty }  // heart_rate_bpm, 5th column from the end
        let firstBeat = try XCTUnwrap(heart.firstIndex(of: true), "heart rate before the unplug")
        let gap = try XCTUnwrap(heart[firstBeat...].firstIndex(of: false), "the unplug leaves frames without a heart")
        XCTAssertNotNil(heart[gap...].firstIndex(of: true), "the heart comes back after the replug")
        let session = try String(contentsOf: take.appendingPathComponent("take.session.csv"), encoding: .utf8)
        let events = session.split(separator: "\n").compactMap { $0.split(separator: ",").dropFirst().first }
        XCTAssertEqual(events.filter { $0 == "connected" }.count, 2, "connected, then again after the replug")
        XCTAssertEqual(events.filter { $0 == "disconnected" }.count, 1)
        XCTAssertNoThrow(try SensorSession.load(path: take.appendingPathComponent("take.session.csv").path))
    }

    /// A take killed outright (`kill -9`) cannot close its files. The next
    /// take into the same folder keeps the dead take's rows (track with its
    /// landmark sidecar, session) under `interrupted` names that load, leaves
    /// no partial file, and refuses to record over the take with one line.
    func testKilledTakeIsKeptNotRecordedOver() throws {
        let sensor = try SimulatedSensor()
        let board = try sensor.start(["--bpm", "80", "--duration-s", "600", "--realtime", "--seed", "3"])
        defer { if board.isRunning { board.terminate() } }
        let take = tmp.appendingPathComponent("take")
        let live = Process()
        live.executableURL = EmpathyCommand.executable
        live.arguments = ["live", "--play", clip, "--loop", "--duration", "60", "--sensor", sensor.linkPath,
                          "--out", take.path, "--expression-model", "none"]
        live.standardOutput = FileHandle.nullDevice
        live.standardError = FileHandle.nullDevice
        try live.run()
        // Killed once a second of frames is on disk (rows are flushed every half second).
        let deadline = Date().addingTimeInterval(60)
        while live.isRunning && Date() < deadline
            && !FileManager.default.fileExists(atPath: take.appendingPathComponent("take.000040.png").path) { usleep(50_000) }
        XCTAssertTrue(live.isRunning, "the take was still running when killed")
        kill(live.processIdentifier, SIGKILL)
        live.waitUntilExit()

        let again = try runCommand(EmpathyCommand.executable.path,
                                   ["live", "--play", clip, "--duration", "1", "--out", take.path, "--expression-model", "none"],
                                   timeoutSeconds: 60)
        XCTAssertNotEqual(again.status, 0)
        let lines = again.standardError.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, again.standardError)
        XCTAssertTrue(again.standardError.contains("killed before it closed"), again.standardError)

        let names = try FileManager.default.contentsOfDirectory(atPath: take.path)
        // A sequence's lock file outlives a killed run by design (unlocked, reused by the next writer).
        XCTAssertEqual(names.filter { $0.hasPrefix(".") && !$0.hasSuffix(".lock") }, [], "no partial or temporary file left")
        let track = take.appendingPathComponent("take.track.interrupted-1.csv").path
        let rows = try trackRows(track)
        XCTAssertGreaterThanOrEqual(rows.count, 20, "the rows flushed before the kill are kept")
        XCTAssertEqual(Set(rows.map(\.count)).count, 1, "every kept row is whole")
        let sidecar = take.appendingPathComponent("take.track.interrupted-1.landmarks.csv").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: sidecar), "the landmark sidecar is kept beside its track")
        XCTAssertNoThrow(try SensorSession.load(path: take.appendingPathComponent("take.session.interrupted-1.csv").path))
        XCTAssertFalse(names.contains("take.track.csv"))
        for name in names where name.hasSuffix(".png") {
            let bytes = try Data(contentsOf: take.appendingPathComponent(name))
            XCTAssertEqual(Array(bytes.suffix(8)), [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82], "\(name) is complete")
        }
    }
}
