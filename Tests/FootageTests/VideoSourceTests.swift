import EmpathyCore
import Footage
import Foundation
import XCTest

final class VideoSourceTests: XCTestCase {
    // MARK: Demo clip

    func testDemoClipOpensAs640x360At24FpsWith96Frames() throws {
        let source = try VideoSource(path: demoClipPath)
        XCTAssertEqual(
            source.info,
            ClipInfo(
                path: demoClipPath, kind: .video, width: 640, height: 360, framesPerSecond: 24,
                frameCount: 96))
        XCTAssertEqual(source.nextFrameIndex, 0)
    }

    /// Also prints decode rates: the demo clip, and the 1080p benchmark clip
    /// when footage/make-bench.sh has made it (120 frames, checked the same way).
    func testDemoClipReadsEveryFrameThenReportsCleanEnd() throws {
        let rate = try measureDecodeRate(demoClipPath, expectedFrameCount: 96)
        print("decode rate, demo clip 640x360: \(String(format: "%.0f", rate)) frames per second")
        if FileManager.default.fileExists(atPath: benchClipPath) {
            let benchRate = try measureDecodeRate(benchClipPath, expectedFrameCount: 120)
            print("decode rate, bench clip 1920x1080: \(String(format: "%.1f", benchRate)) frames per second")
        } else {
            print("decode rate, 1920x1080: no footage/bench/astronaut-1080p.mp4; run footage/make-bench.sh")
        }
    }

    func testReadIntoReusesTheImageBufferWhenTheSizeMatches() throws {
        let source = try VideoSource(path: demoClipPath)
        var image = RGBAImage(width: 640, height: 360)
        let before = image.pixels.withUnsafeBufferPointer { $0.baseAddress }
        XCTAssertTrue(try source.read(into: &image))
        XCTAssertTrue(try source.read(into: &image))
        let after = image.pixels.withUnsafeBufferPointer { $0.baseAddress }
        XCTAssertEqual(before, after, "read(into:) allocated a new buffer")
        XCTAssertEqual(image.rowOrder, .topDown)
        XCTAssertTrue(image.pixels.contains { $0 != 0 && $0 != 255 }, "frame looks empty")
    }

