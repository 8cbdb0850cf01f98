import EmpathyCore
import XCTest

@testable import ImageSequence

final class SequenceNamingTests: XCTestCase {
    func testStemNamingPadsNumbers() {
        let table: [(SequenceNaming, Int, String)] = [
            (SequenceNaming(stem: "scene"), 1, "scene.0001.png"),
            (SequenceNaming(stem: "scene"), 123, "scene.0123.png"),
            (SequenceNaming(stem: "scene"), 12345, "scene.12345.png"),
            (SequenceNaming(stem: "scene", padding: 6), 42, "scene.000042.png"),
            (SequenceNaming(stem: "scene", padding: 0), 42, "scene.42.png"),
            (SequenceNaming(stem: "take 3"), 0, "take 3.0000.png"),
            (SequenceNaming(stem: "scene"), -5, "scene.-005.png"),
        ]
        for (naming, number, expected) in table {
            XCTAssertEqual(naming.fileName(number: number), expected)
        }
    }

    func testStartNumberIsKept() throws {
        XCTAssertEqual(SequenceNaming(stem: "scene").startNumber, 1)
        XCTAssertEqual(SequenceNaming(stem: "scene", startNumber: 1001).startNumber, 1001)
        XCTAssertEqual(try SequenceNaming(pattern: "s.%04d.png", startNumber: 0).startNumber, 0)
    }

    func testPatternParsingMatchesPrintf() throws {
        let table: [(String, Int, String)] = [
            ("scene.%04d.png", 7, "scene.0007.png"),
            ("%d.png", 7, "7.png"),
            ("shot_%06d_v2.png", 31, "shot_000031_v2.png"),
            ("100%%_%03d.png", 7, "100%_007.png"),
            ("f%01d.PNG", 12, "f12.PNG"),
            ("scene.%04d.png", -5, "scene.-005.png"),
        ]
        for (pattern, number, expected) in table {
            XCTAssertEqual(try SequenceNaming(pattern: pattern).fileName(number: number), expected, pattern)
        }
    }

    func testPatternAndStemDescribeTheSameNaming() throws {
        XCTAssertEqual(try SequenceNaming(pattern: "scene.%04d.png"), SequenceNaming(stem: "scene"))
        XCTAssertNotEqual(try SequenceNaming(pattern: "scene.%05d.png"), SequenceNaming(stem: "scene"))
    }

    func testPatternRejectsAnythingButOneNumber() {
        let rejects: [(String, String)] = [
            ("scene.png", "no frame number"),
            ("scene.%04d.%04d.png", "more than one"),
            ("scene.%s.png", "only %d or %0Nd"),
            ("scene.%04x.png", "only %d or %0Nd"),
            ("scene.%4d.png", "%0Nd"),
            ("scene.%013d.png", "1 to 12"),
            ("scene.%04d.jpg", "'.png'"),
            ("shots/scene.%04d.png", "without '/'"),
            ("scene.%04d%.png", "only %d or %0Nd"),
            ("", "'.png'"),
        ]
        for (pattern, reason) in rejects {
            XCTAssertThrowsError(try SequenceNaming(pattern: pattern), pattern) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("'\(pattern)'"), "must name the pattern: \(message)")
                XCTAssertTrue(message.contains(reason), "'\(pattern)' should say \(reason): \(message)")
                XCTAssertTrue(message.contains("scene.%04d.png"), "must show a valid pattern: \(message)")
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            }
        }
    }
}
