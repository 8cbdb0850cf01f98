import EmpathyCore
import Foundation

/// Frames in order, with their size, rate and count: what every job reads
/// (grade, analyse, calibrate, render). Open one with `FrameSources.open`.
///
/// `VideoSource` — video files, image sequences and stills through OpenCV —
/// is the implementation today. A live camera is the next; it will need
/// `ClipInfo.frameCount` to become optional ("unknown, endless"), which the
/// jobs that plan ranges or check a track's length must then handle.
public protocol FrameSource: AnyObject, Sendable {
    var info: ClipInfo { get }
    /// 0-based index of the frame the next read returns.
    var nextFrameIndex: Int { get }
    /// Decodes the next frame into `image` (reallocated when its size
    /// differs); false at the end.
    func read(into image: inout RGBAImage) throws -> Bool
    /// The next frame, or nil at the end.
    func nextFrame() throws -> RGBAImage?
    /// Positions the source so the next read returns frame `index`.
    func seek(toFrameIndex index: Int) throws
}

extension VideoSource: FrameSource {}

/// The one place a path becomes a frame source.
public enum FrameSources {
    /// A video file, an image-sequence pattern (`shot.%04d.png`) or a still.
    public static func open(_ path: String) throws -> any FrameSource {
        try VideoSource(path: path)
    }
}
