import Foundation
import Synchronization

/// Ctrl-C or SIGTERM during a long job: the command records the signal here
/// and every job checks between frames (`throwIfRequested`), so a run ends
/// cleanly — frames being encoded are finished and renamed into place, no
/// temporary file is left, nothing partial has a final name — instead of
/// dying with hidden half-written files beside the sequence.
public enum StopRequest {
    private static let signal = Atomic<Int32>(0)
    /// 0: work under way (stop at the next frame); 1: nothing to close (a
    /// stop may end the process at once); 2: the process is ending at once.
    private static let phase = Atomic<Int>(0)

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
    /// files: the process may end inside them.
    public static func withNothingToClose<T>(_ body: () throws -> T) throws -> T {
        try throwIfRequested()
        phase.store(1, ordering: .sequentiallyConsistent)
        defer {
            if !phase.compareExchange(expected: 1, desired: 0, ordering: .sequentiallyConsistent).exchanged {
                // The signal's handler took the process: it is inside `_exit`. Never go on to write.
                while true { Thread.sleep(forTimeInterval: 1) }
            }
        }
        return try body()
    }

    /// For a signal's handler: records `number` and says whether the process
    /// may end now, because the job is inside `withNothingToClose`; from then
    /// on the job never leaves it, so the caller must end the process.
    public static func requestFromSignal(_ number: Int32) -> Bool {
        request(number)
        return phase.compareExchange(expected: 1, desired: 2, ordering: .sequentiallyConsistent).exchanged
    }
}
