import Biometrics
import XCTest

/// The parser's verdict on every kind of line, sorted as accepted, ignored and
/// rejected, per format; and the same bytes fed in awkward chunks.
final class LineParserTests: XCTestCase {
    private func verdicts(_ lines: [String], format: SensorFormat? = nil) -> [LineVerdict] {
        var parser = LineParser(format: format)
        return lines.map { parser.parse(Array($0.utf8)) }
    }

    func testChecksumMatchesTheFirmwaresBanner() {
        // Copied from the firmware's output in simavr.
        XCTAssertEqual(LineParser.empathyLine(["HELLO", "1", "empathy-pulse/1.0.0", "500"]),
                       "$EMP,HELLO,1,empathy-pulse/1.0.0,500*2E")
        XCTAssertEqual(LineParser.empathyLine(["B", "1218", "819", "733", "201"]), "$EMP,B,1218,819,733,201*08")
    }

    func testEmpathyLinesAccepted() {
        let table: [(String, SensorMessage)] = [
            ("$EMP,HELLO,1,empathy-pulse/1.0.0,500*2E",
             .hello(protocolVersion: 1, firmware: "empathy-pulse/1.0.0", sampleRateHz: 500)),
            ("$EMP,B,1218,819,733,201*08",
             .beat(deviceTimeMs: 1218, interBeatIntervalMs: 819, heartRateBPM: 73.3, amplitude: 201)),
            ("$EMP,B,400,0,0,194*3E", .beat(deviceTimeMs: 400, interBeatIntervalMs: 0, heartRateBPM: 0, amplitude: 194)),
            ("$EMP,Q,2000,1,204*0C", .quality(deviceTimeMs: 2000, contact: true, amplitude: 204)),
            (LineParser.empathyLine(["Q", "3000", "0", "3"]), .quality(deviceTimeMs: 3000, contact: false, amplitude: 3)),
            (LineParser.empathyLine(["S", "980", "20", "512", "600", "1023"]),
             .samples(deviceTimeMs: 980, intervalMs: 20, values: [512, 600, 1023])),
            ("noise!!$EMP,Q,2000,1,204*0C", .quality(deviceTimeMs: 2000, contact: true, amplitude: 204)),
            ("$EMP,Q,2000,1,204*0C  ", .quality(deviceTimeMs: 2000, contact: true, amplitude: 204)),
        ]
        for (line, message) in table {
            XCTAssertEqual(verdicts([line]), [.accepted([message], .empathy)], line)
        }
    }

    func testEmpathyLinesIgnored() {
        let table: [(String, IgnoreReason)] = [
            ("", .empty),
            ("   ", .empty),
            (LineParser.empathyLine(["T", "1", "2"]), .unknownType),
        ]
        for (line, reason) in table {
            XCTAssertEqual(verdicts([line]), [.ignored(reason)], line)
        }
        // Once a sensor spoke the checksummed protocol, look-alikes of other formats are ignored.
        XCTAssertEqual(verdicts(["$EMP,Q,2000,1,204*0C", "S512", "72,833,512"]).dropFirst(),
                       [.ignored(.otherFormat), .ignored(.otherFormat)])
    }

    func testEmpathyLinesRejected() {
        let table: [(String, RejectReason)] = [
            ("$EMP,B,1218,819,733,201*09", .badChecksum),
            ("$EMP,B,1218,819,733,202*08", .badChecksum),
            ("$EMP,B,1218,819,733,201", .malformed),
            ("$EMP,B,1218,819,733,201*0", .malformed),
            ("$EMP,B,1218,819,733,201*ZZ", .malformed),
            (LineParser.empathyLine(["B", "1218", "819", "733"]), .malformed),
            (LineParser.empathyLine(["B", "-5", "819", "733", "201"]), .malformed),
            (LineParser.empathyLine(["B", "12x", "819", "733", "201"]), .malformed),
            (LineParser.empathyLine(["Q", "2000", "2", "204"]), .malformed),
            (LineParser.empathyLine(["S", "980", "20", "1024"]), .malformed),
            (LineParser.empathyLine(["HELLO", "2", "empathy-pulse/2.0.0", "500"]), .unsupportedVersion),
            (LineParser.empathyLine(["HELLO", "one", "x", "500"]), .malformed),
            ("\u{7F}\u{01}garbage", .notText),
            ("hello world", .unrecognised),
        ]
        for (line, reason) in table {
            XCTAssertEqual(verdicts([line]), [.rejected(reason)], line)
        }
    }

    func testPulseSensorVisualizerLines() {
        XCTAssertEqual(verdicts(["S512", "B72", "Q833", "Q800", "S1024", "Q0", "B999"]), [
            .accepted([.samples(deviceTimeMs: nil, intervalMs: nil, values: [512])], .pulseSensorVisualizer),
            .accepted([.heartRate(bpm: 72)], .pulseSensorVisualizer),
            .accepted([.beat(deviceTimeMs: nil, interBeatIntervalMs: 833, heartRateBPM: 72, amplitude: nil)],
                      .pulseSensorVisualizer),
            // No B line before it: the rate comes from the interval.
            .accepted([.beat(deviceTimeMs: nil, interBeatIntervalMs: 800, heartRateBPM: 75, amplitude: nil)],
                      .pulseSensorVisualizer),
            .rejected(.malformed),
            .rejected(.malformed),
            .rejected(.malformed),
        ])
        // A visualiser sensor's noise that looks like plotter output is ignored.
        XCTAssertEqual(verdicts(["S512", "72,833,512"]).last, .ignored(.otherFormat))
    }