    func testReadIntoReplacesAnImageOfAnotherSize() throws {
        let source = try VideoSource(path: demoClipPath)
        var image = RGBAImage(width: 8, height: 8, rowOrder: .bottomUp)
        XCTAssertTrue(try source.read(into: &image))
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 360)
        XCTAssertEqual(image.rowOrder, .topDown)
    }

    /// OpenCV converts YUV to BGR with swscale, as ffmpeg does, so frames
    /// should agree closely. Tolerance: at most 2 levels per channel and a
    /// mean difference under 0.1 level (chroma upsampling and rounding may
    /// differ); alpha must be exactly 255.
    func testDecodedFramesMatchFFmpegDecodeWithinTolerance() throws {
        let reference = try ffmpegRGBAFrames(demoClipPath, frameCount: 3, width: 640, height: 360)
        let source = try VideoSource(path: demoClipPath)
        for (index, expected) in reference.enumerated() {
            let frame = try XCTUnwrap(try source.nextFrame(), "frame \(index) missing")
            let difference = PixelDifference(actual: frame.pixels, expected: expected, width: 640)
            print("frame \(index) against ffmpeg: \(difference)")
            XCTAssertLessThanOrEqual(difference.maxAbsolute, 2, "frame \(index): \(difference)")
            XCTAssertLessThan(difference.meanAbsolute, 0.1, "frame \(index): \(difference)")
            XCTAssertTrue(
                stride(from: 3, to: frame.pixels.count, by: 4).allSatisfy { frame.pixels[$0] == 255 },
                "frame \(index) has alpha other than 255")
        }
    }

    func testNextFrameReturnsTheSamePixelsAsReadInto() throws {
        let first = try VideoSource(path: demoClipPath)
        let second = try VideoSource(path: demoClipPath)
        var image = RGBAImage(width: 640, height: 360)
        for index in 0..<5 {
            XCTAssertTrue(try first.read(into: &image))
            let frame = try XCTUnwrap(try second.nextFrame())
            XCTAssertTrue(frame.pixels == image.pixels, "frame \(index) differs")
        }
        XCTAssertEqual(first.nextFrameIndex, 5)
        XCTAssertEqual(second.nextFrameIndex, 5)
    }

    // MARK: Seeking

    func testSeekReturnsTheSamePixelsAsSequentialReading() throws {
        // Far forward, backwards, a short hop forward (decoded through), the
        // last frame, back to the start, and frames around keyframes.
        try assertSeeksMatchSequentialReading(
            demoClipPath, indices: [50, 10, 13, 95, 0, 1, 47, 48, 24, 72])
    }

    /// The demo clip has one keyframe; real footage has many, and B-frames.
    /// A transport stream is the case where OpenCV's own seek lands frames
    /// off (its timestamps are mapped to frame numbers wrongly), so seeking
    /// must check where it landed.
    func testSeekIsExactWithKeyframesEvery12FramesInMP4MatroskaAndTransportStream() throws {
        let folder = try makeTemporaryFolder(self)
        let mp4 = folder + "/gop12.mp4"
        try ffmpeg([
            "-i", demoClipPath, "-frames:v", "48", "-c:v", "libx264", "-g", "12", "-bf", "2",
            "-threads", "1", mp4,
        ])
        for container in ["mp4", "mkv", "ts"] {
            let path = folder + "/gop12." + container
            if container != "mp4" { try ffmpeg(["-i", mp4, "-c", "copy", path]) }
            try assertSeeksMatchSequentialReading(
                path, indices: [40, 5, 30, 31, 12, 11, 13, 24, 47, 0, 23, 36, 1, 46, 35])
        }
    }

    func testSeekToTheEndMakesTheNextReadReportTheEnd() throws {
        let source = try VideoSource(path: demoClipPath)
        try source.seek(toFrameIndex: 96)
        XCTAssertNil(try source.nextFrame())
        XCTAssertEqual(source.nextFrameIndex, 96)
        try source.seek(toFrameIndex: 2)
        XCTAssertNotNil(try source.nextFrame())
        XCTAssertEqual(source.nextFrameIndex, 3)
    }

    // MARK: Image sequences and stills

    func testImageSequenceStartingAt1001ReadsEveryFileInOrder() throws {
        let folder = try makeTemporaryFolder(self)
        let pattern = folder + "/shot.%04d.png"
        try ffmpeg(["-i", demoClipPath, "-frames:v", "5", "-start_number", "1001", pattern])
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/shot.1001.png"))

        let source = try VideoSource(path: pattern)
        XCTAssertEqual(source.info.kind, .imageSequence)
        XCTAssertEqual(source.info.width, 640)
        XCTAssertEqual(source.info.height, 360)
        XCTAssertEqual(source.info.frameCount, 5)
        XCTAssertEqual(source.info.framesPerSecond, 24, "sequences report the assumed 24 fps")

        // PNG is lossless: every frame must equal ffmpeg's decode of its file.
        for index in 0..<5 {
            let file = folder + String(format: "/shot.%04d.png", 1001 + index)
            let expected = try XCTUnwrap(
                try ffmpegRGBAFrames(file, frameCount: 1, width: 640, height: 360).first)
            let frame = try XCTUnwrap(try source.nextFrame(), "frame \(index) missing")
            let difference = PixelDifference(actual: frame.pixels, expected: expected, width: 640)
            XCTAssertEqual(difference.maxAbsolute, 0, "\(file): \(difference)")
        }
        XCTAssertNil(try source.nextFrame())
        XCTAssertEqual(source.nextFrameIndex, 5)
    }

    func testImageSequenceWithoutPaddingStartingAt0Reads() throws {
        let folder = try makeTemporaryFolder(self)
        try ffmpeg(["-i", demoClipPath, "-frames:v", "12", "-start_number", "0", folder + "/f%d.png"])
        let source = try VideoSource(path: folder + "/f%d.png")
        XCTAssertEqual(source.info.frameCount, 12)
        var count = 0
        while try source.nextFrame() != nil { count += 1 }
        XCTAssertEqual(count, 12)
    }

    func testImageSequenceSeekReadsTheRightFile() throws {
        let folder = try makeTemporaryFolder(self)
        let pattern = folder + "/shot.%04d.png"
        try ffmpeg(["-i", demoClipPath, "-frames:v", "4", "-start_number", "1", pattern])
        let source = try VideoSource(path: pattern)
        try source.seek(toFrameIndex: 2)
        let frame = try XCTUnwrap(try source.nextFrame())
        let expected = try XCTUnwrap(
            try ffmpegRGBAFrames(folder + "/shot.0003.png", frameCount: 1, width: 640, height: 360).first)
        XCTAssertEqual(PixelDifference(actual: frame.pixels, expected: expected, width: 640).maxAbsolute, 0)
    }

    func testStillImageIsAOneFrameClip() throws {
        let folder = try makeTemporaryFolder(self)
        let still = folder + "/plate.png"
        try ffmpeg(["-i", demoClipPath, "-frames:v", "1", "-vf", "scale=320:180", still])
        let source = try VideoSource(path: still)
        XCTAssertEqual(
            source.info,
            ClipInfo(path: still, kind: .still, width: 320, height: 180, framesPerSecond: 24, frameCount: 1))
        let frame = try XCTUnwrap(try source.nextFrame())
        let expected = try XCTUnwrap(try ffmpegRGBAFrames(still, frameCount: 1, width: 320, height: 180).first)
        let difference = PixelDifference(actual: frame.pixels, expected: expected, width: 320)
        XCTAssertEqual(difference.maxAbsolute, 0, "\(difference)")
        XCTAssertNil(try source.nextFrame())
        try source.seek(toFrameIndex: 0)
        XCTAssertNotNil(try source.nextFrame(), "a still reads again after seeking back")
    }

    func testStillImageWithAlphaReadsOpaque() throws {
        let folder = try makeTemporaryFolder(self)
        let still = folder + "/half-transparent.png"
        try ffmpeg(["-f", "lavfi", "-i", "color=c=red@0.5:s=16x8,format=rgba", "-frames:v", "1", still])
        let frame = try XCTUnwrap(try VideoSource(path: still).nextFrame())
        XCTAssertEqual(Array(frame.pixels[0..<4]), [255, 0, 0, 255])
    }

    // MARK: Helpers

    /// Reads `path` sequentially, then seeks to each index in turn and checks
    /// that the frame read there is the same, bit for bit.
    private func assertSeeksMatchSequentialReading(
        _ path: String, indices: [Int], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let sequential = try VideoSource(path: path)
        var frames: [[UInt8]] = []
        while let frame = try sequential.nextFrame() { frames.append(frame.pixels) }
        XCTAssertEqual(frames.count, sequential.info.frameCount, path, file: file, line: line)

        let source = try VideoSource(path: path)
        for index in indices where index < frames.count {
            try source.seek(toFrameIndex: index)
            XCTAssertEqual(source.nextFrameIndex, index, file: file, line: line)
            let frame = try XCTUnwrap(
                try source.nextFrame(), "\(path): no frame after seeking to \(index)", file: file, line: line)
            let difference = PixelDifference(actual: frame.pixels, expected: frames[index], width: source.info.width)
            XCTAssertEqual(
                difference.maxAbsolute, 0, "\(path): seek to \(index): \(difference)", file: file, line: line)
            XCTAssertEqual(source.nextFrameIndex, index + 1, file: file, line: line)
        }
    }

    /// Reads the whole clip, checks the frame count and the clean end, and
    /// returns frames decoded per second.
    private func measureDecodeRate(_ path: String, expectedFrameCount: Int) throws -> Double {
        let source = try VideoSource(path: path)
        var image = RGBAImage(width: source.info.width, height: source.info.height)
        var count = 0
        let start = Date()
        while try source.read(into: &image) { count += 1 }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(count, expectedFrameCount)
        XCTAssertEqual(source.nextFrameIndex, expectedFrameCount)
        var untouched = RGBAImage(width: 2, height: 2, rowOrder: .bottomUp)
        XCTAssertFalse(try source.read(into: &untouched), "a read after the end must report the end again")
        XCTAssertEqual(untouched, RGBAImage(width: 2, height: 2, rowOrder: .bottomUp), "the end changed the image")
        return Double(count) / max(seconds, 1e-9)
    }
}
