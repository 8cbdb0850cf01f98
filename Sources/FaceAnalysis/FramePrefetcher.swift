import EmpathyCore
import Footage
import Foundation

/// Decodes a clip on its own thread, up to `capacity` frames ahead, so that
/// decoding (one core) overlaps analysis (the other): throughput is the
/// slower stage's, not the sum.
///
/// Shared between the decoder thread and the reader: every field is guarded
/// by `condition`.
final class FramePrefetcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var frames: [RGBAImage] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let capacity: Int
    /// Seconds the decoder thread spent decoding.
    private var decodeSecondsTotal = 0.0

    init(source: VideoSource, capacity: Int = 3) {
        self.capacity = max(1, capacity)
        let thread = Thread { [self] in self.decodeAll(source) }
        thread.name = "empathy-decode"
        thread.start()
    }

    private func decodeAll(_ source: VideoSource) {
        while true {
            let started = DispatchTime.now()
            let frame: RGBAImage?
            do {
                frame = try source.nextFrame()
            } catch {
                condition.withLock { failure = error; finished = true; condition.broadcast() }
                return
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            condition.lock()
            decodeSecondsTotal += seconds
            guard let frame else {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            while frames.count >= capacity && !cancelled { condition.wait() }
            if cancelled { condition.unlock(); return }
            frames.append(frame)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next frame, nil at the end of the clip; rethrows a decode error.
    func next() throws -> RGBAImage? {
        condition.lock()
        defer { condition.unlock() }
        while frames.isEmpty && !finished { condition.wait() }
        if !frames.isEmpty {
            condition.broadcast()
            return frames.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    var decodeSeconds: Double { condition.withLock { decodeSecondsTotal } }

    /// Stops the decoder thread (it exits after its current frame).
    func cancel() {
        condition.withLock { cancelled = true; condition.broadcast() }
    }
}
