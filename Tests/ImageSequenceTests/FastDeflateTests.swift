import CDeflate
import EmpathyCore
@testable import ImageSequence
import TestSupport
import XCTest

/// The `fast` encoder writes its own DEFLATE stream; libpng's inflater (zlib)
/// is the judge. Each case targets one path of the coder.
final class FastDeflateTests: XCTestCase {
    private func assertLibpngReadsBack(_ image: RGBAImage, filter: PNGOptions.Filter = .average, _ context: String,
                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/fast.png"
        let options = PNGOptions(encoder: .fast, filter: filter)
        try PNGCodec.write(image, to: path, options: options)
        let decoded = try PNGCodec.read(path: path)
        assertImagesEqual(decoded, TestImages.expectedDecode(of: image, keepAlpha: false), context, file: file, line: line)
    }

    func testFlatFrameCodesAsRunsAcrossBlockBoundaries() throws {
        // 1920×1080 of one colour: runs longer than 258 and than a block (128 KiB).
        var image = RGBAImage(width: 1920, height: 1080)
        for i in stride(from: 0, to: image.pixels.count, by: 4) { image.pixels[i] = 17; image.pixels[i + 1] = 200; image.pixels[i + 2] = 3 }
        try assertLibpngReadsBack(image, filter: .none, "flat, no filter")
        try assertLibpngReadsBack(image, filter: .up, "flat, up")
        let size = try PNGCodec.encode(image, options: PNGOptions(encoder: .fast, filter: .up)).count
        XCTAssertLessThan(size, 1920 * 1080 * 3 / 20, "runs should shrink a flat frame at least 20×, got \(size) bytes")
    }

    func testIncompressibleNoiseFallsBackToStoredBlocks() throws {
        // Uniform random bytes with no filter cannot be coded below 8 bits each.
        let image = TestImages.random(width: 700, height: 300, seed: 42)
        try assertLibpngReadsBack(image, filter: .none, "noise")
        let size = try PNGCodec.encode(image, options: PNGOptions(encoder: .fast, filter: .none)).count
        let raw = (700 * 3 + 1) * 300
        XCTAssertLessThanOrEqual(size, FastDeflate.bound(raw) + 100, "stored fallback must bound the size")
        XCTAssertLessThan(size, raw + raw / 100 + 200, "noise should cost at most ~1% over raw, got \(size) for \(raw)")
    }

    func testSmoothGradientWithManyBlocksRoundTrips() throws {
        try assertLibpngReadsBack(TestImages.smooth(width: 1280, height: 720), "smooth 720p")
        try assertLibpngReadsBack(TestImages.smooth(width: 1280, height: 720, rowOrder: .bottomUp), filter: .paeth, "smooth 720p bottom-up")
    }

    func testSkewedHistogramNeedsLengthLimitedCodes() throws {
        // Fibonacci-like symbol counts make an unlimited Huffman tree deeper than 15 bits.
        var freq = [Int](repeating: 0, count: 286)
        var a = 1, b = 1
        for s in 0..<30 { freq[s] = a; (a, b) = (b, a + b) }
        let lengths = HuffmanCode.lengths(for: freq, limit: 15)
        XCTAssertLessThanOrEqual(Int(lengths.max()!), 15)
        let kraft = lengths.filter { $0 > 0 }.reduce(0.0) { $0 + pow(2.0, -Double($1)) }
        XCTAssertEqual(kraft, 1.0, accuracy: 1e-12, "limited code must stay complete")
        // And the same shape of data through the whole coder: byte values with Fibonacci counts.
        var bytes: [UInt8] = []
        a = 1; b = 1
        for s in 0..<24 { bytes += [UInt8](repeating: UInt8(s * 7), count: min(a, 40_000)); (a, b) = (b, a + b) }
        var rng = SplitMix64(state: 7)
        bytes.shuffle(using: &rng)
        let width = 333, height = bytes.count / (width * 3)
        var image = RGBAImage(width: width, height: height)
        for p in 0..<(width * height) {
            image.pixels[p * 4] = bytes[p * 3]; image.pixels[p * 4 + 1] = bytes[p * 3 + 1]; image.pixels[p * 4 + 2] = bytes[p * 3 + 2]
        }
        try assertLibpngReadsBack(image, filter: .none, "skewed histogram")
    }

