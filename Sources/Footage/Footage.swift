import CVShim
import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a clip is read from.
public enum ClipKind: Sendable {
    /// A video file (H.264, ProRes, … in MP4, MOV, MKV, TS …), decoded by
    /// OpenCV's FFmpeg backend.
    case video
    /// Numbered image files named by a printf pattern such as
    /// `shot.%04d.png`; numbering may start anywhere (`shot.1001.png`).
    case imageSequence
    /// One image file, read as a clip of one frame.
    case still
    /// A live camera (V4L2): frames as they come, no end.
    case camera
}

/// A clip's properties, fixed when it opens.
///
/// `framesPerSecond` comes from the container for videos. Image sequences and
/// stills carry no rate; they report 24, the editors' default. `frameCount`
/// is the number of frames the clip promises: the container's count (or its
/// duration x rate where it has no count), `last - first + 1` for a sequence,
/// 1 for a still; nil for a source with no end (a camera).
public struct ClipInfo: Sendable, Equatable {
    public let path: String
    public let kind: ClipKind
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double
    public let frameCount: Int?

    public init(
        path: String, kind: ClipKind, width: Int, height: Int, framesPerSecond: Double,
        frameCount: Int?
    ) {
        self.path = path
        self.kind = kind
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.frameCount = frameCount
    }
}

/// Reads a clip frame by frame as RGBA8 images with rows top-down.
///
/// `path` is a video file, a still image, or an image sequence pattern with
/// one `%d`/`%0Nd` (`shot.%04d.png`). Frames are indexed from 0 here; error
/// messages number them from 1, as an editor's timeline does.
///
/// A clip that promised N frames but stops decoding at frame k is an error
/// ("decoding stopped at frame k of N"), never a silently short clip. (A
/// transport stream carries no frame count; one cut cleanly between frames
/// reads as a shorter clip.)
///
/// Use from one thread at a time. The C handle and the frame index are
/// guarded by `lock`, so a stray use from another thread cannot corrupt the
/// decoder; it only waits.
public final class VideoSource: @unchecked Sendable {
    /// The frames the file promises (`info.frameCount`, never nil here).
    public let frameCount: Int
    public let info: ClipInfo

    private let lock = NSLock()
    private let handle: OpaquePointer
    private var nextIndex: Int = 0

    /// Image sequences and stills carry no frame rate; this is reported instead.
    static let assumedFramesPerSecond = 24.0

    /// 0-based index of the frame the next read returns.
    public private(set) var nextFrameIndex: Int {
        get { lock.withLock { nextIndex } }
        set { lock.withLock { nextIndex = newValue } }
    }

    /// Opens the clip. Throws an `EmpathyError` whose one-line message names
    /// the path and what to do: missing, unreadable, a folder, empty, or not a
    /// clip OpenCV can decode.
    public init(path: String) throws {
        let isPattern = path.withCString { cvs_is_sequence_pattern($0) } == 1
        if !isPattern { try Self.checkReadableFile(path) }

        var errorText = [CChar](repeating: 0, count: 512)
        var opened: OpaquePointer?
        let status = path.withCString { cPath in
            cvs_open(cPath, &opened, &errorText, errorText.count)
        }
        guard Int(status) == CVS_OK, let opened else {
            throw Self.error(status: status, message: String(cBuffer: errorText), path: path)
        }
        var raw = cvs_info()
        let infoStatus = cvs_get_info(opened, &raw, &errorText, errorText.count)
        guard Int(infoStatus) == CVS_OK else {
            cvs_close(opened)
            throw Self.error(status: infoStatus, message: String(cBuffer: errorText), path: path)
        }
        let kind: ClipKind
        switch raw.kind {
        case CVS_KIND_IMAGE_SEQUENCE: kind = .imageSequence
        case CVS_KIND_STILL: kind = .still
        default: kind = .video
        }
        let framesPerSecond =
            raw.frames_per_second > 0 ? raw.frames_per_second : Self.assumedFramesPerSecond
        handle = opened
        frameCount = Int(raw.frame_count)
        info = ClipInfo(
            path: path, kind: kind, width: Int(raw.width), height: Int(raw.height),
            framesPerSecond: framesPerSecond, frameCount: frameCount)
    }

    deinit {
        cvs_close(handle)
    }

    /// Image sequences: the first frame index in `indices` (0-based) whose
    /// file is absent; nil when all are there, and for videos and stills.
    public func firstMissingFrameIndex(in indices: ClosedRange<Int>) -> Int? {
        let index = lock.withLock { cvs_first_missing(handle, Int64(indices.lowerBound), Int64(indices.upperBound)) }
        return index < 0 ? nil : Int(index)
    }

