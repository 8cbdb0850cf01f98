import EmpathyCore
import Foundation
import XCTest

/// The in-process half of `StopRequest.withNothingToClose` (the CLI's
/// interrupt tests time the signal's half): jobs loading side by side come
/// out of it, and outside it a signal only asks to stop between frames.
final class StopRequestTests: XCTestCase {
    override func tearDown() {
        StopRequest.clear()
        super.tearDown()
    }

    func testLoadsSideBySideComeOutAndASignalOutsideThemOnlyAsksToStop() throws {
        let threads = 4
        let done = DispatchGroup()
        let results = Locked<[Int]>([])
        for k in 0..<threads {
            done.enter()
            Thread {
                let value = try? StopRequest.withNothingToClose { () -> Int in
                    Thread.sleep(forTimeInterval: 0.01 * Double(k % 2))
                    return k
                }
                results.update { $0.append(value ?? -1) }
                done.leave()
            }.start()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "every load came out")
        XCTAssertEqual(results.get().sorted(), Array(0..<threads))

        XCTAssertFalse(StopRequest.requestFromSignal(SIGTERM), "no load under way: stop between frames, not at once")
        XCTAssertEqual(StopRequest.requested, SIGTERM)
        XCTAssertThrowsError(try StopRequest.withNothingToClose { 1 }, "a stop already asked for is not loaded past")
    }
}
