import Foundation

/// A bounded hand-over between two threads of a live take: `offer` never
/// waits (a full queue refuses, and the producer counts a dropped frame),
/// `take` waits for an item or for `close`. Nothing queues without bound.
final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Adds `item` unless the queue is full or closed; false when refused.
    func offer(_ item: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        guard !closed, items.count < capacity else { return false }
        items.append(item)
        condition.signal()
        return true
    }

    /// Items waiting now.
    var count: Int {
        condition.lock(); defer { condition.unlock() }
        return items.count
    }

    /// The oldest item; nil once the queue is closed and empty.
    func take() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        return items.isEmpty ? nil : items.removeFirst()
    }

    /// Lets `take` drain what is queued and then return nil.
    func close() {
        condition.lock(); defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }
}
