import EmpathyCore
import Foundation
import XCTest

@testable import ImageSequence

final class PNGCodecTests: XCTestCase {
    /// Encodes, writes, decodes with libpng; the result must be bit-exact (tolerance 0).
    private func assertRoundTrip(
        _ image: RGBAImage, _ options: PNGOptions, _ context: String, in dir: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = dir + "/roundtrip.png"
        try PNGCodec.write(image, to: path, options: options)
        XCTAssertTrue(PNGCodec.isComplete(path: path), "\(context): written file is not complete", file: file, line: line)
        let decoded = try PNGCodec.read(path: path)
        XCTAssertEqual(decoded.rowOrder, .topDown, file: file, line: line)
        assertImagesEqual(
            decoded, TestImages.expectedDecode(of: image, keepAlpha: options.keepAlpha), context, file: file, line: line)
    }

    func testRoundTripThroughLibpngIsBitExactForBothEncodersRowOrdersAlphaModesSizesAndContent() throws {
        let dir = try makeTemporaryDirectory(self)
        let sizes = [(1, 1), (3, 7), (1921, 3), (64, 33)]
        var cases = 0
        for (width, height) in sizes {
            for rowOrder in [RowOrder.topDown, .bottomUp] {
                let contents: [(String, RGBAImage)] = [
                    ("random", TestImages.random(width: width, height: height, seed: UInt64(width * 1000 + height), rowOrder: rowOrder)),
                    ("smooth", TestImages.smooth(width: width, height: height, rowOrder: rowOrder)),
                ]
                for (contentName, image) in contents {
                    for encoder in PNGOptions.Encoder.allCases {
                        for keepAlpha in [false, true] {
                            let options = PNGOptions(encoder: encoder, compressionLevel: 1, filter: .paeth, keepAlpha: keepAlpha)
                            try assertRoundTrip(
                                image, options,
                                "\(encoder) \(width)×\(height) \(rowOrder) \(contentName) keepAlpha=\(keepAlpha)", in: dir)
                            cases += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(cases, 4 * 2 * 2 * PNGOptions.Encoder.allCases.count * 2)
    }

    func testEveryFilterAndLevelRoundTripsForBothEncoders() throws {
        let dir = try makeTemporaryDirectory(self)
        let image = TestImages.smooth(width: 37, height: 11, rowOrder: .bottomUp)
        let noisy = TestImages.random(width: 37, height: 11, seed: 7)
        for encoder in PNGOptions.Encoder.allCases {
            let levels = encoder == .libpng ? [0, 1, 6, 9] : [0, 1, 6, 12]
            for filter in PNGOptions.Filter.allCases {
                for level in levels {
                    for keepAlpha in [false, true] {
                        let options = PNGOptions(encoder: encoder, compressionLevel: level, filter: filter, keepAlpha: keepAlpha)
                        try assertRoundTrip(image, options, "\(options) smooth", in: dir)
                        try assertRoundTrip(noisy, options, "\(options) random", in: dir)
                    }
                }
            }
        }
        for strategy in PNGOptions.Strategy.allCases {
            let options = PNGOptions(encoder: .libpng, compressionLevel: 3, filter: .up, strategy: strategy)
            try assertRoundTrip(image, options, "\(options)", in: dir)
        }
    }

    func testDefaultOptionsRoundTripAndWriteRGB() throws {
        let dir = try makeTemporaryDirectory(self)
        let image = TestImages.random(width: 19, height: 5, seed: 3)
        try assertRoundTrip(image, .default, "default options", in: dir)
        let bytes = try PNGCodec.encode(image)
        XCTAssertEqual(Array(bytes.prefix(8)), PNGCodec.signature)
        XCTAssertEqual(bytes[25], 2, "colour type in IHDR must be 2 (RGB) when alpha is dropped")
        XCTAssertEqual(try PNGCodec.encode(image, options: PNGOptions(keepAlpha: true))[25], 6)
    }

    func testBottomUpImageIsWrittenTheRightWayUp() throws {
        let dir = try makeTemporaryDirectory(self)
        // Row 0 in memory is the bottom of the picture: make it red, the rest blue.
        var pixels = [UInt8](repeating: 0, count: 2 * 3 * 4)
        for i in stride(from: 0, to: pixels.count, by: 4) { pixels[i + 2] = 255; pixels[i + 3] = 255 }
        pixels[0] = 255; pixels[2] = 0; pixels[4] = 255; pixels[6] = 0
        let image = RGBAImage(width: 2, height: 3, pixels: pixels, rowOrder: .bottomUp)
        for encoder in PNGOptions.Encoder.allCases {
            let path = dir + "/\(encoder).png"
            try PNGCodec.write(image, to: path, options: PNGOptions(encoder: encoder))
            let decoded = try PNGCodec.read(path: path)
            XCTAssertEqual(Array(decoded.pixels[16..<24]), [255, 0, 0, 255, 255, 0, 0, 255], "\(encoder): last row must be red")
            XCTAssertEqual(Array(decoded.pixels[0..<8]), [0, 0, 255, 255, 0, 0, 255, 255], "\(encoder): first row must be blue")
        }
    }

    /// ffmpeg's PNG decoder (a peer, not libpng) must read our files identically.
    func testFFmpegDecodesBothEncodersOutputExactly() throws {
        let dir = try makeTemporaryDirectory(self)
        let image = TestImages.random(width: 45, height: 9, seed: 11, rowOrder: .bottomUp)
        let expected = TestImages.expectedDecode(of: image, keepAlpha: false)
        var expectedRGB: [UInt8] = []
        for i in stride(from: 0, to: expected.pixels.count, by: 4) { expectedRGB += expected.pixels[i..<i + 3] }
        for encoder in PNGOptions.Encoder.allCases {
            for filter in [PNGOptions.Filter.paeth, .adaptive] {
                let path = dir + "/ffmpeg-\(encoder)-\(filter).png"
                try PNGCodec.write(image, to: path, options: PNGOptions(encoder: encoder, filter: filter))
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
                process.arguments = ["-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
                let pipe = Pipe()
                process.standardOutput = pipe
                try process.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0, "ffmpeg failed on \(encoder) \(filter)")
                let rgb = [UInt8](data)
                XCTAssertEqual(rgb.count, expectedRGB.count, "\(encoder) \(filter)")
                let firstDifference = zip(rgb, expectedRGB).enumerated().first { $0.element.0 != $0.element.1 }
                XCTAssertNil(firstDifference.map { "byte \($0.offset): got \($0.element.0), expected \($0.element.1)" },
                    "\(encoder) \(filter): ffmpeg decodes differently")
            }
        }
    }

    func testTruncatedPNGGivesAnErrorNamingTheFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let bytes = try PNGCodec.encode(TestImages.random(width: 40, height: 40, seed: 5))
        let path = dir + "/error_truncated_in_idat.png"
        try AtomicFile.write(Array(bytes.prefix(bytes.count / 2)), to: path)
        XCTAssertThrowsError(try PNGCodec.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "message must name the file: \(error)")
            XCTAssertTrue("\(error)".contains("truncated") || "\(error)".contains("corrupt"), "\(error)")
        }
    }

    func testCorruptIDATGivesAnErrorNamingTheFile() throws {
        let dir = try makeTemporaryDirectory(self)
        var bytes = try PNGCodec.encode(TestImages.random(width: 40, height: 40, seed: 6))
        for i in 60..<80 { bytes[i] ^= 0x5A }  // inside IDAT (data starts at byte 41)
        let path = dir + "/error_corrupt_idat.png"
        try AtomicFile.write(bytes, to: path)
        XCTAssertThrowsError(try PNGCodec.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "message must name the file: \(error)")
        }
    }

    func testNonPNGAndMissingFilesGiveErrorsNamingTheFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let text = dir + "/error_not_a_png.png"
        try AtomicFile.write("frame 1\n", to: text)
        XCTAssertThrowsError(try PNGCodec.read(path: text)) { error in
            XCTAssertTrue("\(error)".contains(text), "\(error)")
            XCTAssertTrue("\(error)".contains("not a readable PNG"), "\(error)")
        }
        let missing = dir + "/missing.png"
        XCTAssertThrowsError(try PNGCodec.read(path: missing)) { error in
            XCTAssertEqual(error as? EmpathyError, .io(path: missing, operation: "open PNG", errno: ENOENT))
        }
    }

    func testForgedHugeSizeIsRejectedBeforeAllocating() throws {
        let dir = try makeTemporaryDirectory(self)
        var bytes = try PNGCodec.encode(TestImages.smooth(width: 4, height: 4))
        // Rewrite IHDR to claim 100000×100000 (40 GB of RGBA) with a valid CRC.
        bytes.withUnsafeMutableBufferPointer { p in
            PNGCodec.storeBigEndian(100_000, at: p.baseAddress! + 16)
            PNGCodec.storeBigEndian(100_000, at: p.baseAddress! + 20)
            PNGCodec.storeBigEndian(crc32(Array(p[12..<29])), at: p.baseAddress! + 29)
        }
        let path = dir + "/error_forged_size.png"
        try AtomicFile.write(bytes, to: path)
        XCTAssertThrowsError(try PNGCodec.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("100000×100000"), "\(error)")
        }
    }

