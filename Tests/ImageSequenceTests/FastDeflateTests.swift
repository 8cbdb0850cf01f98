import EmpathyCore
@testable import ImageSequence
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
        var rng = SystemRandomNumberGenerator()
        bytes.shuffle(using: &rng)
        let width = 333, height = bytes.count / (width * 3)
        var image = RGBAImage(width: width, height: height)
        for p in 0..<(width * height) {
            image.pixels[p * 4] = bytes[p * 3]; image.pixels[p * 4 + 1] = bytes[p * 3 + 1]; image.pixels[p * 4 + 2] = bytes[p * 3 + 2]
        }
        try assertLibpngReadsBack(image, filter: .none, "skewed histogram")
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
