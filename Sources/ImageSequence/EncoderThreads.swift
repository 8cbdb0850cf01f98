import Foundation

/// Threads of their own for a sequence writer's encodes, run at a lower
/// priority (a higher nice value) than the rest of the process: a live take
/// records every frame, but its render and capture must come first. Linux
/// keeps a nice value per thread (`setpriority(2)`, "who = 0" is the calling
/// thread), so only these threads are lowered; the CPU they would have taken
/// from the render goes to them whenever the render is idle. Work waits in
/// order; the writers' own bounds keep the backlog finite.
public final class EncoderThreads: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: [@Sendable () -> Void] = []
    private var stopping = false
    private var running = 0
    public let count: Int
    public let niceness: Int32

    /// `count` threads at `niceness` (0...19; a value the system refuses leaves them at the process's priority).
    public init(count: Int = ProcessInfo.processInfo.activeProcessorCount, niceness: Int32 = 10, name: String = "encoder") {
        self.count = max(1, count)
        self.niceness = niceness
        running = self.count
        for k in 0..<self.count {
            let thread = Thread { [self] in
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
                loop()
            }
            thread.name = "\(name)-\(k)"
            thread.start()
        }
    }

    /// Queues `job` for the next free thread.
    public func run(_ job: @escaping @Sendable () -> Void) {
        condition.withLock {
            precondition(!stopping, "EncoderThreads used after stop()")
            work.append(job)
            condition.signal()
        }
    }

    /// Runs what is queued, then ends the threads and waits for them.
    public func stop() {
        condition.lock(); defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
    }

    private func loop() {
        condition.lock()
        while true {
            while work.isEmpty && !stopping { condition.wait() }
            guard !work.isEmpty else { break }
            let job = work.removeFirst()
            condition.unlock()
            job()
            condition.lock()
        }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
