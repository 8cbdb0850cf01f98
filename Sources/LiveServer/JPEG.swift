import CVShim
import EmpathyCore

/// JPEG through OpenCV's encoder (libjpeg-turbo on Debian), via the C shim.
public enum JPEG {
    public static func encode(_ picture: RGBAImage, quality: Int = 80) throws -> [UInt8] {
        let image = picture.topDown()
        var out: UnsafeMutablePointer<UInt8>?
        var count = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            cvs_encode_jpeg(pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(quality), &out, &count, &error, error.count)
        }
        guard status == CVS_OK, let out else {
            let message = String(cBuffer: error)
            throw EmpathyError.message("cannot encode the live picture as JPEG: \(message)")
        }
        defer { cvs_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: count))
    }
}
