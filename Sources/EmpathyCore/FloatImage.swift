/// A floating-point RGBA image: `width * height * 4` Floats, rows packed
/// without padding. The frames of the 16-bit PNG and OpenEXR outputs: a grade
/// carries the LUT's precision instead of 8-bit steps, and each encoder
/// rounds once, to its own format. Values are display-referred code values
/// in 0…1 unless a producer says otherwise (they may leave that range).
public struct FloatImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]
    public var rowOrder: RowOrder

    public init(width: Int, height: Int, pixels: [Float], rowOrder: RowOrder = .topDown) {
        precondition(width > 0 && height > 0, "image must have a positive size")
        precondition(pixels.count == width * height * 4, "RGBA buffer must hold width*height*4 floats")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.rowOrder = rowOrder
    }

    /// An image whose values are not cleared, for a buffer the caller fills
    /// whole before reading it (`glReadPixels` writes every value).
    public static func uninitialized(width: Int, height: Int, rowOrder: RowOrder) -> FloatImage {
        let count = width * height * 4
        return FloatImage(
            width: width, height: height,
            pixels: [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count },
            rowOrder: rowOrder)
    }

    /// The 8-bit picture as code / 255.
    public init(_ image: RGBAImage) {
        let table = (0...255).map { Float($0) / 255 }
        self.init(width: image.width, height: image.height, pixels: image.pixels.map { table[Int($0)] }, rowOrder: image.rowOrder)
    }

    /// Index of channel 0 of pixel (x, y), with y counted from the top of the
    /// picture whatever the row order in memory.
    @inlinable
    public func offset(x: Int, y: Int) -> Int {
        let row = rowOrder == .topDown ? y : height - 1 - y
        return (row * width + x) * 4
    }

    public func value(x: Int, y: Int, channel: Int) -> Float { pixels[offset(x: x, y: y) + channel] }
}

extension RGBAImage {
    /// The floating-point picture as 8-bit codes, `round(clamp(v, 0, 1) · 255)` (NaN → 0).
    public init(_ image: FloatImage) {
        let pixels = image.pixels.map { v -> UInt8 in v.isNaN ? 0 : UInt8((min(max(v, 0), 1) * 255).rounded()) }
        self.init(width: image.width, height: image.height, pixels: pixels, rowOrder: image.rowOrder)
    }
}

/// A rendered frame on its way to a file: 8-bit or floating point.
public enum EncodableFrame: Sendable {
    case rgba8(RGBAImage)
    case float(FloatImage)

    /// The frame as floats (8-bit frames as code / 255).
    public var floatImage: FloatImage {
        switch self {
        case .float(let image): return image
        case .rgba8(let image): return FloatImage(image)
        }
    }
}
