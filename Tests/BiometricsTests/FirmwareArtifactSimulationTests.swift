import Biometrics
import Foundation
import XCTest

/// The firmware and the host filter on a difficult signal: the finger lifted
/// for a while, premature (ectopic) beats and beats too weak to detect.
final class FirmwareArtifactSimulationTests: XCTestCase {
    func testContactLossEctopicAndMissedBeats() throws {
        let sensor = try SimulatedSensor()
        let process = try sensor.start([
            "--bpm", "70", "--duration-s", "45", "--seed", "9",
            "--contact-loss", "15,5", "--ectopic-every", "12", "--missed-every", "17",
        ])
        var options = SensorReaderOptions()
        options.reconnect = false
        let log = EventLog()
        try SensorReader(source: .path(sensor.linkPath), options: options).run { log.append($0) }
        process.waitUntilExit()
        let truth = try sensor.truth()

        // Contact: reported lost during the lift (within the detector's 1–3 s), and back after.
        var contact: [(timeMs: UInt32, contact: Bool)] = []
        for case let .line(line) in log.events {
            guard case let .accepted(messages, _) = line.verdict else { continue }
            for case let .quality(time?, c, _) in messages { contact.append((time, c)) }
        }
        XCTAssertTrue(contact.filter { $0.timeMs < 15000 && $0.timeMs > 3000 }.allSatisfy(\.contact), "contact before the lift")
        XCTAssertTrue(contact.filter { $0.timeMs >= 18000 && $0.timeMs <= 20000 }.allSatisfy { !$0.contact }, "no contact during the lift")
        XCTAssertTrue(contact.filter { $0.timeMs >= 24000 }.allSatisfy(\.contact), "contact after the lift")

        // Beats: none during the lift; the first after it carries no interval.
        let beats = log.beats
        XCTAssertTrue(beats.allSatisfy { $0.deviceTimeMs < 15000 || $0.deviceTimeMs > 20000 }, "beats while lifted")
        guard let firstAfter = beats.first(where: { $0.deviceTimeMs > 20000 }) else { return XCTFail("no beats after the lift") }
        XCTAssertEqual(firstAfter.interBeatIntervalMs, 0, "no interval spans the lift")

        // Every detectable true beat found within 20 ms; missed ones not invented. A beat
        // whose upstroke merges with the step of the finger coming back (within 0.2 s) is
        // not detectable.
        let detectable = truth.filter {
            ($0.kind == "normal" || $0.kind == "ectopic") && $0.timeSeconds < 44.7 && !(20...20.2).contains($0.timeSeconds)
        }
        var worstMs = 0.0
        for beat in detectable {
            let nearest = beats.map { abs(Double($0.deviceTimeMs) - beat.timeSeconds * 1000) }.min() ?? .infinity
            worstMs = max(worstMs, nearest)
        }
        XCTAssertLessThanOrEqual(worstMs, 20, "worst detectable beat error, ms")
        XCTAssertEqual(beats.filter { Double($0.deviceTimeMs) < 44700 }.count, detectable.count, "one detection per detectable beat")

        // The host's artifact filter sets aside the intervals around ectopic and missed beats.
        let filtered = HeartStatistics.filter(beats.map {
            HeartBeat(timeSeconds: Double($0.deviceTimeMs) / 1000,
                      interBeatIntervalMs: $0.interBeatIntervalMs > 0 ? Double($0.interBeatIntervalMs) : nil)
        })
        for ectopic in truth.filter({ $0.kind == "ectopic" && $0.timeSeconds < 44.7 }) {
            let beat = filtered.min { abs($0.timeSeconds - ectopic.timeSeconds) < abs($1.timeSeconds - ectopic.timeSeconds) }
            XCTAssertNotEqual(beat?.verdict, .accepted, "premature beat at \(ectopic.timeSeconds) s")
        }
        let accepted = filtered.compactMap(\.normalIntervalMs)
        XCTAssertTrue(accepted.allSatisfy { abs($0 - 60000 / 70) < 0.2 * 60000 / 70 }, "only normal intervals accepted")
        XCTAssertGreaterThan(accepted.count, 25)
    }
}
