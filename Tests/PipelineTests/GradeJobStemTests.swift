@testable import Pipeline
import XCTest

final class GradeJobStemTests: XCTestCase {
    func testOutputStemDropsExtensionAndPattern() {
        XCTAssertEqual(GradeJob.stem(of: "reel/scene12.mp4"), "scene12")
        XCTAssertEqual(GradeJob.stem(of: "shots/take.%04d.png"), "take")
        XCTAssertEqual(GradeJob.stem(of: "shots/take_%04d.png"), "take")
        XCTAssertEqual(GradeJob.stem(of: ".hidden"), ".hidden")
    }
}
