/// Per-frame emotion states for a clip: what a render reads.
///
/// Frame indices are 0-based here (clip frame 1 is index 0), as ISF's
/// `FRAMEINDEX`. A conforming type must answer the same state for the same
/// index every time, so any frame renders the same bytes in any chunk.
public protocol EmotionTimeline: Sendable {
    /// nil for a timeline with no end (a live take, read frame by frame).
    var frameCount: Int? { get }
    var framesPerSecond: Double { get }
    func state(at frameIndex: Int) -> EmotionState
}
