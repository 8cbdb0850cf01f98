import Foundation
import Synchronization

/// Ctrl-C or SIGTERM during a long job: the command records the signal here
/// and every job checks between frames (`throwIfRequested`), so a run ends
/// cleanly — frames being encoded are finished and renamed into place, no
/// temporary file is left, nothing partial has a final name — instead of
/// dying with hidden half-written files beside the sequence.
public enum StopRequest {
    private static let signal = Atomic<Int32>(0)
    /// Threads inside `withNothingToClose`; -1 once a signal's handler is
    /// ending the process at once.
    private static let loading = Atomic<Int>(0)

    /// Records `number` (SIGINT, SIGTERM) as the reason to stop.
    public static func request(_ number: Int32) { signal.store(number, ordering: .relaxed) }

    /// The signal that asked to stop, or nil.
    public static var requested: Int32? {
        let value = signal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Forgets a request (tests run several jobs in one process).
    public static func clear() { signal.store(0, ordering: .relaxed) }

    public static func throwIfRequested() throws {
        if let number = requested { throw EmpathyError.stopped(signal: number) }
    }

    /// Runs `body`, which writes nothing and holds nothing that needs closing
    /// (loading models, a second or more of C++ that cannot look for a stop),
    /// so that a signal during it may end the process at once
    /// (`requestFromSignal`); a farm's SIGTERM is then honoured within its
    /// grace period even before the first frame. Not for bodies that create
    /// files, nor for a process whose other threads write while it runs: the
    /// process may end inside it.
    public static func withNothingToClose<T>(_ body: () throws -> T) throws -> T {
        try throwIfRequested()
        changeLoading(by: 1)
        defer { changeLoading(by: -1) }
        return try body()
    }

    /// For a signal's handler: records `number` and says whether the process
    /// may end now, because a job is inside `withNothingToClose`; from then
    /// on no job leaves it, so the caller must end the process.
    public static func requestFromSignal(_ number: Int32) -> Bool {
        request(number)
        var count = loading.load(ordering: .sequentiallyConsistent)
        while count > 0 {
            let (exchanged, original) = loading.compareExchange(expected: count, desired: -1, ordering: .sequentiallyConsistent)
            if exchanged { return true }
            count = original
        }
        return false
    }

    private static func changeLoading(by step: Int) {
        var count = loading.load(ordering: .sequentiallyConsistent)
        while true {
            // A signal's handler took the process and is inside `_exit`: never go on to write.
            while count < 0 { Thread.sleep(forTimeInterval: 1) }
            let (exchanged, original) = loading.compareExchange(expected: count, desired: count + step, ordering: .sequentiallyConsistent)
            if exchanged { return }
            count = original
        }
    }
}
