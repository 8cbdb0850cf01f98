import CDeflate
import CPNG
import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a frame is turned into PNG bytes.
///
/// Output is always 8 bits per channel, non-interlaced, colour type 2 (RGB) or,
/// with `keepAlpha`, colour type 6 (RGBA).
public struct PNGOptions: Sendable, Equatable {
    /// Which library compresses the rows.
    /// - `libpng`: libpng writes the file, zlib deflates (the reference writer).
    /// - `libdeflate`: rows are filtered here, deflated with libdeflate and the
    ///   chunks (signature, IHDR, one IDAT, IEND) written directly.
    /// - `fast`: as `libdeflate`, but deflated by `FastDeflate` (Huffman codes
    ///   over literals and runs, no match search); the level is ignored.
    public enum Encoder: String, Sendable, CaseIterable { case libpng, libdeflate, fast }

    /// The PNG row filter (PNG spec §9). `adaptive` picks, per row, the filter
    /// whose output has the smallest sum of |signed byte| (libpng's heuristic).
    public enum Filter: String, Sendable, CaseIterable { case none, sub, up, average, paeth, adaptive }

    /// zlib's `strategy` argument (`Z_DEFAULT_STRATEGY`, `Z_FILTERED`,
    /// `Z_HUFFMAN_ONLY`, `Z_RLE`, `Z_FIXED`). Only the libpng encoder uses it;
    /// libdeflate has no strategy knob.
    public enum Strategy: String, Sendable, CaseIterable { case `default`, filtered, huffmanOnly, rle, fixed }

    public var encoder: Encoder
    /// zlib level 0...9 for `libpng`; libdeflate level 0...12 for `libdeflate`.
    public var compressionLevel: Int
    public var filter: Filter
    public var strategy: Strategy
    /// Write RGBA (colour type 6) instead of dropping alpha to RGB.
    public var keepAlpha: Bool

    public init(
        encoder: Encoder = .libdeflate, compressionLevel: Int = 1, filter: Filter = .average,
        strategy: Strategy = .default, keepAlpha: Bool = false
    ) {
        self.encoder = encoder
        self.compressionLevel = compressionLevel
        self.filter = filter
        self.strategy = strategy
        self.keepAlpha = keepAlpha
    }

    /// The `fast` encoder (`FastDeflate`: per-block dynamic Huffman codes over
    /// literals and byte runs, no match search) with the Average filter,
    /// chosen by measurement with `png-tune` (release build; 1920×1080 crops of
    /// the public-domain NASA astronaut photo, "grain" = frames with ffmpeg
    /// `noise=alls=8:allf=t`, "clean" = 1 frame without; median of repeated
    /// encodes; cpu = thread CPU time; every output decoded by libpng and
    /// compared exactly):
    ///
    ///     encoder    lvl filter   strategy |  grain: wall   cpu     bytes |  clean: wall   cpu     bytes
    ///     libpng       6 adaptive default  |  285.6  285.0  3959765 B |  525.7  525.7  2042857 B  (libpng's defaults)
    ///     libpng       1 up       rle      |   83.5   83.5  3883963 B |   79.6   79.6  2686126 B
    ///     libpng       1 paeth    rle      |  112.4  112.4  3746259 B |   95.8   95.8  2023663 B
    ///     libpng       1 sub      rle      |   82.1   82.1  3755399 B |   80.0   80.0  2356517 B
    ///     libdeflate   0 up       -        |    3.1    3.1  6222418 B |    3.1    3.1  6222418 B  (filter cost only)
    ///     fast         - sub      -        |   28.5   28.5  3736074 B |   45.0   45.0  2344893 B
    ///     fast         - up       -        |   28.8   28.8  3870929 B |   37.8   37.8  2685276 B
    ///     fast         - average  -        |   28.5   28.5  3606078 B |   42.9   42.9  2273837 B  <- default
    ///     fast         - paeth    -        |   29.5   29.5  3728631 B |   44.4   44.3  2015392 B
    ///     libdeflate   1 up       -        |   61.9   61.9  4005510 B |   36.2   36.2  2492606 B
    ///     libdeflate   1 average  -        |   63.6   63.6  3792589 B |   34.3   34.3  2172392 B
    ///     libdeflate   1 paeth    -        |   63.4   63.4  3872233 B |   35.8   35.8  2170739 B
    ///     libdeflate   6 paeth    -        |   92.9   91.5  3786719 B |  159.6  156.3  2025321 B
    ///     ffmpeg -c:v png (its defaults)   |      -      -  5565971 B |      -      -  4206655 B
    ///
    /// Film frames carry grain, which leaves LZ77 matching little to find: on
    /// them `fast` takes under half of libdeflate level 1's time and writes
    /// smaller files (per-block tables follow the picture), 35% smaller than
    /// ffmpeg's PNG encoder. On grain-free frames libdeflate level 1 is a few
    /// ms faster and ~5% smaller; `PNGOptions(encoder: .libdeflate)` selects it.
    public static let `default` = PNGOptions(encoder: .fast, compressionLevel: 1, filter: .average)