    /// Image sequences: the file frame `index` (0-based) is read from; nil
    /// for videos and stills.
    public func framePath(atIndex index: Int) -> String? {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let status = lock.withLock { cvs_sequence_frame_path(handle, Int64(index), &path, path.count) }
        return status == 0 ? String(cBuffer: path) : nil
    }

    /// Makes the next read return frame `index` (0-based). `index` may equal
    /// `frameCount`, after which a read reports the end.
    public func seek(toFrameIndex index: Int) throws {
        guard index >= 0, index <= frameCount else {
            throw EmpathyError.invalidArgument(
                "cannot seek '\(info.path)' to frame index \(index): the clip has \(frameCount) frame(s), indices 0 to \(frameCount - 1)"
            )
        }
        try lock.withLock {
            var errorText = [CChar](repeating: 0, count: 512)
            let status = cvs_seek(handle, Int64(index), &errorText, errorText.count)
            nextIndex = Int(cvs_next_frame_index(handle))
            guard Int(status) == CVS_OK else {
                throw Self.error(status: status, message: String(cBuffer: errorText), path: info.path)
            }
        }
    }

    /// Decodes the next frame into `image`, reusing its buffer when its size
    /// matches the clip (otherwise `image` is replaced). Returns false at a
    /// clean end of the clip, leaving `image` untouched. After a throw the
    /// contents of `image` are unspecified.
    public func read(into image: inout RGBAImage) throws -> Bool {
        // The shim ends a clip exactly at its frame count.
        if nextFrameIndex >= frameCount { return false }
        if image.width != info.width || image.height != info.height {
            image = RGBAImage(width: info.width, height: info.height)
        }
        image.rowOrder = .topDown
        return try image.pixels.withUnsafeMutableBytes { raw in
            try decode(into: raw)
        }
    }

    /// The next frame, or nil at a clean end of the clip.
    public func nextFrame() throws -> RGBAImage? {
        let byteCount = info.width * info.height * 4
        var gotFrame = false
        let pixels = try [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, count in
            gotFrame = try decode(into: UnsafeMutableRawBufferPointer(buffer))
            // The shim fills every byte of a frame; on the end nothing is kept.
            count = gotFrame ? byteCount : 0
        }
        guard gotFrame else { return nil }
        return RGBAImage(width: info.width, height: info.height, pixels: pixels, rowOrder: .topDown)
    }

    // MARK: - Private

    private func decode(into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw EmpathyError.message("'\(info.path)': internal error: empty frame buffer")
        }
        return try lock.withLock {
            var errorText = [CChar](repeating: 0, count: 512)
            var frameIndex: Int64 = 0
            let status = cvs_read_rgba(
                handle, base, buffer.count, &frameIndex, &errorText, errorText.count)
            nextIndex = Int(cvs_next_frame_index(handle))
            switch Int(status) {
            case CVS_OK: return true
            case CVS_END: return false
            default: throw Self.error(status: status, message: String(cBuffer: errorText), path: info.path)
            }
        }
    }

    /// Rejects, before any decoder sees it, what is not a readable, non-empty
    /// regular file. (A pipe would block the decoder forever.)
    private static func checkReadableFile(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw EmpathyError.io(path: path, operation: "open clip", errno: errno)
        }
        let type = status.st_mode & S_IFMT
        if type == S_IFDIR {
            throw EmpathyError.badFile(
                path: path, line: nil,
                message:
                    "is a folder, not a clip; name a video file, a still image, or an image sequence pattern such as 'folder/shot.%04d.png'"
            )
        }
        guard type == S_IFREG else {
            throw EmpathyError.badFile(
                path: path, line: nil,
                message: "is not a regular file (a pipe, socket or device); save the clip to a file first")
        }
        guard status.st_size > 0 else {
            throw EmpathyError.badFile(
                path: path, line: nil,
                message: "is empty (0 bytes); the export or copy did not finish, make it again")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw EmpathyError.io(path: path, operation: "read clip", errno: errno)
        }
        close(fd)
    }

    static func error(status: Int32, message: String, path: String) -> EmpathyError {
        let reason = message.isEmpty ? "OpenCV reported error \(status)" : message
        switch Int(status) {
        case CVS_ERR_ARGUMENT: return .invalidArgument("'\(path)': \(reason)")
        case CVS_ERR_OPEN, CVS_ERR_DECODE: return .badFile(path: path, line: nil, message: reason)
        default: return .message("'\(path)': \(reason)")
        }
    }
}
