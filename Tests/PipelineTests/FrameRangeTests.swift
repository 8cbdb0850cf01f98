import EmpathyCore
import XCTest

final class FrameRangeTests: XCTestCase {
    func testParsesTheFormsUsersWrite() {
        let accepted: [(String, FrameRange)] = [
            ("1-10", FrameRange(first: 1, last: 10)),
            ("5-", FrameRange(first: 5, last: nil)),
            ("-7", FrameRange(first: 1, last: 7)),
            ("12", FrameRange(first: 12, last: 12)),
            (" 3-4 ", FrameRange(first: 3, last: 4)),
        ]
        for (text, expected) in accepted {
            XCTAssertEqual(FrameRange(parsing: text), expected, "'\(text)'")
        }
    }

    func testRejectsMalformedRanges() {
        for text in ["", "0", "0-5", "5-3", "a-b", "1-2-3", "-", "1.5-3", "--2"] {
            XCTAssertNil(FrameRange(parsing: text), "'\(text)' should be rejected")
        }
    }

    func testClampsToTheClip() {
        XCTAssertEqual(FrameRange(first: 3, last: 500).clamped(toFrameCount: 96), 3...96)
        XCTAssertEqual(FrameRange(first: 5).clamped(toFrameCount: 96), 5...96)
        XCTAssertNil(FrameRange(first: 97, last: 99).clamped(toFrameCount: 96))
    }
}
