import Foundation

/// The newest value only: `put` replaces what was not taken yet, `take`
/// waits for a value newer than the last taken. For a consumer slower than
/// the producer that should always work on the latest (face analysis, the
/// live page's picture).
public final class LatestValue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Element?
    private var closed = false

    public init() {}

    public func put(_ newValue: Element) {
        condition.lock(); defer { condition.unlock() }
        value = newValue
        condition.signal()
    }

    /// The newest value not taken yet; nil once closed.
    public func take() -> Element? {
        condition.lock(); defer { condition.unlock() }
        while value == nil && !closed { condition.wait() }
        guard !closed else { return nil }
        defer { value = nil }
        return value
    }

    public func close() {
        condition.lock(); defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }
}

/// A value shared between threads behind a lock.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func get() -> Value { lock.withLock { value } }
    public func set(_ newValue: Value) { lock.withLock { value = newValue } }
    @discardableResult
    public func update<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&value) } }
}