    /// Throws `.invalidArgument` naming the bad field and the valid range.
    public func validate() throws {
        let range = encoder == .libpng ? 0...9 : 0...12  // `fast` has no levels and ignores it
        guard range.contains(compressionLevel) else {
            throw EmpathyError.invalidArgument(
                "PNG compression level \(compressionLevel) is out of range for the \(encoder.rawValue) encoder; use \(range.lowerBound)...\(range.upperBound)")
        }
    }
}

/// Encodes frames to PNG and reads PNGs back.
///
/// libpng reports errors by calling an error function that must not return
/// (it `longjmp`s, or aborts when no jump buffer is set), and Swift cannot call
/// `setjmp`. So:
/// - Reading, where the bytes come from outside, uses libpng's simplified API
///   (`png_image_begin_read_from_file` / `png_image_finish_read`), which sets
///   its own jump buffer inside libpng and returns an error message instead.
/// - Writing with libpng uses the full API because only it exposes the zlib
///   level, filter and strategy. Its inputs are ours: the options are
///   validated and the size checked against libpng's limits before any call,
///   and the output goes to memory through a write callback that cannot
///   fail, so libpng's error path is reachable only on out-of-memory.
public enum PNGCodec {
    /// The 8-byte PNG signature.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// A complete IEND chunk: length 0, type "IEND", CRC-32 0xAE426082.
    static let iendChunk: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
    /// libpng's default `PNG_USER_WIDTH_MAX` / `PNG_USER_HEIGHT_MAX`.
    static let maxDimension = 1_000_000
    /// Largest picture `read` decodes (1 GiB of RGBA), so a forged header
    /// cannot make it allocate without bound.
    static let maxReadPixels = 1 << 28

    public static func encode(_ image: RGBAImage, options: PNGOptions = .default) throws -> [UInt8] {
        try options.validate()
        guard image.width <= maxDimension, image.height <= maxDimension else {
            throw EmpathyError.invalidArgument(
                "cannot write a \(image.width)×\(image.height) PNG: each side must be at most \(maxDimension) pixels")
        }
        switch options.encoder {
        case .libpng: return try encodeWithLibpng(image, options: options)
        case .libdeflate, .fast: return try encodeWithLibdeflate(image, options: options)
        }
    }

    /// Encodes `image` and writes it atomically (hidden temporary file in the
    /// same folder, then rename), so `path` is either absent, the old file, or
    /// the complete new one.
    public static func write(_ image: RGBAImage, to path: String, options: PNGOptions = .default) throws {
        let bytes = try encode(image, options: options)
        try AtomicFile.write(bytes, to: path)
    }

