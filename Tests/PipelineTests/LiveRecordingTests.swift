import XCTest

@testable import Pipeline

final class LiveRecordingTests: XCTestCase {
    /// The encoders' backlog: a second of frames while two frames' worth of
    /// both writers fits in 256 MiB, never under 2.
    func testBacklogIsASecondOfFramesWithinTheMemoryBound() {
        XCTAssertEqual(LiveRecording.backlog(width: 1280, height: 720, framesPerSecond: 30), 30)
        XCTAssertEqual(LiveRecording.backlog(width: 1280, height: 720, framesPerSecond: 23.976), 24)
        XCTAssertEqual(LiveRecording.backlog(width: 1920, height: 1080, framesPerSecond: 30), 16)
        XCTAssertEqual(LiveRecording.backlog(width: 3840, height: 2160, framesPerSecond: 60), 4)
        XCTAssertEqual(LiveRecording.backlog(width: 8192, height: 8192, framesPerSecond: 30), 2)
        XCTAssertEqual(LiveRecording.backlog(width: 640, height: 480, framesPerSecond: 1), 2)
    }

    /// The face analysis gives way when the take falls behind: at 30 fps and
    /// the default 15 a second, every other frame is due; while behind (5 a
    /// second), every sixth; never more often than `perSecond`.
    func testAnalysisSlowsToItsBehindRateWhileTheTakeIsBehind() {
        func due(after frames: Int, behind: Bool, perSecond: Double = 15, whileBehind: Double = 5) -> Bool {
            LiveAnalysis.isDue(10 + Double(frames) / 30, last: 10, behind: behind, perSecond: perSecond, whileBehindPerSecond: whileBehind)
        }
        XCTAssertTrue(LiveAnalysis.isDue(0.5, last: nil, behind: true, perSecond: 15, whileBehindPerSecond: 5), "the first frame")
        XCTAssertEqual((1...7).filter { due(after: $0, behind: false) }.first, 2, "15 a second: the second frame after")
        XCTAssertEqual((1...7).filter { due(after: $0, behind: true) }.first, 6, "5 a second while behind: the sixth frame after")
        XCTAssertEqual((1...7).filter { due(after: $0, behind: true, perSecond: 3, whileBehind: 5) }.first, nil,
                       "never above --analysis-rate (3 a second: not within 7 frames)")
        XCTAssertTrue(due(after: 10, behind: true, perSecond: 3, whileBehind: 5))
    }
}