    func testIsCompleteOnlyForWholePNGFiles() throws {
        let dir = try makeTemporaryDirectory(self)
        let bytes = try PNGCodec.encode(TestImages.smooth(width: 30, height: 20))
        let cases: [(String, [UInt8]?, Bool)] = [
            ("whole.png", bytes, true),
            ("truncated_last_byte.png", Array(bytes.dropLast()), false),
            ("truncated_half.png", Array(bytes.prefix(bytes.count / 2)), false),
            ("iend_only.png", PNGCodec.iendChunk, false),
            ("text.png", Array("not a png at all, but long enough to hold a header and a tail".utf8), false),
            ("empty.png", [], false),
            ("missing.png", nil, false),
        ]
        for (name, content, expected) in cases {
            let path = dir + "/" + name
            if let content { try AtomicFile.write(content, to: path) }
            XCTAssertEqual(PNGCodec.isComplete(path: path), expected, name)
        }
        try FileManager.default.createDirectory(atPath: dir + "/folder.png", withIntermediateDirectories: false)
        XCTAssertFalse(PNGCodec.isComplete(path: dir + "/folder.png"))
    }

    func testEncodeRejectsOutOfRangeCompressionLevel() {
        let cases: [(PNGOptions, String)] = [
            (PNGOptions(encoder: .libpng, compressionLevel: 10), "0...9"),
            (PNGOptions(encoder: .libpng, compressionLevel: -1), "0...9"),
            (PNGOptions(encoder: .libdeflate, compressionLevel: 13), "0...12"),
        ]
        for (options, range) in cases {
            XCTAssertThrowsError(try PNGCodec.encode(RGBAImage(width: 1, height: 1), options: options)) { error in
                XCTAssertTrue("\(error)".contains(range) && "\(error)".contains("\(options.compressionLevel)"), "\(error)")
            }
        }
    }

    func testFailedWriteLeavesPreviousFileAndNoTemporaryFile() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/frame.png"
        let old = TestImages.smooth(width: 8, height: 8)
        try PNGCodec.write(old, to: path)
        XCTAssertThrowsError(
            try PNGCodec.write(old, to: path, options: PNGOptions(encoder: .libdeflate, compressionLevel: 99)))
        assertImagesEqual(try PNGCodec.read(path: path), TestImages.expectedDecode(of: old, keepAlpha: false), "old file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["frame.png"])
    }
}

/// CRC-32 as PNG defines it (ISO 3309, reflected polynomial 0xEDB88320).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
