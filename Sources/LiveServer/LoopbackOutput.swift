import CVShim
import EmpathyCore
import Foundation

/// The live picture written to a V4L2 video output (a v4l2loopback device),
/// which OBS, VLC, a browser or a video call then open as a camera. Frames
/// are written on a thread of their own, newest first: a slow reader drops
/// frames here, never delays the take. A device that stops taking frames
/// ends the output (`failure` says why); the take goes on.
public final class LoopbackOutput: @unchecked Sendable {
    public let device: String
    private let handle: OpaquePointer
    private let failed = Locked<String?>(nil)
    private let size: (width: Int, height: Int)
    private var worker: NewestValueWorker<RGBAImage>!

    /// Opens `device` for `width` x `height` RGB24 frames: one line naming it when it is missing or not an output.
    public init(device: String, width: Int, height: Int) throws {
        self.device = device
        size = (width, height)
        var error = [CChar](repeating: 0, count: 512)
        var opened: OpaquePointer?
        let status = device.withCString { cvs_v4l2_output_open($0, Int32(width), Int32(height), &opened, &error, error.count) }
        guard Int(status) == CVS_OK, let opened else {
            throw EmpathyError.badFile(path: device, line: nil, message: String(cBuffer: error))
        }
        handle = opened
        worker = NewestValueWorker(name: "live-v4l2-out") { [unowned self] image in write(image) }
    }

    /// Why the output stopped, if it did.
    public var failure: String? { failed.get() }

    public func offer(_ image: RGBAImage) { worker.offer(image) }

    private func write(_ image: RGBAImage) {
        guard failed.get() == nil, image.width == size.width, image.height == size.height else { return }
        var error = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer {
            cvs_v4l2_output_write(handle, $0.baseAddress, image.rowOrder == .bottomUp ? 1 : 0, &error, error.count)
        }
        if Int(status) < 0 { failed.set("'\(device)' \(String(cBuffer: error))") }
    }

    /// Ends the thread and closes the device.
    public func close() {
        worker.stop()
        cvs_v4l2_output_close(handle)
    }
}
