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

/// The newest value only: `put` replaces what was not taken yet, `take`
/// waits for a value newer than the last taken. For a consumer slower than
/// the producer that should always work on the latest (face analysis).
final class LatestValue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Element?
    private var closed = false

    func put(_ newValue: Element) {
        condition.lock(); defer { condition.unlock() }
        value = newValue
        condition.signal()
    }

    /// The newest value not taken yet; nil once closed.
    func take() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while value == nil && !closed { condition.wait() }
        guard !closed else { return nil }
        defer { value = nil }
        return value
    }

    func close() {
        condition.lock(); defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }
}

/// A value shared between threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    @discardableResult
    func update<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&value) } }
}
