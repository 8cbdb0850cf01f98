import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Ends the process with one line when a frame's GPU work runs past a limit.
/// A user shader that never finishes (`while (true)`) blocks the GL call it
/// is drawn in, and a GL call cannot be interrupted, so without this the
/// render would stall for ever. Frames already written are complete (they
/// are renamed into place only when whole); a temporary frame in flight is
/// removed by the next run.
final class FrameWatchdog: @unchecked Sendable {
    private let timer = DispatchSource.makeTimerSource(queue: .global())
    private let seconds: Double
    /// The frame being drawn, shared with the timer's handler (which must
    /// not hold the watchdog itself, or it would never be freed).
    private let frame = CurrentFrame()

    /// `describe(frame)` is the line printed for the frame that ran over.
    init(seconds: Double, describe: @escaping @Sendable (Int) -> String) {
        self.seconds = seconds
        timer.schedule(deadline: .distantFuture)
        timer.setEventHandler { [frame] in
            FileHandle.standardError.write(Data("empathy: error: \(describe(frame.number.load(ordering: .relaxed)))\n".utf8))
            _exit(1)
        }
        timer.resume()
    }

    deinit { timer.cancel() }

    func arm(frame number: Int) {
        frame.number.store(number, ordering: .relaxed)
        timer.schedule(deadline: .now() + seconds)
    }

    func disarm() { timer.schedule(deadline: .distantFuture) }
}

/// The frame number the watchdog reports, readable from the timer's thread.
private final class CurrentFrame: Sendable {
    let number = Atomic<Int>(0)
}