    func testPulseSensorPlotterLines() {
        XCTAssertEqual(verdicts(["72,833,512", "72,833,530", "75, 800, 540", "0,0,500", "72,833", "a,b,c", "72,833,4000"]), [
            .accepted([.beat(deviceTimeMs: nil, interBeatIntervalMs: 833, heartRateBPM: 72, amplitude: nil),
                       .samples(deviceTimeMs: nil, intervalMs: nil, values: [512])], .pulseSensorPlotter),
            // The same interval repeated on the next sample line is not another beat.
            .accepted([.samples(deviceTimeMs: nil, intervalMs: nil, values: [530])], .pulseSensorPlotter),
            .accepted([.beat(deviceTimeMs: nil, interBeatIntervalMs: 800, heartRateBPM: 75, amplitude: nil),
                       .samples(deviceTimeMs: nil, intervalMs: nil, values: [540])], .pulseSensorPlotter),
            .accepted([.samples(deviceTimeMs: nil, intervalMs: nil, values: [500])], .pulseSensorPlotter),
            .rejected(.unrecognised),
            .rejected(.malformed),
            .rejected(.malformed),
        ])
        XCTAssertEqual(verdicts(["72,833,512", "S512"]).last, .ignored(.otherFormat))
    }

    // MARK: Framing

    private static let stream: [UInt8] = Array((
        "EMP,B,11706,776,773,175*31\r\n"            // the tail of a line cut by opening the port
        + "$EMP,HELLO,1,empathy-pulse/1.0.0,500*2E\r\n"
        + "$EMP,B,1218,819,733,201*08\r\n"
        + "\r\n"
        + "$EMP,Q,2000,1,204*0D\r\n"                // bad checksum
        + String(repeating: "x", count: 300) + "\r\n"  // runaway noise
        + "$EMP,Q,2000,1,204*0C\n"                  // bare LF
    ).utf8) + [0xFF, 0xFE, 0x0D, 0x0A] + Array("$EMP,B,2037,819,733,201".utf8)  // garbage, then a partial line

    private func pieces(feeding chunks: [ArraySlice<UInt8>]) -> [LineVerdict] {
        var framer = LineFramer()
        var parser = LineParser()
        var out: [LineVerdict] = []
        for chunk in chunks {
            for piece in framer.append(chunk) {
                switch piece {
                case let .line(bytes): out.append(parser.parse(bytes))
                case .tooLong: out.append(.rejected(.tooLong))
                }
            }
        }
        return out
    }

    func testFramerSurvivesPartialLinesNoiseAndBadChecksums() {
        let all = pieces(feeding: [Self.stream[...]])
        XCTAssertEqual(all, [
            .rejected(.unrecognised),
            .accepted([.hello(protocolVersion: 1, firmware: "empathy-pulse/1.0.0", sampleRateHz: 500)], .empathy),
            .accepted([.beat(deviceTimeMs: 1218, interBeatIntervalMs: 819, heartRateBPM: 73.3, amplitude: 201)], .empathy),
            .ignored(.empty),
            .rejected(.badChecksum),
            .rejected(.tooLong),
            .accepted([.quality(deviceTimeMs: 2000, contact: true, amplitude: 204)], .empathy),
            .rejected(.notText),
        ])
    }

    func testSameBytesGiveSameLinesWhateverTheChunking() {
        let whole = pieces(feeding: [Self.stream[...]])
        let oneByOne = pieces(feeding: Self.stream.indices.map { Self.stream[$0...$0] })
        XCTAssertEqual(oneByOne, whole, "one byte at a time")
        // Cuts right before and after CR, LF, '$' and '*', and at every prime-sized step.
        for step in [2, 3, 5, 7, 13, 29, 64, 121] {
            var chunks: [ArraySlice<UInt8>] = []
            var start = 0
            while start < Self.stream.count {
                let end = min(start + step, Self.stream.count)
                chunks.append(Self.stream[start..<end])
                start = end
            }
            XCTAssertEqual(pieces(feeding: chunks), whole, "chunks of \(step)")
        }
        var cuts: [Int] = [0]
        for (i, byte) in Self.stream.enumerated() where [0x0D, 0x0A, 0x24, 0x2A].contains(byte) {
            cuts.append(i); cuts.append(i + 1)
        }
        cuts.append(Self.stream.count)
        let uniqueCuts = Array(Set(cuts)).sorted()
        let awkward = zip(uniqueCuts, uniqueCuts.dropFirst()).map { Self.stream[$0..<$1] }
        XCTAssertEqual(pieces(feeding: awkward), whole, "cut around delimiters")
    }
}
