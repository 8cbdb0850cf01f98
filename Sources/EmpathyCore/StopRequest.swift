import Foundation
import Synchronization

/// Ctrl-C or SIGTERM during a long job: the command records the signal here
/// and every job checks between frames (`throwIfRequested`), so a run ends
/// cleanly — frames being encoded are finished and renamed into place, no
/// temporary file is left, nothing partial has a final name — instead of
/// dying with hidden half-written files beside the sequence.
public enum StopRequest {
    private static let signal = Atomic<Int32>(0)

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
}
