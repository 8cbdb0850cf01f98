import CVShim
import EmpathyCore
import Foundation

/// Writes an H.264 MP4 for a quick look in any player or browser (the
/// render's preview, the review page's movies), through OpenCV's
/// VideoWriter and FFmpeg's libx264 (`cvs_movie_*`).
///
/// H.264 in 4:2:0 needs an even width and height: a frame of odd size loses
/// its last column or row, deliberately, here. The movie is written under a
/// hidden temporary name and renamed into place only once it is finished
/// and read back with every frame, so a reader never sees a half-written
/// movie and a full disk is an error, not a short file.
public final class MovieWriter {
    public let path: String
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double
    public private(set) var framesWritten = 0
    private var handle: OpaquePointer?
    /// `.<name>.<pid>.tmp.mp4`: OpenCV picks the container by the extension.
    private let temporary: String

    public init(path: String, width sourceWidth: Int, height sourceHeight: Int, framesPerSecond: Double) throws {
        self.path = path
        width = sourceWidth & ~1
        height = sourceHeight & ~1
        self.framesPerSecond = framesPerSecond
        guard width >= 2, height >= 2 else {
            throw EmpathyError.invalidArgument("'\(path)': a movie needs frames of at least 2x2 pixels, got \(sourceWidth)x\(sourceHeight)")
        }
        temporary = AtomicFile.temporaryPath(for: path) + ".mp4"
        var error = [CChar](repeating: 0, count: 256)
        var opened: OpaquePointer?
        let status = temporary.withCString {
            cvs_movie_open($0, Int32(width), Int32(height), framesPerSecond, &opened, &error, error.count)
        }
        guard Int(status) == CVS_OK, let opened else {
            unlink(temporary)
            throw EmpathyError.message("'\(path)': \(String(cBuffer: error))")
        }
        handle = opened
    }

    deinit { abandon() }

    /// Appends a frame of the size the writer was opened with (before
    /// rounding down to even).
    public func append(_ image: RGBAImage) throws {
        guard let handle else { throw EmpathyError.message("'\(path)': the movie is already finished") }
        guard image.width & ~1 == width, image.height & ~1 == height else {
            throw EmpathyError.message("'\(path)': frame \(framesWritten + 1) is \(image.width)x\(image.height), the movie \(width)x\(height)")
        }
        let frame = image.width == width && image.height == height && image.rowOrder == .topDown ? image : cropped(image)
        var error = [CChar](repeating: 0, count: 256)
        let status = frame.pixels.withUnsafeBufferPointer { cvs_movie_write(handle, $0.baseAddress, &error, error.count) }
        guard Int(status) == CVS_OK else { throw EmpathyError.message("'\(path)': \(String(cBuffer: error))") }
        framesWritten += 1
    }

    /// Finishes the movie, reads it back and puts it in place.
    public func finish() throws {
        guard let handle else { return }
        cvs_movie_close(handle)
        self.handle = nil
        do {
            let back = try VideoSource(path: temporary)
            guard back.frameCount == framesWritten else {
                throw EmpathyError.message(
                    "'\(path)': the movie reads back with \(back.frameCount) of its \(framesWritten) frames; is the disk full?")
            }
            guard rename(temporary, path) == 0 else { throw EmpathyError.io(path: path, operation: "write the movie", errno: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Stops without a movie: nothing is left behind.
    public func abandon() {
        guard let handle else { return }
        cvs_movie_close(handle)
        self.handle = nil
        unlink(temporary)
    }

    /// The top-left width x height of `image`, rows top-down.
    private func cropped(_ image: RGBAImage) -> RGBAImage {
        var out = RGBAImage(width: width, height: height)
        let rowBytes = out.bytesPerRow
        out.pixels.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { src in
                for y in 0..<height {
                    let sy = image.rowOrder == .topDown ? y : image.height - 1 - y
                    let from = src.baseAddress! + sy * image.bytesPerRow
                    (dst.baseAddress! + y * rowBytes).copyMemory(from: from, byteCount: rowBytes)
                }
            }
        }
        return out
    }
}
