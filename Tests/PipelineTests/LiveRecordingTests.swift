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
}
