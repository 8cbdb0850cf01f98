import Effects
import EmpathyCore
import Footage
import Foundation
import ImageSequence
import Pipeline
import Rendering
import XCTest

final class RenderJobTests: XCTestCase {
    private var clip: String { TestFrames.repositoryRoot.appendingPathComponent("footage/demo/astronaut.mp4").path }

    private func temporaryFolder(_ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-render-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    private func render(_ frames: String, into folder: String, timeline: SyntheticTimeline) throws -> RenderSummary {
        var configuration = RenderConfiguration(input: clip, outputDirectory: folder, timeline: timeline)
        configuration.look = "neon-noir"
        configuration.frames = FrameSpec(parsing: frames)
        let summary = try RenderJob(configuration: configuration).run(progress: SilentProgress())
        XCTAssertNil(summary.report.failure, "\(summary.report.failure ?? "")")
        return summary
    }

    private func timeline() throws -> SyntheticTimeline {
        let info = try VideoSource(path: clip).info
        return SyntheticTimeline(frameCount: info.frameCount, framesPerSecond: info.framesPerSecond)
    }

    /// Frames 1–20 in one go and as 1–10 + 11–20 give identical bytes
    /// (the glitch's feedback buffer resets every 12 frames, so the second
    /// chunk re-renders frames 1–10 unwritten before frame 11).
    func testChunkedRenderGivesIdenticalBytes() throws {
        let whole = try temporaryFolder("whole"), chunked = try temporaryFolder("chunked")
        let timeline = try timeline()
        let one = try render("1-20", into: whole, timeline: timeline)
        XCTAssertEqual(one.report.framesWritten, 20)
        XCTAssertEqual(try render("1-10", into: chunked, timeline: timeline).report.framesWritten, 10)
        let second = try render("11-20", into: chunked, timeline: timeline)
        XCTAssertEqual(second.report.framesWritten, 10)
        XCTAssertEqual(second.warmUpFrames, 10, "frames 1–10 re-rendered to rebuild the feedback buffer")
        var differing: [String] = []
        for n in 1...20 {
            let name = String(format: "astronaut.%04d.png", n)
            let a = try PNGCodec.read(path: "\(whole)/\(name)"), b = try PNGCodec.read(path: "\(chunked)/\(name)")
            if a.pixels != b.pixels { differing.append(name) }
        }
        XCTAssertEqual(differing, [], "frames differ between one run and two chunks")
        // And the effects are there: frame 5 is not the clip's frame.
        let resumed = try render("1-20", into: chunked, timeline: timeline)
        XCTAssertEqual(resumed.report.framesSkipped, 20, "complete frames are skipped")
        XCTAssertEqual(resumed.report.framesWritten, 0)
    }

    func testTrackFromAnotherClipIsRejected() throws {
        let info = try VideoSource(path: clip).info
        let short = SyntheticTimeline(frameCount: info.frameCount! - 5, framesPerSecond: info.framesPerSecond)
        XCTAssertThrowsError(try RenderJob(configuration: RenderConfiguration(input: clip, outputDirectory: "/tmp/x", timeline: short))) {
            XCTAssertTrue("\($0)".contains("another clip"), "\($0)")
        }
        let wrongRate = SyntheticTimeline(frameCount: info.frameCount, framesPerSecond: info.framesPerSecond * 2)
        XCTAssertThrowsError(try RenderJob(configuration: RenderConfiguration(input: clip, outputDirectory: "/tmp/x", timeline: wrongRate))) {
            XCTAssertTrue("\($0)".contains("fps"), "\($0)")
        }
    }

    func testUnknownLookListsTheShippedOnes() throws {
        var configuration = RenderConfiguration(input: clip, outputDirectory: "/tmp/x", timeline: try timeline())
        configuration.look = "sparkles"
        XCTAssertThrowsError(try RenderJob(configuration: configuration)) {
            XCTAssertTrue("\($0)".contains("unknown look 'sparkles'"), "\($0)")
            XCTAssertTrue("\($0)".contains("neon-noir"), "\($0)")
        }
    }
}

/// A source with no end, as a camera is: frames made on demand, no count.
/// (The live camera itself comes with the live mode; this exercises the seam.)
private final class EndlessSource: FrameSource, @unchecked Sendable {
    let info = ClipInfo(path: "endless", kind: .video, width: 96, height: 54, framesPerSecond: 24, frameCount: nil)
    private(set) var nextFrameIndex = 0

    func read(into image: inout RGBAImage) throws -> Bool {
        image = TestFrames.synthetic()
        for i in stride(from: 0, to: image.pixels.count, by: 4) { image.pixels[i] &+= UInt8(truncatingIfNeeded: nextFrameIndex) }
        nextFrameIndex += 1
        return true
    }

    func nextFrame() throws -> RGBAImage? {
        var image = RGBAImage(width: 1, height: 1)
        return try read(into: &image) ? image : nil
    }

    func seek(toFrameIndex index: Int) throws { nextFrameIndex = index }
}

final class EndlessSourceTests: XCTestCase {
    /// Frame by frame, a look renders from a source and a timeline with no
    /// end exactly as from a clip and a track of known length.
    func testALookRendersAnEndlessSourceFrameByFrameAsAClip() throws {
        let source = EndlessSource()
        XCTAssertNil(source.info.frameCount)
        let look = try Look.load(try LookLibrary.resolve("neon-noir"))
        let context = try RenderContext()
        let live = try LookRenderer(context: context, look: look, timeline: SyntheticTimeline(frameCount: nil, framesPerSecond: 24),
                                    shadersDirectory: TestFrames.shaders)
        var frames: [RGBAImage] = []
        while frames.count < 40, let frame = try source.nextFrame() {
            frames.append(try live.render(PassChain.bottomUp(frame), frameIndex: frames.count))
        }
        let clip = try LookRenderer(context: context, look: look, timeline: SyntheticTimeline(frameCount: 40, framesPerSecond: 24),
                                    shadersDirectory: TestFrames.shaders)
        try source.seek(toFrameIndex: 0)
        for index in 0..<40 {
            let frame = try XCTUnwrap(source.nextFrame())
            XCTAssertEqual(try clip.render(PassChain.bottomUp(frame), frameIndex: index).pixels, frames[index].pixels, "frame \(index + 1)")
        }
        XCTAssertThrowsError(try clip.render(TestFrames.synthetic(), frameIndex: 40)) { error in
            XCTAssertTrue("\(error)".contains("beyond the emotion timeline's 40 frames"), "\(error)")
        }
    }

    func testJobsThatPlanARangeNameTheEndlessSource() {
        XCTAssertThrowsError(try EndlessSource().info.requireFrameCount(for: "a batch render")) { error in
            XCTAssertEqual("\(error)", "'endless' has no end (a live source); a batch render needs a clip or an image sequence")
        }
    }
}