    /// Every block starts with its rarest symbols (15-bit codes) right after
    /// its header, which can leave up to 31 bits waiting in the bit writer:
    /// the coder's bit budget must hold from the first code on. zlib's own
    /// format check (Adler-32) is the judge, over many blocks and seeds.
    func testLongestCodesRightAfterABlockHeader() throws {
        for seed in 0..<6 {
            var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
            func next() -> UInt64 {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return state
            }
            var bytes: [UInt8] = []
            for _ in 0..<3 {
                // Rare values first: each occurs a handful of times in the block.
                for k in 0..<12 { bytes.append(UInt8(200 + k % 6)) }
                // Then a steep distribution over 40 values (value v about 2^-v/2
                // of the time), with the odd short run, so the code reaches 15 bits.
                while bytes.count % FastDeflate.blockBytes != 0 {
                    let r = next()
                    let v = min(UInt8((r & 0xFFFF).trailingZeroBitCount + ((r >> 16) & 1 == 0 ? 0 : 20)), 39)
                    let repeats = (r >> 20) & 63 == 0 ? 5 : 1
                    for _ in 0..<repeats where bytes.count % FastDeflate.blockBytes != 0 { bytes.append(v) }
                }
            }
            var out = [UInt8](repeating: 0, count: FastDeflate.bound(bytes.count))
            let n = bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    FastDeflate.zlibCompress(src.baseAddress!, count: src.count, into: dst.baseAddress!, capacity: dst.count)
                }
            }
            let inflater = try XCTUnwrap(libdeflate_alloc_decompressor())
            defer { libdeflate_free_decompressor(inflater) }
            var back = [UInt8](repeating: 0, count: bytes.count)
            var actual = 0
            let result = libdeflate_zlib_decompress(inflater, out, n, &back, back.count, &actual)
            XCTAssertEqual(result, LIBDEFLATE_SUCCESS, "seed \(seed): inflate failed (\(result))")
            XCTAssertEqual(actual, bytes.count, "seed \(seed)")
            XCTAssert(back == bytes, "seed \(seed): inflated bytes differ")
        }
    }

    /// A big block counts its symbols on a sample (one 4 KiB chunk in four).
    /// Here the sample sees only zeros while the rest is noise, so the
    /// sampled code is terrible for the block: it must still decode, fall
    /// back to stored, and stay within `bound`.
    func testMisleadingSampleFallsBackToStored() throws {
        var state: UInt64 = 0xDEAD_BEEF
        var bytes = [UInt8](repeating: 0, count: 3 * FastDeflate.blockBytes)
        for i in bytes.indices where (i / FastDeflate.sampleChunk) % FastDeflate.sampleStride != 0 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        var out = [UInt8](repeating: 0, count: FastDeflate.bound(bytes.count))
        let n = bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                FastDeflate.zlibCompress(src.baseAddress!, count: src.count, into: dst.baseAddress!, capacity: dst.count)
            }
        }
        XCTAssertLessThanOrEqual(n, FastDeflate.bound(bytes.count))
        XCTAssertLessThanOrEqual(n, bytes.count + 100, "noise must be stored, not coded with the sample's code")
        let inflater = try XCTUnwrap(libdeflate_alloc_decompressor())
        defer { libdeflate_free_decompressor(inflater) }
        var back = [UInt8](repeating: 0, count: bytes.count)
        var actual = 0
        XCTAssertEqual(libdeflate_zlib_decompress(inflater, out, n, &back, back.count, &actual), LIBDEFLATE_SUCCESS)
        XCTAssertEqual(actual, bytes.count)
        XCTAssert(back == bytes, "inflated bytes differ")
    }

    func testFilmFrameIsSmallerThanLibdeflateLevelOne() throws {
        // A smooth picture with seeded grain, like the benchmark's film frames.
        var image = TestImages.smooth(width: 960, height: 540)
        var state: UInt64 = 0x9E3779B97F4A7C15
        for i in 0..<image.pixels.count where i % 4 != 3 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Int(state >> 61) - 4  // -4...3
            image.pixels[i] = UInt8(clamping: Int(image.pixels[i]) + noise)
        }
        try assertLibpngReadsBack(image, "grain")
        let fast = try PNGCodec.encode(image, options: PNGOptions(encoder: .fast, filter: .average)).count
        let libdeflate = try PNGCodec.encode(image, options: PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .average)).count
        XCTAssertLessThanOrEqual(Double(fast), Double(libdeflate) * 1.05, "fast \(fast) B vs libdeflate-1 \(libdeflate) B")
    }
}
