import CVShim
import EmpathyCore
import Foundation

/// A V4L2 camera through OpenCV: frames as the camera delivers them, with no
/// end (`info.frameCount` nil) and no seeking. The device is checked before
/// OpenCV sees it, so a missing, foreign or forbidden device is one line
/// naming it; a busy or silent camera fails when it opens (it must deliver
/// one frame within `timeoutSeconds`), and one that stops delivering fails
/// the read after the same time.
public final class CameraSource: FrameSource, @unchecked Sendable {
    public let info: ClipInfo
    private let lock = NSLock()
    private let handle: OpaquePointer
    private var delivered = 0

    /// The device for `--camera`: a number N is `/dev/videoN`, anything else a path.
    public static func devicePath(_ camera: String) -> String {
        camera.allSatisfy(\.isNumber) && !camera.isEmpty ? "/dev/video\(camera)" : camera
    }

    /// Opens `device`, asking for `width` x `height` at `framesPerSecond`
    /// (nil: the camera's current mode). The camera may pick another mode;
    /// `info` says what it delivers.
    public init(device: String, width: Int? = nil, height: Int? = nil, framesPerSecond: Double? = nil,
                timeoutSeconds: Int = 2) throws {
        try Self.checkDevice(device)
        var errorText = [CChar](repeating: 0, count: 512)
        var opened: OpaquePointer?
        let status = device.withCString {
            cvs_open_camera($0, Int32(width ?? 0), Int32(height ?? 0), framesPerSecond ?? 0, Int32(timeoutSeconds), &opened,
                            &errorText, errorText.count)
        }
        guard Int(status) == CVS_OK, let opened else {
            throw VideoSource.error(status: status, message: String(cBuffer: errorText), path: device)
        }
        var raw = cvs_info()
        _ = cvs_get_info(opened, &raw, &errorText, errorText.count)
        handle = opened
        info = ClipInfo(path: device, kind: .camera, width: Int(raw.width), height: Int(raw.height),
                        framesPerSecond: raw.frames_per_second, frameCount: nil)
    }

    deinit { cvs_close(handle) }

    public var nextFrameIndex: Int { lock.withLock { delivered } }

    public func read(into image: inout RGBAImage) throws -> Bool {
        if image.width != info.width || image.height != info.height {
            image = RGBAImage(width: info.width, height: info.height)
        }
        image.rowOrder = .topDown
        try image.pixels.withUnsafeMutableBytes { raw in
            try lock.withLock {
                var errorText = [CChar](repeating: 0, count: 512)
                var index: Int64 = 0
                let status = cvs_read_rgba(handle, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count, &index,
                                           &errorText, errorText.count)
                guard Int(status) == CVS_OK else {
                    throw VideoSource.error(status: status, message: String(cBuffer: errorText), path: info.path)
                }
                delivered += 1
            }
        }
        return true
    }

    public func nextFrame() throws -> RGBAImage? {
        var image = RGBAImage(width: info.width, height: info.height)
        return try read(into: &image) ? image : nil
    }

    public func seek(toFrameIndex index: Int) throws {
        throw EmpathyError.invalidArgument("'\(info.path)' is a camera; it cannot seek (play a recorded clip with --play instead)")
    }

    /// A missing device, one that is not a character device, or one this
    /// user may not open: one line each, before OpenCV (which says only "cannot open").
    static func checkDevice(_ device: String) throws {
        var status = stat()
        guard stat(device, &status) == 0 else {
            if errno == ENOENT {
                throw EmpathyError.badFile(path: device, line: nil,
                                           message: "no such camera; list the cameras with 'v4l2-ctl --list-devices' and name one with --camera N or --camera /dev/videoN")
            }
            throw EmpathyError.io(path: device, operation: "open camera", errno: errno)
        }
        guard status.st_mode & S_IFMT == S_IFCHR else {
            throw EmpathyError.badFile(path: device, line: nil,
                                       message: "is not a camera device; name one with --camera N or --camera /dev/videoN, or play a clip with --play")
        }
        let fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == EACCES {
                throw EmpathyError.badFile(path: device, line: nil,
                                           message: "permission denied; add this user to the 'video' group (then log in again)")
            }
            throw EmpathyError.io(path: device, operation: "open camera", errno: errno)
        }
        close(fd)
    }
}
