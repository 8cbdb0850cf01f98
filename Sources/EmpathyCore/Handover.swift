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

/// A thread of its own that works on the newest value offered: values
/// offered while it is busy replace each other, none queue. The thread
/// starts with the first value; `stop` lets it finish the value in hand and
/// ends it (once; a no-op when it never started). For a consumer that should
/// always work on the latest and never hold up the producer (face analysis,
/// the live page's pictures, a video output).
public final class NewestValueWorker<Element>: @unchecked Sendable {
    private let inbox = LatestValue<Element>()
    private let done = DispatchSemaphore(value: 0)
    private let state = Locked((started: false, stopped: false))
    private let name: String
    private let body: (Element) -> Void

    /// `body` runs on the thread named `name`, once per value it takes.
    public init(name: String, _ body: @escaping (Element) -> Void) {
        self.name = name
        self.body = body
    }

    public func offer(_ value: Element) {
        let start = state.update { s -> Bool in
            guard !s.started && !s.stopped else { return false }
            s.started = true
            return true
        }
        if start {
            let thread = Thread { [self] in
                while let value = inbox.take() { body(value) }
                done.signal()
            }
            thread.name = name
            thread.start()
        }
        inbox.put(value)
    }

    public func stop() {
        let wasRunning = state.update { s -> Bool in
            defer { s.stopped = true }
            return s.started && !s.stopped
        }
        inbox.close()
        if wasRunning { done.wait() }
    }
}