    /// Reads any PNG libpng understands into top-down RGBA8; RGB and grey
    /// images get alpha 255. Errors name the file.
    ///
    /// Uses libpng's simplified reader, which converts to sRGB-encoded 8-bit:
    /// 8-bit files without a gAMA chunk (all that this module writes) come back
    /// bit-exact; 16-bit files are treated as linear light, as libpng documents.
    public static func read(path: String) throws -> RGBAImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = imageMessage(&image)
            png_image_free(&image)
            if access(path, F_OK) != 0 {
                throw EmpathyError.io(path: path, operation: "open PNG", errno: errno)
            }
            throw EmpathyError.badFile(path: path, line: nil, message: "not a readable PNG (libpng: \(message)); re-export or re-render it")
        }
        let width = Int(image.width)
        let height = Int(image.height)
        guard width > 0, height > 0, width <= maxDimension, height <= maxDimension, width * height <= maxReadPixels
        else {
            png_image_free(&image)
            throw EmpathyError.badFile(
                path: path, line: nil,
                message: "PNG size \(width)×\(height) is larger than the \(maxReadPixels / 1_048_576) Mpixel this reader accepts")
        }
        image.format = 3  // PNG_FORMAT_RGBA = PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        let ok = pixels.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, nil, buffer.baseAddress, Int32(width * 4), nil)
        }
        guard ok != 0 else {
            let message = imageMessage(&image)
            png_image_free(&image)
            throw EmpathyError.badFile(
                path: path, line: nil, message: "corrupt or truncated PNG (libpng: \(message)); delete it and render the frame again")
        }
        png_image_free(&image)
        return RGBAImage(width: width, height: height, pixels: pixels, rowOrder: .topDown)
    }

    /// True when `path` exists, starts with the PNG signature and ends with a
    /// well-formed IEND chunk. Reads 20 bytes; does not decode.
    public static func isComplete(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let size = Int(info.st_size)
        guard size >= signature.count + 25 + iendChunk.count else { return false }  // 25: IHDR chunk
        var head = [UInt8](repeating: 0, count: 8)
        var tail = [UInt8](repeating: 0, count: 12)
        let headRead = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8, 0) }
        let tailRead = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 12, off_t(size - 12)) }
        return headRead == 8 && tailRead == 12 && head == signature && tail == iendChunk
    }

    static func imageMessage(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

// MARK: - libpng encoder

/// Collects libpng's output. Used by one encode on one thread only.
private final class PNGMemorySink {
    var bytes: [UInt8] = []
}

private func pngWriteToSink(_ png: png_structp?, _ data: png_bytep?, _ length: Int) {
    guard let png, let data, let io = png_get_io_ptr(png) else { return }
    let sink = Unmanaged<PNGMemorySink>.fromOpaque(io).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
}

private func pngFlushNothing(_ png: png_structp?) {}

private func pngIgnoreWarning(_ png: png_structp?, _ message: png_const_charp?) {}

extension PNGCodec {
    /// libpng's `PNG_FILTER_*` flag bits for `png_set_filter`.
    static func libpngFilterFlags(_ filter: PNGOptions.Filter) -> Int32 {
        switch filter {
        case .none: return 0x08
        case .sub: return 0x10
        case .up: return 0x20
        case .average: return 0x40
        case .paeth: return 0x80
        case .adaptive: return 0xF8  // PNG_ALL_FILTERS
        }
    }

    /// zlib's `Z_*` strategy constants.
    static func zlibStrategy(_ strategy: PNGOptions.Strategy) -> Int32 {
        switch strategy {
        case .default: return 0  // Z_DEFAULT_STRATEGY
        case .filtered: return 1  // Z_FILTERED
        case .huffmanOnly: return 2  // Z_HUFFMAN_ONLY
        case .rle: return 3  // Z_RLE
        case .fixed: return 4  // Z_FIXED
        }
    }

    static func encodeWithLibpng(_ image: RGBAImage, options: PNGOptions) throws -> [UInt8] {
        var png: png_structp? = png_create_write_struct(PNG_LIBPNG_VER_STRING, nil, nil, pngIgnoreWarning)
        guard png != nil else {
            throw EmpathyError.message("libpng could not start a PNG writer (out of memory?)")
        }
        var info: png_infop? = png_create_info_struct(png)
        defer { png_destroy_write_struct(&png, &info) }
        guard info != nil else {
            throw EmpathyError.message("libpng could not start a PNG writer (out of memory?)")
        }
        let sink = PNGMemorySink()
        let bytesPerPixel = options.keepAlpha ? 4 : 3
        sink.bytes.reserveCapacity(image.width * image.height * bytesPerPixel / 2 + 1024)
        withExtendedLifetime(sink) {
            png_set_write_fn(png, Unmanaged.passUnretained(sink).toOpaque(), pngWriteToSink, pngFlushNothing)
            png_set_IHDR(
                png, info, png_uint_32(image.width), png_uint_32(image.height), 8,
                options.keepAlpha ? 6 : 2,  // PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB
                0, 0, 0)  // no interlace, default compression and filter method
            png_set_compression_level(png, Int32(options.compressionLevel))
            png_set_compression_strategy(png, zlibStrategy(options.strategy))
            png_set_filter(png, 0, libpngFilterFlags(options.filter))
            png_write_info(png, info)
            // After png_write_info: the rows in memory are RGBA, the file is RGB;
            // the filler transform strips the 4th byte of each pixel.
            if !options.keepAlpha { png_set_filler(png, 0, 1) }  // PNG_FILLER_AFTER
            image.pixels.withUnsafeBufferPointer { pixels in
                // libpng copies each row before transforming it, so handing it
                // pointers into the caller's (immutable) buffer is safe.
                let base = UnsafeMutablePointer(mutating: pixels.baseAddress!)
                let stride = image.bytesPerRow
                var rows = [png_bytep?](repeating: nil, count: image.height)
                for y in 0..<image.height {
                    // bottomUp images: reversed row pointers, no copy.
                    let memoryRow = image.rowOrder == .topDown ? y : image.height - 1 - y
                    rows[y] = base + memoryRow * stride
                }
                rows.withUnsafeMutableBufferPointer { png_write_image(png, $0.baseAddress) }
            }
            png_write_end(png, nil)
        }
        return sink.bytes
    }
}

// MARK: - libdeflate encoder

extension PNGCodec {
    static func encodeWithLibdeflate(_ image: RGBAImage, options: PNGOptions) throws -> [UInt8] {
        var compressor: OpaquePointer?
        if options.encoder == .libdeflate {
            compressor = libdeflate_alloc_compressor(Int32(options.compressionLevel))
            guard compressor != nil else {
                throw EmpathyError.message(
                    "libdeflate could not start a compressor at level \(options.compressionLevel) (out of memory?)")
            }
        }
        defer { if let compressor { libdeflate_free_compressor(compressor) } }

        let filtered = filterRows(image, keepAlpha: options.keepAlpha, filter: options.filter)
        return try assemble(width: image.width, height: image.height, bitDepth: 8, colourType: options.keepAlpha ? 6 : 2,
                            filtered: filtered, compressor: compressor)
    }

    /// A PNG file of one IHDR, one IDAT holding `filtered` (the rows with
    /// their filter bytes) compressed by `compressor` (FastDeflate when nil),
    /// and IEND.
    static func assemble(width: Int, height: Int, bitDepth: UInt8, colourType: UInt8, filtered: [UInt8],
                         compressor: OpaquePointer?) throws -> [UInt8] {
        let bound = compressor.map { libdeflate_zlib_compress_bound($0, filtered.count) }
            ?? FastDeflate.bound(filtered.count)
        let headerCount = signature.count + 25 + 8  // signature, IHDR chunk, IDAT length + type
        var compressedCount = 0
        // Uninitialised: every byte up to the returned count is written below.
        let out = [UInt8](unsafeUninitializedCapacity: headerCount + bound + 4 + iendChunk.count) { dst, initialized in
            initialized = 0
            let p = dst.baseAddress!
            p.update(from: signature, count: 8)
            // IHDR: width, height, bit depth, colour type, compression 0, filter 0, interlace 0.
            storeBigEndian(13, at: p + 8)
            p[12] = 0x49; p[13] = 0x48; p[14] = 0x44; p[15] = 0x52
            storeBigEndian(UInt32(width), at: p + 16)
            storeBigEndian(UInt32(height), at: p + 20)
            p[24] = bitDepth
            p[25] = colourType
            p[26] = 0; p[27] = 0; p[28] = 0
            storeBigEndian(libdeflate_crc32(0, p + 12, 17), at: p + 29)
            // IDAT: type at 37, data at 41.
            p[37] = 0x49; p[38] = 0x44; p[39] = 0x41; p[40] = 0x54
            let n = filtered.withUnsafeBufferPointer { src in
                if let compressor {
                    return libdeflate_zlib_compress(compressor, src.baseAddress, src.count, p + headerCount, bound)
                }
                return FastDeflate.zlibCompress(src.baseAddress!, count: src.count, into: p + headerCount, capacity: bound)
            }
            guard n > 0, n <= Int(Int32.max) else { return }  // one IDAT chunk holds < 2^31 bytes
            storeBigEndian(UInt32(n), at: p + 33)
            storeBigEndian(libdeflate_crc32(0, p + 37, 4 + n), at: p + headerCount + n)
            (p + headerCount + n + 4).update(from: iendChunk, count: iendChunk.count)
            compressedCount = n
            initialized = headerCount + n + 4 + iendChunk.count
        }
        guard compressedCount > 0 else {
            throw EmpathyError.message("libdeflate could not compress a \(width)×\(height) frame")
        }
        return out
    }

    /// A 16-bit RGB PNG of a floating-point image: each channel
    /// `round(clamp(v, 0, 1) · 65535)`, big-endian, alpha dropped (as the
    /// 8-bit frames); every row Up-filtered (the difference from the row
    /// above, byte by byte), zlib by libdeflate at level 1.
    public static func encode16(_ image: FloatImage) throws -> [UInt8] {
        guard image.width <= maxDimension, image.height <= maxDimension else {
            throw EmpathyError.invalidArgument(
                "cannot write a \(image.width)×\(image.height) PNG: each side must be at most \(maxDimension) pixels")
        }
        guard let compressor = libdeflate_alloc_compressor(1) else {
            throw EmpathyError.message("libdeflate could not start a compressor (out of memory?)")
        }
        defer { libdeflate_free_compressor(compressor) }
        let rowBytes = image.width * 6
        var previous = [UInt8](repeating: 0, count: rowBytes)
        var current = [UInt8](repeating: 0, count: rowBytes)
        var filtered = [UInt8]()
        filtered.reserveCapacity(image.height * (rowBytes + 1))
        for y in 0..<image.height {
            let start = image.offset(x: 0, y: y)
            for x in 0..<image.width {
                for c in 0..<3 {
                    let v = sixteenBitCode(image.pixels[start + 4 * x + c])
                    current[6 * x + 2 * c] = UInt8(v >> 8)
                    current[6 * x + 2 * c + 1] = UInt8(v & 0xFF)
                }
            }
            filtered.append(2)  // Up
            for i in 0..<rowBytes { filtered.append(current[i] &- previous[i]) }
            swap(&previous, &current)
        }
        return try assemble(width: image.width, height: image.height, bitDepth: 16, colourType: 2,
                            filtered: filtered, compressor: compressor)
    }

    /// `round(clamp(v, 0, 1) · 65535)`; NaN → 0.
    @inline(__always)
    static func sixteenBitCode(_ v: Float) -> UInt16 {
        v.isNaN ? 0 : UInt16((min(max(v, 0), 1) * 65535).rounded())
    }

    @inline(__always)
    static func storeBigEndian(_ value: UInt32, at p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(truncatingIfNeeded: value >> 24)
        p[1] = UInt8(truncatingIfNeeded: value >> 16)
        p[2] = UInt8(truncatingIfNeeded: value >> 8)
        p[3] = UInt8(truncatingIfNeeded: value)
    }

    /// The IDAT payload before deflate: for each row, top to bottom, one
    /// filter-type byte then the filtered RGB (or RGBA) bytes (PNG spec §9.2).
    static func filterRows(_ image: RGBAImage, keepAlpha: Bool, filter: PNGOptions.Filter) -> [UInt8] {
        let bpp = keepAlpha ? 4 : 3
        let width = image.width
        let height = image.height
        let rowBytes = width * bpp
        let total = height * (rowBytes + 1)
        // Packed previous and current rows; the row above the first is zeros.
        var rowA = [UInt8](repeating: 0, count: rowBytes)
        var rowB = [UInt8](repeating: 0, count: rowBytes)
        // Candidate rows for `adaptive`, one per filter type 0...4.
        var candidates = [UInt8](repeating: 0, count: filter == .adaptive ? 5 * rowBytes : 0)
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                rowA.withUnsafeMutableBufferPointer { bufA in
                    rowB.withUnsafeMutableBufferPointer { bufB in
                        candidates.withUnsafeMutableBufferPointer { cand in
                            var prev = bufA.baseAddress!
                            var cur = bufB.baseAddress!
                            let o = out.baseAddress!
                            for y in 0..<height {
                                let memoryRow = image.rowOrder == .topDown ? y : height - 1 - y
                                let s = src.baseAddress! + memoryRow * width * 4
                                if keepAlpha {
                                    cur.update(from: s, count: rowBytes)
                                } else {
                                    for x in 0..<width {
                                        cur[3 * x] = s[4 * x]
                                        cur[3 * x + 1] = s[4 * x + 1]
                                        cur[3 * x + 2] = s[4 * x + 2]
                                    }
                                }
                                let line = o + y * (rowBytes + 1)
                                if filter == .adaptive {
                                    let c = cand.baseAddress!
                                    var best = 0
                                    var bestCost = Int.max
                                    for type in 0..<5 {
                                        let dst = c + type * rowBytes
                                        applyFilter(type, cur: cur, prev: prev, count: rowBytes, bpp: bpp, into: dst)
                                        var cost = 0
                                        for i in 0..<rowBytes { cost &+= abs(Int(Int8(bitPattern: dst[i]))) }
                                        if cost < bestCost { bestCost = cost; best = type }
                                    }
                                    line[0] = UInt8(best)
                                    (line + 1).update(from: c + best * rowBytes, count: rowBytes)
                                } else {
                                    let type = filterType(filter)
                                    line[0] = UInt8(type)
                                    applyFilter(type, cur: cur, prev: prev, count: rowBytes, bpp: bpp, into: line + 1)
                                }
                                swap(&prev, &cur)
                            }
                        }
                    }
                }
            }
            initialized = total
        }
    }

    static func filterType(_ filter: PNGOptions.Filter) -> Int {
        switch filter {
        case .none: return 0
        case .sub: return 1
        case .up: return 2
        case .average: return 3
        case .paeth, .adaptive: return 4
        }
    }

    /// Filters one row. `a` = byte `bpp` to the left, `b` = byte above,
    /// `c` = byte above-left (0 outside the image).
    /// Sub: x−a; Up: x−b; Average: x−⌊(a+b)/2⌋; Paeth: x−P(a,b,c) where P picks
    /// whichever of a, b, c is nearest to a+b−c (ties: a, then b).
    @inline(__always)
    static func applyFilter(
        _ type: Int, cur: UnsafeMutablePointer<UInt8>, prev: UnsafeMutablePointer<UInt8>, count: Int, bpp: Int,
        into dst: UnsafeMutablePointer<UInt8>
    ) {
        switch type {
        case 0:
            dst.update(from: cur, count: count)
        case 1:
            for i in 0..<min(bpp, count) { dst[i] = cur[i] }
            var i = bpp
            while i < count { dst[i] = cur[i] &- cur[i - bpp]; i += 1 }
        case 2:
            for i in 0..<count { dst[i] = cur[i] &- prev[i] }
        case 3:
            for i in 0..<min(bpp, count) { dst[i] = cur[i] &- (prev[i] >> 1) }
            var i = bpp
            while i < count {
                dst[i] = cur[i] &- UInt8((Int(cur[i - bpp]) + Int(prev[i])) >> 1)
                i += 1
            }
        default:
            for i in 0..<min(bpp, count) { dst[i] = cur[i] &- prev[i] }  // P(0,b,0) = b
            var i = bpp
            // Branch-free form (wrapping 16-bit arithmetic on 0...255 values
            // cannot overflow) so the compiler can vectorise the loop.
            while i < count {
                let a = Int16(cur[i - bpp])
                let b = Int16(prev[i])
                let c = Int16(prev[i - bpp])
                let bc = b &- c
                let ac = a &- c
                let abc = bc &+ ac
                let pa = bc < 0 ? 0 &- bc : bc
                let pb = ac < 0 ? 0 &- ac : ac
                let pc = abc < 0 ? 0 &- abc : abc
                let useB = pb <= pc ? b : c
                let predictor = (pa <= pb) && (pa <= pc) ? a : useB
                dst[i] = cur[i] &- UInt8(truncatingIfNeeded: predictor)
                i += 1
            }
        }
    }
}
