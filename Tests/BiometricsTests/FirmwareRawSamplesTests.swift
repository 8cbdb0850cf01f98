import Biometrics
import Foundation
import XCTest

/// The firmware's optional raw stream, switched on by the host.
final class FirmwareRawSamplesTests: XCTestCase {
    func testHostTurnsOnDecimatedRawSamples() throws {
        let sensor = try SimulatedSensor()
        let process = try sensor.start(["--bpm", "70", "--duration-s", "20", "--seed", "4"])
        let port = try SerialPort(path: sensor.linkPath)
        try port.write(Array("R1\n".utf8))
        var framer = LineFramer()
        var parser = LineParser()
        var blocks: [(timeMs: UInt32, intervalMs: Int?, values: [Int])] = []
        var beatsBefore = 0, beatsAfter = 0
        readLoop: while true {
            let bytes: [UInt8]
            do { bytes = try port.read(timeoutMs: 5000) } catch { break readLoop }
            for case let .line(line) in framer.append(bytes) {
                guard case let .accepted(messages, _) = parser.parse(line) else {
                    return XCTFail("unexpected line \(String(decoding: line, as: UTF8.self))")
                }
                for message in messages {
                    switch message {
                    case let .samples(time?, interval, values): blocks.append((time, interval, values))
                    case .beat: if blocks.isEmpty { beatsBefore += 1 } else { beatsAfter += 1 }
                    default: break
                    }
                }
            }
        }
        process.waitUntilExit()
        XCTAssertGreaterThan(blocks.count, 20, "S lines after R1")
        XCTAssertGreaterThan(beatsAfter, 5, "beats keep coming with the raw stream on")
        XCTAssertTrue(blocks.allSatisfy { $0.values.count == 10 && $0.intervalMs == 20 })
        // Back to back: each block starts 200 ms after the previous one.
        for (a, b) in zip(blocks, blocks.dropFirst()) {
            XCTAssertEqual(b.timeMs - a.timeMs, 200, "blocks at \(a.timeMs) and \(b.timeMs)")
        }
        // The synthetic pulse spans roughly 1.7–3.0 V: 350–620 ADC counts.
        let values = blocks.flatMap(\.values)
        XCTAssertGreaterThan(values.min() ?? 0, 300)
        XCTAssertLessThan(values.max() ?? 1023, 680)
    }
}
