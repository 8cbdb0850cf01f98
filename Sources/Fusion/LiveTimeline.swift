import EmpathyCore
import Foundation

/// The emotion of a live take, frame by frame as it happens: the render
/// thread appends frame f's state before rendering frame f, and the passes
/// read it and the frames before it (particles look back a beat's lifetime,
/// look automation a warm-up). It has no end.
///
/// States are kept for the last `capacity` frames, enough for any look's
/// automation segment and warm-up (`LookAutomation`); older frames and frames
/// not yet appended read as the nearest kept one. One thread appends and
/// reads (the render thread); the lock guards against a stray reader.
public final class LiveTimeline: EmotionTimeline, @unchecked Sendable {
    public let framesPerSecond: Double
    public var frameCount: Int? { nil }
    public let capacity: Int
    private let lock = NSLock()
    private var ring: [EmotionState]
    /// Frames appended so far; the last is `appended - 1`.
    private var appended = 0

    public init(framesPerSecond: Double, capacity: Int = 8192) {
        self.framesPerSecond = framesPerSecond
        self.capacity = capacity
        ring = [EmotionState](repeating: EmotionState(), count: capacity)
    }

    /// Appends the state of the next frame.
    public func append(_ state: EmotionState) {
        lock.withLock {
            ring[appended % capacity] = state
            appended += 1
        }
    }

    public func state(at frameIndex: Int) -> EmotionState {
        lock.withLock {
            guard appended > 0 else { return EmotionState() }
            let index = min(max(frameIndex, appended - capacity, 0), appended - 1)
            return ring[index % capacity]
        }
    }
}
