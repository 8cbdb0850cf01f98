import Biometrics
import Foundation
import TestSupport
import XCTest

/// The `empathy sensor` commands, run as the real executable against the
/// simulated board.
final class SensorCommandTests: XCTestCase {
    private struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private var empathyExecutable: URL { EmpathyCommand.executable }

    private func empathy(_ arguments: [String], timeoutSeconds: Double = 60) throws -> Run {
        let run = try runCommand(empathyExecutable.path, arguments, timeoutSeconds: timeoutSeconds)
        XCTAssertFalse(run.timedOut, "empathy \(arguments.joined(separator: " ")) hung")
        return Run(status: run.status, stdout: run.standardOutput, stderr: run.standardError)
    }

    func testRecordWritesASessionThatBaselineMeasures() throws {
        let sensor = try SimulatedSensor()
        let process = try sensor.start(["--bpm", "66", "--duration-s", "40", "--seed", "3"])
        let path = sensor.directory.appendingPathComponent("take1.csv").path
        // Record until the board has sent its whole 40 s of simulated time (the
        // simulator exits then; how long that takes depends on the machine's
        // load), then stop the recording with Ctrl-C, as a person would.
        let recorder = Process()
        recorder.executableURL = empathyExecutable
        recorder.arguments = ["sensor", "record", "--sensor", sensor.linkPath, "--out", path, "--duration", "120"]
        let out = Pipe(), err = Pipe()
        recorder.standardOutput = out
        recorder.standardError = err
        recorder.standardInput = FileHandle.nullDevice
        try recorder.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(process.isRunning, "the simulator did not finish 40 s of simulated time in 90 s")
        process.terminate()
        usleep(200_000)  // let the last lines arrive
        recorder.interrupt()
        let stopDeadline = Date().addingTimeInterval(10)
        while recorder.isRunning && Date() < stopDeadline { usleep(20_000) }
        XCTAssertFalse(recorder.isRunning, "sensor record did not stop on SIGINT")
        if recorder.isRunning { recorder.terminate() }
        recorder.waitUntilExit()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(recorder.terminationStatus, 0, stderr)
        XCTAssertTrue(stdout.contains("recorded"), stdout)
        let session = try SensorSession.load(path: path)
        XCTAssertGreaterThanOrEqual(session.beats.count, 42, "40 s at 66 BPM is 44 beats")

        let baseline = try empathy(["sensor", "baseline", path])
        XCTAssertEqual(baseline.status, 0, baseline.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(baseline.stdout.utf8)) as? [String: Double]
        XCTAssertEqual(json?["restingHeartRateBPM"] ?? 0, 66, accuracy: 1.5, baseline.stdout)
        XCTAssertGreaterThan(json?["restingRMSSDMs"] ?? 0, 10, baseline.stdout)
    }

    /// `kill -9` at ten moments of recordings from one running board: each
    /// next recording keeps the killed take (up to its last half second) as
    /// `<name>.interrupted-<n>.csv`, a whole-row session with the beats the
    /// board sent, and leaves no hidden partial file. A live take cannot be
    /// resumed, only kept: what was recorded must not be lost.
    func testKillNineDuringARecordingKeepsTheTakeForTheNextOne() throws {
        let sensor = try SimulatedSensor()
        let board = try sensor.start(["--bpm", "90", "--duration-s", "600", "--seed", "5"])
        defer { board.terminate(); board.waitUntilExit() }
        let path = sensor.directory.appendingPathComponent("take.csv").path
        let record = ["sensor", "record", "--sensor", sensor.linkPath, "--out", path, "--duration", "120"]
        var random = SplitMix64(state: 11)
        for trial in 0..<10 {
            let recorder = try startEmpathy(record)
            // Once it records (rows reached its partial file), at a moment up to 1.5 s later.
            XCTAssertTrue(waitUntilRecording(recorder, into: path), "trial \(trial) started recording")
            usleep(useconds_t(1_500_000 * random.unit()))
            kill(recorder.processIdentifier, SIGKILL)
            recorder.waitUntilExit()
            XCTAssertEqual(recorder.terminationReason, .uncaughtSignal, "trial \(trial) was killed")
        }
        let last = try startEmpathy(record)
        XCTAssertTrue(waitUntilRecording(last, into: path))
        usleep(500_000)
        last.interrupt()
        last.waitUntilExit()
        XCTAssertEqual(last.terminationStatus, 0)

        let names = try FileManager.default.contentsOfDirectory(atPath: sensor.directory.path)
        XCTAssertEqual(names.filter { $0.hasPrefix(".take") }, [], "no partial recording left")
        var previousEnd: UInt32 = 0
        for n in 1...10 {
            let kept = sensor.directory.appendingPathComponent("take.interrupted-\(n).csv").path
            let text = try String(contentsOfFile: kept, encoding: .utf8)
            XCTAssertTrue(text.hasSuffix("\n"), "take \(n) ends on a whole row")
            let session = try SensorSession.load(path: kept)
            let beats = try XCTUnwrap(beatRows(text), "take \(n)")
            XCTAssertGreaterThan(beats.count, 0, "take \(n) kept its beats")
            XCTAssertGreaterThan(beats.first?.time ?? 0, previousEnd, "take \(n) comes after take \(n - 1) on the board's clock")
            for (a, b) in zip(beats, beats.dropFirst()) {
                // The board rounds beat times and intervals separately (±1 ms); a lost beat is a whole interval.
                XCTAssertEqual(Double(Int(b.time) - Int(a.time)), Double(b.interval), accuracy: 2,
                               "take \(n): consecutive beats, none lost inside the take")
            }
            XCTAssertEqual(session.beats.count, beats.count, "take \(n)")
            previousEnd = beats.last?.time ?? previousEnd
        }
        XCTAssertFalse(FileManager.default.fileExists(
            atPath: sensor.directory.appendingPathComponent("take.interrupted-11.csv").path))
        XCTAssertGreaterThan(try beatRows(String(contentsOfFile: path, encoding: .utf8)).first?.time ?? 0, previousEnd)
    }

