/// Which image row comes first in memory.
///
/// Decoders hand out `topDown` rows. OpenGL's `glReadPixels` returns row 0 at
/// the bottom of the image, so rendered frames come back `bottomUp`; the PNG
/// writer hands libpng reversed row pointers, so the flip costs nothing.
public enum RowOrder: Sendable, Equatable {
    case topDown
    case bottomUp
}

/// An 8-bit RGBA image: `width * height * 4` bytes, rows packed without padding.
public struct RGBAImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]
    public var rowOrder: RowOrder

    public init(width: Int, height: Int, pixels: [UInt8], rowOrder: RowOrder = .topDown) {
        precondition(width > 0 && height > 0, "image must have a positive size")
        precondition(pixels.count == width * height * 4, "RGBA buffer must hold width*height*4 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.rowOrder = rowOrder
    }

    /// A black, opaque image.
    public init(width: Int, height: Int, rowOrder: RowOrder = .topDown) {
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        var i = 3
        while i < pixels.count { pixels[i] = 255; i += 4 }
        self.init(width: width, height: height, pixels: pixels, rowOrder: rowOrder)
    }

    /// An image whose bytes are not cleared, for a buffer the caller fills
    /// whole before reading it (`glReadPixels` writes every byte).
    public static func uninitialized(width: Int, height: Int, rowOrder: RowOrder) -> RGBAImage {
        let count = width * height * 4
        return RGBAImage(
            width: width, height: height,
            pixels: [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count },
            rowOrder: rowOrder)
    }

    public var bytesPerRow: Int { width * 4 }

    /// Byte offset of pixel (x, y), with y counted from the top of the picture
    /// whatever the row order in memory.
    @inlinable
    public func offset(x: Int, y: Int) -> Int {
        let row = rowOrder == .topDown ? y : height - 1 - y
        return (row * width + x) * 4
    }

    /// The same picture with rows stored top-down.
    public func topDown() -> RGBAImage {
        if rowOrder == .topDown { return self }
        var out = [UInt8](repeating: 0, count: pixels.count)
        let stride = bytesPerRow
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    let from = (height - 1 - row) * stride
                    let to = row * stride
                    dst.baseAddress!.advanced(by: to)
                        .update(from: src.baseAddress!.advanced(by: from), count: stride)
                }
            }
        }
        return RGBAImage(width: width, height: height, pixels: out, rowOrder: .topDown)
    }
}

extension RGBAImage {
    /// The image shrunk by a whole `factor` (1 returns it as it is): each
    /// pixel the rounded mean of a factor × factor box (opaque; the last
    /// width % factor columns and height % factor rows are dropped).
    public func boxDownscaled(by factor: Int) -> RGBAImage {
        guard factor > 1 else { return self }
        let w = width / factor, h = height / factor, n = factor * factor
        var out = RGBAImage(width: w, height: h, rowOrder: rowOrder)
        for y in 0..<h {
            for x in 0..<w {
                var sum = SIMD3<Int>(repeating: 0)
                for dy in 0..<factor {
                    for dx in 0..<factor {
                        let o = offset(x: x * factor + dx, y: y * factor + dy)
                        sum &+= SIMD3(Int(pixels[o]), Int(pixels[o + 1]), Int(pixels[o + 2]))
                    }
                }
                let d = out.offset(x: x, y: y)
                out.pixels[d] = UInt8((sum.x + n / 2) / n)
                out.pixels[d + 1] = UInt8((sum.y + n / 2) / n)
                out.pixels[d + 2] = UInt8((sum.z + n / 2) / n)
                out.pixels[d + 3] = 255
            }
        }
        return out
    }
}
