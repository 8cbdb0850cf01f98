import EmpathyCore
import XCTest

/// `--frames`: OpenJD range expressions and the open ends of one range.
final class FrameSpecTests: XCTestCase {
    func testParsesOpenJDExpressionsAndOpenEnds() {
        let accepted: [(String, [FrameSpec.Item], String)] = [
            ("1-10", [.init(first: 1, last: 10)], "1-10"),
            ("5-", [.init(first: 5, last: nil)], "5-"),
            ("-7", [.init(first: 1, last: 7)], "1-7"),
            ("12", [.init(first: 12, last: 12)], "12"),
            (" 3-4 ", [.init(first: 3, last: 4)], "3-4"),
            (" 1 - 5 , 8 ", [.init(first: 1, last: 5), .init(first: 8, last: 8)], "1-5,8"),
            ("1-1", [.init(first: 1, last: 1)], "1"),
            ("12-12:2", [.init(first: 12, last: 12)], "12"),
            ("1-10:3", [.init(first: 1, last: 10, step: 3)], "1-10:3"),
            ("1-10, 12,20-30:2", [.init(first: 1, last: 10), .init(first: 12, last: 12), .init(first: 20, last: 30, step: 2)],
             "1-10,12,20-30:2"),
        ]
        for (text, items, canonical) in accepted {
            let spec = FrameSpec(parsing: text)
            XCTAssertEqual(spec?.items, items, "'\(text)'")
            XCTAssertEqual(spec?.description, canonical, "'\(text)'")
            XCTAssertEqual(spec.flatMap { FrameSpec(parsing: $0.description) }, spec, "'\(text)' round trip")
        }
    }

    func testRejectsMalformedExpressions() {
        for text in ["", "0", "0-5", "5-3", "a-b", "1-2-3", "-", "1.5-3", "--2", "1-10:0", "1-10:-2", "5:2", "1-10:", "1,", ",1",
                     "1,5-", "-3,7", "1-5:2:2", "+3", "1 0", "٣", "1-99999999999999999999"] {
            XCTAssertNil(FrameSpec(parsing: text), "'\(text)' should be rejected")
        }
    }

    func testFramesAreTheClipsOwnAscendingAndEachOnce() {
        XCTAssertEqual(FrameSpec(parsing: "3-500")?.frames(inClipOf: 6), [3, 4, 5, 6])
        XCTAssertEqual(FrameSpec(parsing: "5-")?.frames(inClipOf: 7), [5, 6, 7])
        XCTAssertEqual(FrameSpec(parsing: "97-99")?.frames(inClipOf: 96), [])
        XCTAssertEqual(FrameSpec(parsing: "9,1-4:2,2-3,9")?.frames(inClipOf: 20), [1, 2, 3, 9])
        XCTAssertEqual(FrameSpec(parsing: "10-20:5")?.frames(inClipOf: 100), [10, 15, 20])
        XCTAssertEqual(FrameSpec.runs(of: [1, 2, 3, 7, 9, 10]), [1...3, 7...7, 9...10])
        XCTAssertEqual(FrameSpec(parsing: "20-30,1-5,4-12,40-44:2")?.runs(inClipOf: 100), [1...12, 20...30, 40...40, 42...42, 44...44])
        XCTAssertEqual(FrameSpec(parsing: "1-")?.runs(inClipOf: 99_999_999), [1...99_999_999], "without listing the frames")
    }
}
