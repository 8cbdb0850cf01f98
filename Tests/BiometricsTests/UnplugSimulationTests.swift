import Biometrics
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The simulator is killed mid-session (the cable pulled) and started again:
/// the reader reports the gap and carries on with the new session.
final class UnplugSimulationTests: XCTestCase {
    func testReaderReportsTheGapAndResumesWhenTheSimulatorRestarts() throws {
        let sensor = try SimulatedSensor()
        // Real time, so that there is a "mid-session" to pull the cable in.
        let first = try sensor.start(["--bpm", "90", "--duration-s", "600", "--realtime", "--seed", "1"])
        let background = BackgroundReader(SensorReader(source: .path(sensor.linkPath)))
        defer {
            background.finish()
            if first.isRunning { first.terminate() }
        }
        XCTAssertTrue(background.wait(timeoutSeconds: 15) { $0.beats.count >= 2 }, "beats before unplugging")

        // Unplug: the device node goes, the pty hangs up.
        try? FileManager.default.removeItem(atPath: sensor.linkPath)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertTrue(background.wait(timeoutSeconds: 5) { $0.disconnections.count == 1 }, "gap reported")
        let beatsBeforeGap = background.log.beats.count
        usleep(300_000)

        // Plug back in: a fresh board boots (device clock from 0).
        let second = try sensor.start(["--bpm", "60", "--duration-s", "8", "--seed", "2"])
        defer { if second.isRunning { second.terminate() } }
        XCTAssertTrue(background.wait(timeoutSeconds: 15) { $0.connections.count == 2 && $0.beats.count >= beatsBeforeGap + 5 },
                      "beats after reconnecting")
        let connections = background.log.connections
        XCTAssertEqual(connections.count, 2)
        XCTAssertNil(connections[0].gapSeconds)
        XCTAssertGreaterThanOrEqual(connections[1].gapSeconds ?? 0, 0.3, "the gap covers the time unplugged")
        XCTAssertEqual(connections[1].firmware, "empathy-pulse/1.0.0")
        let beats = background.log.beats
        XCTAssertEqual(beats[beatsBeforeGap].interBeatIntervalMs, 0, "no interval spans the gap")
        XCTAssertLessThan(beats[beatsBeforeGap].deviceTimeMs, 1500, "the new board's clock starts again")
        XCTAssertEqual(background.reader.counts.reconnects, 1)
        XCTAssertEqual(background.reader.counts.rejectedTotal, 0)
    }
}
