import EmpathyCore
import Footage
import Foundation
import XCTest

/// The decode-ahead thread: same frames as reading in order, selected frames
/// across seeks, errors after the frames before them, and cancelling.
final class FramePrefetcherTests: XCTestCase {
    private func sequentialFrames() throws -> [RGBAImage] {
        let source = try VideoSource(path: demoClipPath)
        var frames: [RGBAImage] = []
        while let frame = try source.nextFrame() { frames.append(frame) }
        return frames
    }

    func testDeliversEveryFrameInOrderWithItsNumber() throws {
        let expected = try sequentialFrames()
        let prefetcher = FramePrefetcher(source: try VideoSource(path: demoClipPath))
        defer { prefetcher.cancel() }
        var number = 0
        while let (n, image) = try prefetcher.nextNumbered() {
            number += 1
            XCTAssertEqual(n, number)
            XCTAssertTrue(image == expected[n - 1], "frame \(n) differs from sequential decoding")
        }
        XCTAssertEqual(number, expected.count)
        XCTAssertGreaterThan(prefetcher.decodeSeconds, 0)
    }

    func testSelectedFramesAcrossShortGapsAndLongSeeksMatchSequentialDecoding() throws {
        let expected = try sequentialFrames()
        let wanted = [2, 3, 10, 70, 71, 96]  // 3 → 10 decodes through; 10 → 70 seeks
        let prefetcher = FramePrefetcher(source: try VideoSource(path: demoClipPath), frameNumbers: wanted)
        defer { prefetcher.cancel() }
        var got: [Int] = []
        while let (n, image) = try prefetcher.nextNumbered() {
            got.append(n)
            XCTAssertTrue(image == expected[n - 1], "frame \(n) differs from sequential decoding")
        }
        XCTAssertEqual(got, wanted)
    }

    func testTruncatedClipDeliversItsFramesThenTheErrorNamingTheFrame() throws {
        let folder = try makeTemporaryFolder(self)
        let cut = folder + "/cut.mp4"
        try writePrefix(of: demoClipPath, byteCount: try fileSize(demoClipPath) / 2, to: cut)
        let prefetcher = FramePrefetcher(source: try VideoSource(path: cut))
        defer { prefetcher.cancel() }
        var delivered = 0
        do {
            while try prefetcher.nextNumbered() != nil { delivered += 1 }
            XCTFail("a truncated clip must end in an error, not a short clip")
        } catch {
            XCTAssertTrue("\(error)".contains("frame \(delivered + 1) of 96"), "\(error) after \(delivered) frames")
        }
        XCTAssertGreaterThan(delivered, 10)
    }

    func testCancelEndsTheStreamWithoutWaitingForTheDecoder() throws {
        let prefetcher = FramePrefetcher(source: try VideoSource(path: demoClipPath), capacity: 1)
        XCTAssertNotNil(try prefetcher.nextNumbered())
        prefetcher.cancel()
        var left = 0
        while try prefetcher.nextNumbered() != nil { left += 1 }
        XCTAssertLessThanOrEqual(left, 1, "at most the one queued frame comes after cancel")
    }
}
