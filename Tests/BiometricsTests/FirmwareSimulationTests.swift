import Biometrics
import Foundation
import XCTest

/// End to end: the real firmware in simavr, a synthetic pulse with known
/// beats, the Swift reader over the pty. Each 60 s session simulates in
/// about 2 s here.
final class FirmwareSimulationTests: XCTestCase {
    /// Detected beats must be this close to the generator's (device clock).
    static let beatToleranceMs = 20.0
    static let heartRateToleranceBPM = 1.0
    static let rmssdRelativeTolerance = 0.05

    private func readUntilHangUp(_ sensor: SimulatedSensor) throws -> EventLog {
        var options = SensorReaderOptions()
        options.reconnect = false
        let reader = SensorReader(source: .path(sensor.linkPath), options: options)
        let log = EventLog()
        try reader.run { log.append($0) }
        XCTAssertEqual(reader.counts.rejectedTotal, 0, "rejected lines: \(reader.counts.rejected)")
        return log
    }

    private func checkSession(bpm: Double, rsaMs: Double, seed: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let sensor = try SimulatedSensor()
        let durationSeconds = 60.0
        let process = try sensor.start([
            "--bpm", "\(bpm)", "--rsa-ms", "\(rsaMs)", "--jitter-ms", "10", "--noise-mv", "5",
            "--seed", "\(seed)", "--duration-s", "\(durationSeconds)",
        ])
        let log = try readUntilHangUp(sensor)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "pulse-sim exit status", file: file, line: line)

        guard case let .connected(_, firmware, format, _, _)? = log.events.first else {
            return XCTFail("first event is not .connected: \(String(describing: log.events.first))", file: file, line: line)
        }
        XCTAssertEqual(firmware, "empathy-pulse/1.0.0", file: file, line: line)
        XCTAssertEqual(format, .empathy, file: file, line: line)

        // Every true beat (but those the simulation's end cut short) detected within 20 ms, nothing extra.
        let truth = try sensor.truth().filter { $0.timeSeconds < durationSeconds - 0.3 }
        let detected = log.beats.filter { Double($0.deviceTimeMs) / 1000 < durationSeconds - 0.3 }
        XCTAssertEqual(detected.count, truth.count, "beats detected vs generated", file: file, line: line)
        var worst = (errorMs: 0.0, index: -1)
        for (index, beat) in truth.enumerated() {
            let nearest = detected.map { abs(Double($0.deviceTimeMs) - beat.timeSeconds * 1000) }.min() ?? .infinity
            if nearest > worst.errorMs { worst = (nearest, index) }
        }
        XCTAssertLessThanOrEqual(worst.errorMs, Self.beatToleranceMs,
                                 "worst beat: truth #\(worst.index) off by \(worst.errorMs) ms", file: file, line: line)

        // Heart rate over 10 s windows and RMSSD over the whole session, from
        // the detected beats (artifact-filtered) and from the generator's.
        let truthBeats = zip(truth, [nil] + truth.map(\.timeSeconds)).map { beat, previous in
            HeartBeat(timeSeconds: beat.timeSeconds, interBeatIntervalMs: previous.map { (beat.timeSeconds - $0) * 1000 })
        }
        let detectedBeats = detected.map {
            HeartBeat(timeSeconds: Double($0.deviceTimeMs) / 1000,
                      interBeatIntervalMs: $0.interBeatIntervalMs > 0 ? Double($0.interBeatIntervalMs) : nil)
        }
        let truthFiltered = HeartStatistics.filter(truthBeats)
        let detectedFiltered = HeartStatistics.filter(detectedBeats)
        XCTAssertEqual(detectedFiltered.filter { $0.verdict != .accepted }.count, 1,
                       "only the first beat (no interval) is set aside", file: file, line: line)
        for t in stride(from: 10.0, through: 59.0, by: 7.0) {
            guard let expected = HeartStatistics.heartRateBPM(truthFiltered, at: t),
                  let measured = HeartStatistics.heartRateBPM(detectedFiltered, at: t)
            else { return XCTFail("no heart rate at \(t) s", file: file, line: line) }
            XCTAssertEqual(measured, expected, accuracy: Self.heartRateToleranceBPM, "BPM at \(t) s", file: file, line: line)
        }
        let end = durationSeconds
        guard let trueRMSSD = HeartStatistics.rmssdMs(truthFiltered, at: end, windowSeconds: end),
              let measuredRMSSD = HeartStatistics.rmssdMs(detectedFiltered, at: end, windowSeconds: end)
        else { return XCTFail("no RMSSD", file: file, line: line) }
        XCTAssertEqual(measuredRMSSD, trueRMSSD, accuracy: trueRMSSD * Self.rmssdRelativeTolerance,
                       "RMSSD (truth \(trueRMSSD) ms)", file: file, line: line)
        print("FirmwareSimulation \(bpm) BPM: \(truth.count) beats, worst \(worst.errorMs) ms, RMSSD \(measuredRMSSD) vs \(trueRMSSD) ms")
    }

    func testFirmwareMeasures60BPMWithBreathingVariability() throws {
        try checkSession(bpm: 60, rsaMs: 50, seed: 60)
    }

    func testFirmwareMeasures75BPMWithBreathingVariability() throws {
        try checkSession(bpm: 75, rsaMs: 40, seed: 75)
    }

    func testFirmwareMeasures120BPMWithBreathingVariability() throws {
        try checkSession(bpm: 120, rsaMs: 20, seed: 120)
    }
}
