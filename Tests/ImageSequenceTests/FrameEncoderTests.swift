import EmpathyCore
import Foundation
import ImageSequence
import TestSupport
import XCTest

/// 16-bit PNG and OpenEXR frames written through `SequenceWriter`, read back
/// by an independent reader (OpenImageIO's oiiotool).
final class FrameEncoderTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("frame-encoders-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// 7×3 floats: in range, above 1, negative, tiny, the largest half, and an
    /// alpha that varies. Rows in `order`.
    func sample(_ order: RowOrder) -> FloatImage {
        let values: [Float] = [0, 1, 0.5, 0.123, 2.5, -0.25, 65504, 1e-4, 0.999, 0.0039, 0.75, 0.3333]
        var pixels: [Float] = []
        for y in 0..<3 {
            for x in 0..<7 {
                let row = order == .topDown ? y : 2 - y  // the same picture either way
                for c in 0..<3 { pixels.append(values[(row * 7 + x + 5 * c) % values.count]) }
                pixels.append(Float(x) / 6)
            }
        }
        return FloatImage(width: 7, height: 3, pixels: pixels, rowOrder: order)
    }

    func write(_ image: FloatImage, format: FrameFormat, number: Int = 1) throws -> String {
        let writer = try SequenceWriter(directory: folder, naming: SequenceNaming(stem: "shot", fileExtension: format.fileExtension),
                                        encoder: try format.encoder())
        try writer.submit(.float(image), number: number)
        _ = try writer.finish()
        return writer.path(number: number)
    }

    /// Each value must be its nearest half, bit for bit.
    func testOpenEXRHoldsEveryValueToTheNearestHalfWithRec709Chromaticities() throws {
        for order in [RowOrder.topDown, .bottomUp] {
            let image = sample(order)
            let path = try write(image, format: .exr)
            let read = try OpenImageIOPixels.read(path)
            XCTAssertEqual([read.width, read.height, read.channels], [7, 3, 4])
            for y in 0..<3 {
                for x in 0..<7 {
                    for c in 0..<4 {
                        let expected = image.value(x: x, y: y, channel: c)
                        XCTAssertEqual(Float16(Float(read.value(x: x, y: y, channel: c))), Float16(expected),
                                       "\(order) pixel (\(x), \(y)) channel \(c)")
                    }
                }
            }
            let chroma = read.attributes.first { $0.hasPrefix("chromaticities:") } ?? ""
            XCTAssertEqual(chroma, "chromaticities: 0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329")
            XCTAssert(read.attributes.contains(#"compression: "zip""#), "\(read.attributes)")
        }
    }

    /// 40 rows: three ZIP chunks of 16 scanlines, in both row orders.
    func testOpenEXRFramesOfSeveralChunksReadBackInOrder() throws {
        for order in [RowOrder.topDown, .bottomUp] {
            var pixels: [Float] = []
            for row in 0..<40 {
                let y = order == .topDown ? row : 39 - row
                for x in 0..<9 { pixels += [Float(y) / 64, Float(x) / 16, Float(y * 9 + x) / 512, 1] }
            }
            let image = FloatImage(width: 9, height: 40, pixels: pixels, rowOrder: order)
            let read = try OpenImageIOPixels.read(try write(image, format: .exr, number: order == .topDown ? 1 : 2))
            XCTAssertEqual([read.width, read.height], [9, 40])
            for y in 0..<40 {
                for x in 0..<9 {
                    for c in 0..<3 {
                        XCTAssertEqual(Float16(Float(read.value(x: x, y: y, channel: c))), Float16(image.value(x: x, y: y, channel: c)),
                                       "\(order) pixel (\(x), \(y)) channel \(c)")
                    }
                }
            }
        }
    }

    func testSixteenBitPNGHoldsEachValueToTheNearestCode() throws {
        let image = sample(.bottomUp)
        let read = try OpenImageIOPixels.read(try write(image, format: .png16))
        XCTAssertEqual([read.width, read.height, read.channels], [7, 3, 3], "16-bit RGB, alpha dropped like the 8-bit frames")
        var worst = 0.0
        for y in 0..<3 {
            for x in 0..<7 {
                for c in 0..<3 {
                    let v = image.value(x: x, y: y, channel: c)
                    let code = (Double(min(max(v, 0), 1)) * 65535).rounded()
                    worst = max(worst, abs(read.value(x: x, y: y, channel: c) - code / 65535))
                }
            }
        }
        XCTAssertLessThan(worst, 1e-8, "oiiotool prints 9 decimals; each value must be its exact code / 65535")
    }

    func testEveryFormatSkipsCompleteFramesAndRedoesCutShortOnes() throws {
        for format in [FrameFormat.png, .png16, .exr] {
            let writer = try SequenceWriter(directory: folder, naming: SequenceNaming(stem: format.rawValue, fileExtension: format.fileExtension),
                                            encoder: try format.encoder())
            let frame: EncodableFrame = format == .png ? .rgba8(RGBAImage(width: 7, height: 3)) : .float(sample(.topDown))
            try writer.submit(frame, number: 1)
            _ = try writer.finish()
            let path = writer.path(number: 1)
            XCTAssertTrue(writer.isComplete(number: 1), "\(format): a written frame is complete")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            XCTAssertFalse(names.contains { $0.hasPrefix(".") && $0.contains(".tmp") }, "\(format): no temporary file left: \(names)")
            // Cut short: the last bytes missing.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count - 9).write(to: URL(fileURLWithPath: path))
            XCTAssertFalse(writer.isComplete(number: 1), "\(format): a cut-short frame is redone")
            try Data().write(to: URL(fileURLWithPath: path))
            XCTAssertFalse(writer.isComplete(number: 1), "\(format): an empty file is redone")
        }
    }

    func testNamesMustEndInTheFormatsExtension() throws {
        XCTAssertEqual(SequenceNaming(stem: "shot", fileExtension: "exr").fileName(number: 12), "shot.0012.exr")
        XCTAssertNoThrow(try SequenceNaming(pattern: "shot.%04d.exr", fileExtension: "exr"))
        XCTAssertThrowsError(try SequenceNaming(pattern: "shot.%04d.png", fileExtension: "exr")) { error in
            XCTAssert("\(error)".contains("it must end in '.exr'"), "\(error)")
        }
        XCTAssertThrowsError(try SequenceWriter(directory: folder, naming: SequenceNaming(stem: "shot"), encoder: EXREncoder())) { error in
            XCTAssert("\(error)".contains("do not suit exr frames"), "\(error)")
        }
    }

    func testEightBitEncoderRefusesHalfFrames() throws {
        let writer = try SequenceWriter(directory: folder, naming: SequenceNaming(stem: "eight"), encoder: try PNGEncoder())
        try writer.submit(.float(sample(.topDown)), number: 1)
        XCTAssertThrowsError(try writer.finish()) { error in
            XCTAssert("\(error)".contains("use png16 or exr"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: writer.path(number: 1)), "nothing half-written")
    }
}
