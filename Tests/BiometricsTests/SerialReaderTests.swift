import Biometrics
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The serial port and reader against a pseudo-terminal playing the device,
/// and against paths that are not devices at all.
final class SerialReaderTests: XCTestCase {
    func testPortReadsBytesAndReportsHangUpAsGone() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath)
        pty.send("$EMP,Q,2000,1,204*0C\r\n")
        var received: [UInt8] = []
        for _ in 0..<20 where received.count < 22 { received += try port.read(timeoutMs: 100) }
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "$EMP,Q,2000,1,204*0C\r\n")
        pty.closeMaster()
        XCTAssertThrowsError(try port.read(timeoutMs: 1000)) { error in
            guard case .gone? = error as? SerialPortError else { return XCTFail("expected .gone, got \(error)") }
        }
    }

    func testOpeningErrorsNameThePathAndWhatToDo() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-tty-\(getpid()).txt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let table: [(String, SerialPortError, String)] = [
            (file, .notATerminal(path: file), "ENOTTY"),
            ("/tmp", .notATerminal(path: "/tmp"), "not a serial port"),
            ("/dev/ttyNOPE9", .notFound(path: "/dev/ttyNOPE9"), "empathy sensor list"),
        ]
        for (path, expected, phrase) in table {
            XCTAssertThrowsError(try SerialPort(path: path), path) { error in
                XCTAssertEqual(error as? SerialPortError, expected)
                let message = String(describing: error)
                XCTAssertTrue(message.contains(path) && message.contains(phrase), message)
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            }
        }
    }

    func testDeviceThatNeverSendsABannerIsAskedOnceThenRefused() throws {
        let pty = try PseudoTerminal()
        var options = SensorReaderOptions()
        options.bannerTimeoutSeconds = 0.6
        let background = BackgroundReader(SensorReader(source: .path(pty.slavePath), options: options))
        XCTAssertEqual(pty.receive(timeoutMs: 2000), "?\n", "the reader asks for the banner")
        let (exited, error) = background.waitForExit(timeoutSeconds: 5)
        XCTAssertTrue(exited, "the reader gave up instead of hanging")
        XCTAssertEqual(error as? SerialPortError, .noBanner(path: pty.slavePath, waitedSeconds: 0.6))
    }

    func testStopWhileWaitingForTheBannerReturnsAtOnce() throws {
        let pty = try PseudoTerminal()
        var options = SensorReaderOptions()
        options.bannerTimeoutSeconds = 30
        let background = BackgroundReader(SensorReader(source: .path(pty.slavePath), options: options))
        usleep(200_000)
        let started = Date()
        XCTAssertNil(background.finish(), "stopping is not an error")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "seconds to stop (a hang would never return)")
        XCTAssertTrue(background.log.connections.isEmpty, "no connection reported without a banner")
    }

    func testGarbageAtTheWrongBaudRateIsCountedAndRefused() throws {
        let pty = try PseudoTerminal()
        var options = SensorReaderOptions()
        options.bannerTimeoutSeconds = 0.6
        let reader = SensorReader(source: .path(pty.slavePath), options: options)
        let background = BackgroundReader(reader)
        // What 115200-baud text looks like to a port at the wrong speed.
        for _ in 0..<10 { pty.send([0xF8, 0x80, 0x00, 0x78, 0xE6, 0x1E, 0x0A]) }
        let (exited, error) = background.waitForExit(timeoutSeconds: 5)
        XCTAssertTrue(exited)
        guard case .noBanner? = error as? SerialPortError else { return XCTFail("expected .noBanner, got \(String(describing: error))") }
        XCTAssertEqual(reader.counts.rejected[.notText], 10)
        XCTAssertEqual(reader.counts.accepted, 0)
    }

    func testPulseSensorPlaygroundSensorConnectsWithoutBanner() throws {
        let pty = try PseudoTerminal()
        let background = BackgroundReader(SensorReader(source: .path(pty.slavePath)))
        pty.send("S512\nS530\nB72\nQ833\nS540\n")
        XCTAssertTrue(background.wait(timeoutSeconds: 5) { $0.connections.count == 1 })
        XCTAssertNil(background.finish())
        XCTAssertEqual(background.log.connections.first?.format, .pulseSensorVisualizer)
        XCTAssertNil(background.log.connections.first?.firmware ?? nil)
    }

    func testHangUpMidSessionIsReportedAndTheReaderWaitsForTheDevice() throws {
        let pty = try PseudoTerminal()
        // Read through a link that goes with the device, as /dev/ttyACM0 does
        // on unplugging (so a retry never opens a reused /dev/pts number).
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("sensor-\(getpid())").path
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: pty.slavePath)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let background = BackgroundReader(SensorReader(source: .path(link)))
        pty.send("$EMP,HELLO,1,empathy-pulse/1.0.0,500*2E\r\n" + LineParser.empathyLine(["B", "1218", "819", "733", "201"]) + "\r\n")
        XCTAssertTrue(background.wait(timeoutSeconds: 5) { $0.beats.count == 1 })
        try FileManager.default.removeItem(atPath: link)
        pty.closeMaster()
        XCTAssertTrue(background.wait(timeoutSeconds: 5) { $0.disconnections.count == 1 })
        // Still running (retrying), not crashed or returned.
        XCTAssertFalse(background.waitForExit(timeoutSeconds: 0.3).exited)
        XCTAssertNil(background.finish())
        XCTAssertTrue(background.log.disconnections[0].contains(link), background.log.disconnections[0])
        XCTAssertEqual(background.reader.counts.disconnects, 1)
    }
}
