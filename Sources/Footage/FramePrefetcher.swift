import EmpathyCore
import Foundation

/// Decodes a clip on its own thread, up to `capacity` frames ahead, so that
/// decoding overlaps whatever consumes the frames (analysis, shading): the
/// throughput is the slower stage's, not the sum of both.
///
/// It delivers every frame in order, or only `frameNumbers` (1-based,
/// ascending): gaps of up to `seekThreshold` frames are decoded through,
/// which is cheaper than a keyframe seek; longer gaps seek.
///
/// Shared between the decoder thread and the consumer: every field is
/// guarded by `condition`.
public final class FramePrefetcher: @unchecked Sendable {
    public static let seekThreshold = 48

    private let condition = NSCondition()
    private var frames: [(number: Int, image: RGBAImage)] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let capacity: Int
    private var decodeSecondsTotal = 0.0
    private let prepare: (@Sendable (RGBAImage) -> RGBAImage)?

    /// Starts decoding `source` (which the prefetcher then owns) at once. The
    /// decoder thread keeps the prefetcher alive until the clip ends: a
    /// consumer that stops early calls `cancel()` (e.g. in a `defer`).
    ///
    /// `prepare` runs on the decoder thread on each frame before it is
    /// queued (e.g. flipping rows for GL), so that work overlaps too.
    public init(source: any FrameSource, frameNumbers: [Int]? = nil, capacity: Int = 3,
                prepare: (@Sendable (RGBAImage) -> RGBAImage)? = nil) {
        self.capacity = max(1, capacity)
        self.prepare = prepare
        let thread = Thread { [self] in decode(source, frameNumbers) }
        thread.name = "empathy-decode"
        thread.start()
    }

    private func decode(_ source: any FrameSource, _ wanted: [Int]?) {
        do {
            if let wanted {
                for number in wanted {
                    if number - 1 - source.nextFrameIndex > Self.seekThreshold || number - 1 < source.nextFrameIndex {
                        try source.seek(toFrameIndex: number - 1)
                    }
                    var image: RGBAImage?
                    repeat {
                        image = try timed { try source.nextFrame() }
                        guard image != nil else {
                            throw EmpathyError.badFile(path: source.info.path, line: nil, message:
                                "the clip ended at frame \(source.nextFrameIndex) before frame \(number); the file may be truncated")
                        }
                    } while source.nextFrameIndex < number
                    guard let image, deliver(number, image) else { return }
                }
            } else {
                while let image = try timed({ try source.nextFrame() }) {
                    guard deliver(source.nextFrameIndex, image) else { return }
                }
            }
            condition.withLock { finished = true; condition.broadcast() }
        } catch {
            condition.withLock { failure = error; finished = true; condition.broadcast() }
        }
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> T {
        let started = DispatchTime.now()
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            condition.withLock { decodeSecondsTotal += seconds }
        }
        return try body()
    }

    /// Queues a frame, waiting while `capacity` are queued; false once cancelled.
    private func deliver(_ number: Int, _ decoded: RGBAImage) -> Bool {
        let image = prepare?(decoded) ?? decoded
        condition.lock()
        defer { condition.unlock() }
        while frames.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        frames.append((number, image))
        condition.broadcast()
        return true
    }

    /// The next frame and its 1-based number; nil at the end; rethrows a
    /// decode error after the frames decoded before it.
    public func nextNumbered() throws -> (number: Int, image: RGBAImage)? {
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

    /// The next frame, nil at the end of the clip; rethrows a decode error.
    public func next() throws -> RGBAImage? {
        try nextNumbered()?.image
    }

    /// Seconds the decoder thread spent decoding.
    public var decodeSeconds: Double { condition.withLock { decodeSecondsTotal } }

    /// Stops the decoder thread (it exits after its current frame); `next`
    /// then returns what was already queued, then nil.
    public func cancel() {
        condition.withLock { cancelled = true; finished = true; condition.broadcast() }
    }
}
