import Foundation
@testable import Pipeline
import XCTest

final class BoundedQueueTests: XCTestCase {
    func testDeliversEverythingInOrderAcrossThreads() {
        let queue = BoundedQueue<Int>(capacity: 2)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for i in 0..<1000 { queue.push(i) }
            queue.close()
            done.signal()
        }.start()
        var received: [Int] = []
        while let i = queue.pop() { received.append(i) }
        done.wait()
        XCTAssertEqual(received, Array(0..<1000))
    }

    func testCancelReleasesABlockedProducer() {
        let queue = BoundedQueue<Int>(capacity: 1)
        queue.push(1)
        let aboutToPush = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let result = Mutexed(true)
        Thread {
            aboutToPush.signal()
            result.set(queue.push(2))  // blocks: the queue is full
            finished.signal()
        }.start()
        aboutToPush.wait()
        // The producer is in push or about to be; either way it must not get through.
        XCTAssertEqual(finished.wait(timeout: .now() + 0.2), .timedOut, "push into a full queue returned")
        queue.cancel()
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success, "producer stayed blocked after cancel")
        XCTAssertFalse(result.get(), "a push after cancel must report the item was dropped")
        XCTAssertNil(queue.pop())
    }
}

/// A value shared between a test and one helper thread, guarded by a lock.
final class Mutexed<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
