import Biometrics
import EmpathyCore
import Foundation
import XCTest

final class SensorSessionTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(getpid())-\(name)").path
    }

    func testRecordedSimulatedSessionReplaysBeatsHeartRateAndPhase() throws {
        let sensor = try SimulatedSensor()
        let process = try sensor.start(["--bpm", "75", "--duration-s", "30", "--seed", "7"])
        var options = SensorReaderOptions()
        options.reconnect = false
        let reader = SensorReader(source: .path(sensor.linkPath), options: options)
        let path = temporaryPath("session.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try SessionRecorder(path: path, source: sensor.linkPath, startDate: reader.startDate, footageOffsetSeconds: 2)
        var recordError: Error?
        try reader.run { event in
            do { try recorder.record(event) } catch { recordError = error }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the destination before finish()")
        try recorder.finish()
        process.waitUntilExit()
        XCTAssertNil(recordError)

        let session = try SensorSession.load(path: path)
        XCTAssertEqual(session.offsetSeconds, 2)
        XCTAssertEqual(session.source, sensor.linkPath)
        let truth = try sensor.truth().filter { $0.timeSeconds < 29.7 }
        let recorded = session.beats.prefix(truth.count)
        XCTAssertEqual(session.beats.count, truth.count)
        // Device-clock precision survives: intervals between session beat times match the truth within 2 ms.
        var worstMs = 0.0
        for i in 1..<min(recorded.count, truth.count) {
            let recordedInterval = recorded[i].timeSeconds - recorded[i - 1].timeSeconds
            let trueInterval = truth[i].timeSeconds - truth[i - 1].timeSeconds
            worstMs = max(worstMs, abs(recordedInterval - trueInterval) * 1000)
        }
        XCTAssertLessThanOrEqual(worstMs, 2, "worst interval error")

        // Footage time f is session time f + 2: phase 0 at a beat, 0.5 half-way to the next.
        let beat = session.beats[10].timeSeconds, next = session.beats[11].timeSeconds
        XCTAssertEqual(session.beatPhase(atFootageSeconds: beat - 2) ?? -1, 0, accuracy: 1e-9)
        XCTAssertEqual(session.beatPhase(atFootageSeconds: (beat + next) / 2 - 2) ?? -1, 0.5, accuracy: 1e-9)
        XCTAssertEqual(session.heartRateBPM(atFootageSeconds: next - 2) ?? 0, 75, accuracy: 5)
        XCTAssertNotNil(session.rmssdMs(atFootageSeconds: 25))
        XCTAssertEqual(try SensorSession.load(path: path, offsetSeconds: 0).offsetSeconds, 0, "--sensor-offset overrides the file")
    }

    private static let sessionWithGap = """
        # empathy sensor session v1
        # started_utc=2026-11-21T05:41:00.000Z
        # source=/dev/ttyACM0
        # footage_offset_s=0
        host_time_s,event,device_time_ms,interval_ms,bpm,contact,amplitude,raw
        0.100000,connected,,,,,,"/dev/ttyACM0 empathy-pulse/1.0.0 empathy"
        1.050000,beat,1000,0,0.0,,200,"$EMP,B,1000,0,0,200*00"
        2.060000,beat,2000,1000,60.0,,200,"x"
        3.040000,beat,3000,1000,60.0,,200,"x"
        3.500000,quality,3400,,,1,200,"x"
        4.050000,beat,4000,1000,60.0,,200,"x"
        4.500000,disconnected,,,,,,"sensor '/dev/ttyACM0' went away: hung up: check the cable"
        9.000000,connected,,,,,,"/dev/ttyACM0 empathy-pulse/1.0.0 empathy after a 4.500 s gap"
        10.540000,beat,500,0,0.0,,200,"x"
        11.340000,beat,1300,800,75.0,,200,"x"

        """

    func testSessionGapsHaveNoHeartRateOrPhase() throws {
        let session = try SensorSession.parse(Self.sessionWithGap, path: "gap.csv")
        XCTAssertEqual(session.gaps, [4.5...9.0])
        // Device time maps through the line under the (device, arrival − device) points:
        // (1.0, 0.050) (2.0, 0.060) (3.0, 0.040) (3.4, 0.100) (4.0, 0.050); their mean device
        // time 2.68 s lies under the hull edge (1.0, 0.050)–(3.0, 0.040), offset 0.055 − 0.005 d.
        XCTAssertEqual(session.beats.map(\.timeSeconds), [1.05, 2.045, 3.04, 4.035, 10.54, 11.34], accuracy: 1e-9)
        XCTAssertEqual(session.beats.map(\.interBeatIntervalMs), [nil, 1000, 1000, 1000, nil, 800])
        XCTAssertEqual(session.heartRateBPM(atFootageSeconds: 4.2) ?? 0, 60, accuracy: 1e-9)
        XCTAssertNil(session.heartRateBPM(atFootageSeconds: 6), "in the gap")
        XCTAssertNil(session.beatPhase(atFootageSeconds: 6), "in the gap")
        XCTAssertEqual(session.beatPhase(atFootageSeconds: (2.045 + 3.04) / 2) ?? -1, 0.5, accuracy: 1e-9)
        XCTAssertEqual(session.contact.first?.contact, true)
    }

    func testSessionFollowsADriftingBoardClockAndIgnoresArrivalJitter() throws {
        // A board clock 0.5 % slow against the host; lines arrive 30–60 ms after the beat.
        var text = "# empathy sensor session v1\n" + SessionFormat.header + "\n"
        var state: UInt64 = 12345  // a fixed pseudo-random delay sequence (LCG)
        for i in 1...120 {
            let deviceMs = i * 1000
            let trueHost = Double(deviceMs) / 1000 * 1.005
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let arrival = trueHost + 0.030 + 0.030 * Double(state >> 11) / Double(1 << 53)
            text += String(format: "%.6f", arrival) + ",beat,\(deviceMs),1000,60.0,,200,\"x\"\n"
        }
        let session = try SensorSession.parse(text, path: "drift.csv")
        var worstMs = 0.0
        for (i, beat) in session.beats.enumerated() {
            let expected = Double(i + 1) * 1.005 + 0.030
            worstMs = max(worstMs, abs(beat.timeSeconds - expected) * 1000)
        }
        // The line under the least-delayed of 30 lines in each window: a few ms over 30 ms.
        XCTAssertLessThanOrEqual(worstMs, 10, "worst beat time error in ms")
        // A single offset for the session would be off by 0.5 s after 100 s.
        XCTAssertEqual(session.beats[119].timeSeconds, 120 * 1.005 + 0.030, accuracy: 0.010)
        print("SensorSession: drifting clock, worst beat error \(String(format: "%.1f", worstMs)) ms")
    }

    func testAnHourLongSessionLoadsQuickly() throws {
        // One hour at 75 BPM with quality lines and the raw stream: about 26,000 rows.
        var text = "# empathy sensor session v1\n" + SessionFormat.header + "\n"
        text.reserveCapacity(2_000_000)
        for i in 0..<18_000 {
            let deviceMs = i * 200
            let host = String(format: "%.6f", Double(deviceMs) / 1000 + 0.04)
            text += "\(host),samples,\(deviceMs),,,,,\"x\"\n"
            if i % 4 == 0 { text += "\(host),beat,\(deviceMs),800,75.0,,200,\"x\"\n" }
            if i % 5 == 0 { text += "\(host),quality,\(deviceMs),,,1,200,\"x\"\n" }
        }
        let started = Date()
        let session = try SensorSession.parse(text, path: "hour.csv")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(session.beats.count, 4500)
        XCTAssertEqual(session.heartRateBPM(atFootageSeconds: 1800) ?? 0, 75, accuracy: 1e-9)
        XCTAssertLessThan(seconds, 15, "seconds to load an hour (debug build; quadratic took minutes)")
        print("SensorSession: an hour (\(text.split(separator: "\n").count) rows) loaded in \(String(format: "%.2f", seconds)) s")
    }

    func testBadSessionFilesNameTheLine() {
        let header = "# empathy sensor session v1\n" + SessionFormat.header + "\n"
        let table: [(String, Int?, String)] = [
            ("time,bpm\n1,60\n", 1, "not a sensor session"),
            ("# empathy sensor session v1\n# footage_offset_s=abc\n", 2, "footage_offset_s"),
            ("# empathy sensor session v1\ntime,bpm\n", 2, "column header"),
            (header + "0.5,beat,1000,800\n", 3, "expected 8 columns, found 4"),
            (header + "soon,beat,1000,800,75,,200,\"x\"\n", 3, "host_time_s 'soon'"),
            (header + "0.5,beat,1000,8e,75,,200,\"x\"\n", 3, "interval_ms '8e'"),
            ("# empathy sensor session v1\n", nil, "truncated"),
        ]
        for (text, line, phrase) in table {
            XCTAssertThrowsError(try SensorSession.parse(text, path: "bad.csv"), phrase) { error in
                guard case let .badFile(path, errorLine, message)? = error as? EmpathyError else {
                    return XCTFail("expected .badFile, got \(error)")
                }
                XCTAssertEqual(path, "bad.csv")
                XCTAssertEqual(errorLine, line, message)
                XCTAssertTrue(message.contains(phrase), message)
            }
        }
    }

    func testMissingSessionFileIsAnIOError() {
        XCTAssertThrowsError(try SensorSession.load(path: "/nonexistent/take3.csv")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent/take3.csv"), "\(error)")
        }
    }

    func testAbandonedRecordingLeavesNoFile() throws {
        let path = temporaryPath("abandoned.csv")
        let recorder = try SessionRecorder(path: path, source: "test", startDate: Date())
        try recorder.record(.disconnected(path: "test", reason: "x", hostTimeSeconds: 1))
        try recorder.flush()
        recorder.abandon()
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains("\(getpid())-abandoned") }
        XCTAssertEqual(leftovers, [])
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b)", file: file, line: line) }
}

final class SensorSessionOrderTests: XCTestCase {
    func testRowsGoingBackInTimeAreRejectedWithTheirLine() {
        let text = [SessionFormat.magic, SessionFormat.header,
                    "5.000000,disconnected,,,,,,gone",
                    "3.000000,connected,,,,,,back"].joined(separator: "\n") + "\n"
        XCTAssertThrowsError(try SensorSession.parse(text, path: "merged.csv")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("'merged.csv' line 4: host_time_s 3.000000 goes back in time"), message)
        }
    }
}