    /// Waits (up to 30 s, however loaded the machine) until `recorder` has
    /// written rows to its partial file of `path`.
    private func waitUntilRecording(_ recorder: Process, into path: String) -> Bool {
        let url = URL(fileURLWithPath: path)
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(recorder.processIdentifier).tmp")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && recorder.isRunning {
            let size = (try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? 0
            if size > 0 { return true }
            usleep(20_000)
        }
        return false
    }

    /// The `beat` rows of a session file as (device time, interval).
    private func beatRows(_ text: String) -> [(time: UInt32, interval: Int)] {
        text.split(separator: "\n").compactMap { row in
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > 3, fields[1] == "beat", let time = UInt32(fields[2]), let interval = Int(fields[3]) else { return nil }
            return (time, interval)
        }
    }

    private func startEmpathy(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = empathyExecutable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testSensorErrorsAreOneLineAndExitOne() throws {
        let table: [([String], String)] = [
            (["sensor", "monitor", "--sensor", "/tmp"], "not a serial port"),
            (["sensor", "monitor", "--sensor", "/dev/ttyNOPE7"], "no sensor at '/dev/ttyNOPE7'"),
            (["sensor", "baseline", "/nonexistent/take.csv"], "/nonexistent/take.csv"),
        ]
        for (arguments, phrase) in table {
            let run = try empathy(arguments)
            XCTAssertEqual(run.status, 1, arguments.joined(separator: " "))
            let lines = run.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains(phrase), run.stderr)
        }
        let badDuration = try empathy(["sensor", "monitor", "--duration", "-1"])
        XCTAssertEqual(badDuration.status, 64)
        XCTAssertTrue(badDuration.stderr.contains("--duration"), badDuration.stderr)
    }

    func testListSaysWhenNothingIsPluggedIn() throws {
        let run = try empathy(["sensor", "list"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // These machines have no USB serial devices; with one plugged in each line names it and why.
        let devices = try SensorDiscovery.list()
        if devices.isEmpty {
            XCTAssertTrue(run.stdout.contains("no USB serial devices found"), run.stdout)
        } else {
            XCTAssertEqual(run.stdout.split(separator: "\n").count, devices.count, run.stdout)
        }
    }

    func testDiscoveryMatchesKnownBoardsAndChips() {
        let table: [(String, String, String?)] = [
            ("2341", "0043", "Arduino (arduino.cc)"),
            ("2A03", "0043", "Arduino (arduino.org)"),
            ("1a86", "7523", "CH340 USB-serial (Uno clones)"),
            ("0403", "6001", "FTDI FT232R USB-serial"),
            ("0403", "6014", nil),
            ("10c4", "ea60", "Silicon Labs CP210x USB-serial"),
            ("239a", "800b", "Adafruit board"),
            ("046d", "c52b", nil),
        ]
        for (vendor, product, expected) in table {
            XCTAssertEqual(SensorDiscovery.match(vendorID: vendor, productID: product), expected, "\(vendor):\(product)")
        }
    }
}
