import EXRShim
import EmpathyCore
import Foundation

/// OpenEXR half-float RGBA, ZIP-compressed, through `EXRShim` (OpenEXRCore);
/// floating-point frames are rounded to the nearest half here.
///
/// Colour convention: the `chromaticities` attribute says Rec. 709 primaries
/// with a D65 white. By default the values are display-referred — the graded
/// picture's code values (0…1), as the 8-bit and 16-bit PNGs hold them;
/// with `linear` they are scene-linear: here, on the encoder's thread, the
/// sRGB transfer function is undone (IEC 61966-2-1) on R, G and B,
/// v < 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055)^2.4 (negative values
/// kept linear), alpha left as it is (`--format exr --linear`).
public struct EXREncoder: FrameEncoder {
    public var format: FrameFormat { .exr }
    public let linear: Bool

    public init(linear: Bool = false) {
        self.linear = linear
    }

    public func write(_ frame: EncodableFrame, to file: String, reportingAs path: String) throws -> Int {
        let image = frame.floatImage
        let linear = self.linear
        // Each value rounded to the nearest half (ties to even).
        let halves = [UInt16](unsafeUninitializedCapacity: image.pixels.count) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    out[i] = Float16(linear && i % 4 != 3 ? Self.linearFromSRGB(src[i]) : src[i]).bitPattern
                }
            }
            initialized = image.pixels.count
        }
        var error = [CChar](repeating: 0, count: 512)
        let status = halves.withUnsafeBufferPointer { pixels in
            ex_write_rgba_half(file, Int32(image.width), Int32(image.height), pixels.baseAddress, image.width * 8,
                               image.rowOrder == .bottomUp ? 1 : 0, nil, &error, error.count)
        }
        guard status == EX_OK else {
            let message = String(cBuffer: error)
            throw EmpathyError.message("cannot write OpenEXR frame '\(path)': \(message.isEmpty ? "status \(status)" : message)")
        }
        var info = stat()
        return stat(file, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The sRGB transfer function undone (IEC 61966-2-1).
    @inline(__always)
    public static func linearFromSRGB(_ v: Float) -> Float {
        v < 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    public func isComplete(path: String) -> Bool {
        var width: Int32 = 0, height: Int32 = 0
        return ex_is_complete(path, &width, &height, nil, 0) == EX_OK
    }
}
