import EmpathyCore
import FaceAnalysis
import Fusion
import ImageSequence
import Pipeline
import XCTest

final class AnalyzeJobTests: XCTestCase {
    func testAnalyzeWritesTrackLandmarksPlotAndOverlays() throws {
        let folder = try makeTemporaryFolder(self)
        var job = AnalyzeJob(inputPath: expressionClipPath, trackPath: folder + "/expr.csv")
        job.overlayDirectory = folder + "/overlay"
        let summary = try job.run()
        XCTAssertEqual(summary.frameCount, 120)
        XCTAssertEqual(summary.faceFrameCount, 120)
        XCTAssertEqual(summary.faceIDs, [1])
        let rows = try EmotionTrackFile.read(path: folder + "/expr.csv")
        XCTAssertEqual(rows.map(\.frameIndex), Array(0..<120))
        XCTAssertEqual(rows[24].timeSeconds, 1.0, accuracy: 1e-6)
        let sidecar = try String(contentsOfFile: folder + "/expr.landmarks.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(sidecar.count, 121)
        XCTAssertEqual(sidecar[1].split(separator: ",").count, 2 + 136)
        let plot = try PNGCodec.read(path: folder + "/expr.plot.png")
        XCTAssertEqual([plot.width, plot.height], [1200, 520])
        // The plot is not blank: the valence line (amber) is drawn.
        var amber = 0
        for i in stride(from: 0, to: plot.pixels.count, by: 4) where plot.pixels[i] == 255 && plot.pixels[i + 1] == 190 && plot.pixels[i + 2] == 40 { amber += 1 }
        XCTAssertGreaterThan(amber, 500)
        let overlays = try FileManager.default.contentsOfDirectory(atPath: folder + "/overlay").filter { $0.hasSuffix(".png") }
        XCTAssertEqual(overlays.count, 120)
        // An overlay differs from the frame where the landmarks are drawn (yellow dots).
        let overlay = try PNGCodec.read(path: folder + "/overlay/overlay.0026.png")
        let frame = try expressionFrame(25)
        var yellow = 0
        for i in stride(from: 0, to: overlay.pixels.count, by: 4) where overlay.pixels[i] == 255 && overlay.pixels[i + 1] == 220 && overlay.pixels[i + 2] == 40 { yellow += 1 }
        XCTAssertGreaterThanOrEqual(yellow, 68 * 9 / 2, "landmark dots")
        XCTAssertEqual([overlay.width, overlay.height], [frame.width, frame.height])
    }

    func testStillOfEachExpressionGivesAOneRowTrackThatReadsIt() throws {
        // No calibration: a still has no neutral frame to compare with, so
        // the reading must come from the face itself.
        let folder = try makeTemporaryFolder(self)
        for (frame, category) in [(25, EmotionCategory.happiness), (60, .surprise), (93, .sadness)] {
            let still = folder + "/still-\(frame).png"
            try PNGCodec.write(try expressionFrame(frame), to: still)
            let summary = try AnalyzeJob(inputPath: still, trackPath: folder + "/still-\(frame).csv").run()
            XCTAssertEqual(summary.frameCount, 1)
            let rows = try EmotionTrackFile.read(path: folder + "/still-\(frame).csv")
            XCTAssertEqual(rows.count, 1)
            XCTAssertTrue(rows[0].faceFound)
            XCTAssertEqual(rows[0].estimate.top, category, "still of frame \(frame): \(rows[0].categories)")
            XCTAssertEqual(rows[0].valence > 0, category.circumplex.valence > 0, "still of frame \(frame)")
        }
    }

    func testGreyAndRGBAStillsAndAFaceAtTheEdgeAreRead() throws {
        let folder = try makeTemporaryFolder(self)
        let colour = folder + "/smile.png"
        try PNGCodec.write(try expressionFrame(25), to: colour)
        // Grey (8-bit, one channel) and RGBA with a real alpha channel, written by ffmpeg.
        for (name, format) in [("grey", "gray"), ("rgba", "rgba")] {
            let path = folder + "/\(name).png"
            let run = try runCommand("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", colour,
                                                         "-vf", "format=\(format)", path])
            XCTAssertEqual(run.status, 0, run.standardError)
            let summary = try AnalyzeJob(inputPath: path, trackPath: folder + "/\(name).csv").run()
            XCTAssertEqual(summary.faceFrameCount, 1, name)
            let row = try EmotionTrackFile.read(path: folder + "/\(name).csv")[0]
            XCTAssertEqual(row.estimate.top, .happiness, "\(name): \(row.categories)")
        }
        // The face half out of the frame on the right: the crop reads black
        // beyond the edge; the frame is analysed or marked faceless, never a crash.
        let edge = folder + "/edge.png"
        try PNGCodec.write(shifted(try expressionFrame(25), dx: 170), to: edge)
        let summary = try AnalyzeJob(inputPath: edge, trackPath: folder + "/edge.csv").run()
        XCTAssertEqual(summary.frameCount, 1)
        let row = try EmotionTrackFile.read(path: folder + "/edge.csv")[0]
        XCTAssertTrue(row.faceFound, "the face, cut by the edge, is still read")
        let box = try XCTUnwrap(row.box)
        XCTAssertGreaterThan(box.right, 479, "the face box reaches past the frame's edge: the crop reads black there")
        XCTAssertEqual(row.categories.reduce(0, +), 1, accuracy: 1e-3)
    }

    func testPictureWithoutAFaceGivesNeutralRowsNotAnError() throws {
        let folder = try makeTemporaryFolder(self)
        var noise = RGBAImage(width: 320, height: 240)
        var seed: UInt32 = 12345
        for i in 0..<noise.pixels.count where i % 4 != 3 {
            seed = seed &* 1664525 &+ 1013904223
            noise.pixels[i] = UInt8(truncatingIfNeeded: seed >> 24)
        }
        for n in 1...3 { try PNGCodec.write(noise, to: String(format: "%@/noise.%04d.png", folder, n)) }
        let summary = try AnalyzeJob(inputPath: folder + "/noise.%04d.png", trackPath: folder + "/noise.csv").run()
        XCTAssertEqual(summary.frameCount, 3)
        XCTAssertEqual(summary.faceFrameCount, 0)
        for row in try EmotionTrackFile.read(path: folder + "/noise.csv") {
            XCTAssertFalse(row.faceFound)
            XCTAssertNil(row.box)
            XCTAssertEqual(row.categories[EmotionCategory.neutral.index], 1)
        }
    }

    func testUnreadableLandmarkModelFailsBeforeWritingAnything() throws {
        let folder = try makeTemporaryFolder(self)
        var job = AnalyzeJob(inputPath: expressionClipPath, trackPath: folder + "/t.csv")
        job.modelPath = folder + "/missing.dat"
        XCTAssertThrowsError(try job.run()) { error in
            XCTAssert("\(error)".contains("missing.dat") && "\(error)".contains("cannot read landmark model"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testCalibrateRecordsTheNeutralFaceAndAnalyzeUsesIt() throws {
        let folder = try makeTemporaryFolder(self)
        for n in 0..<10 { try PNGCodec.write(try expressionFrame(n), to: String(format: "%@/neutral.%04d.png", folder, n + 1)) }
        let profilePath = folder + "/calibration/eileen.json"
        let profile = try CalibrateJob(clipPath: folder + "/neutral.%04d.png", name: "eileen", outputPath: profilePath).run()
        XCTAssertEqual(profile.frameCount, 10)
        let back = try NeutralProfile.read(path: profilePath)
        XCTAssertEqual(back, profile)
        // With the profile, a smile frame as a still (no running baseline to learn) reads as happiness.
        try PNGCodec.write(try expressionFrame(28), to: folder + "/smile.png")
        var job = AnalyzeJob(inputPath: folder + "/smile.png", trackPath: folder + "/smile.csv")
        job.profile = back
        _ = try job.run()
        let row = try EmotionTrackFile.read(path: folder + "/smile.csv")[0]
        XCTAssertEqual(row.estimate.top, .happiness, "\(row.categories)")
        XCTAssertGreaterThan(row.valence, 0.3)
    }

    func testCalibratingOnAClipWithoutAFaceSaysSoInOneLine() throws {
        let folder = try makeTemporaryFolder(self)
        try PNGCodec.write(RGBAImage(width: 160, height: 120), to: folder + "/black.png")
        XCTAssertThrowsError(try CalibrateJob(clipPath: folder + "/black.png", name: "x", outputPath: folder + "/x.json").run()) { error in
            let text = "\(error)"
            XCTAssert(text.contains("a face was found in 0 of 1 frame(s)"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.json"))
    }

    func testBrokenProfilesAreNamedWithWhatIsWrong() throws {
        let folder = try makeTemporaryFolder(self)
        let table: [(String, String, String)] = [
            ("not json", "features: none", "is not a calibration profile (not valid JSON)"),
            ("missing features", #"{"name":"a","frameCount":1,"source":"s"}"#, "missing 'features'"),
        ]
        for (name, text, fragment) in table {
            let path = folder + "/\(name.replacingOccurrences(of: " ", with: "-")).json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try NeutralProfile.read(path: path), name) { XCTAssert("\($0)".contains(fragment), "\(name): \($0)") }
        }
        let partial = NeutralProfile(name: "p", features: ExpressionFeatures(values: Array(repeating: 0.1, count: 12)), frameCount: 1, source: "s")
        var missing = partial
        missing.features["lipGap"] = nil
        XCTAssertThrowsError(try missing.expressionFeatures(path: "p.json")) { XCTAssert("\($0)".contains("'lipGap'"), "\($0)") }
        XCTAssertThrowsError(try NeutralProfile.read(path: folder + "/absent.json")) { XCTAssert("\($0)".contains("ENOENT"), "\($0)") }
    }
}

final class CorruptClipTests: XCTestCase {
    func testClipCutShortMidwayIsOneLineAndWritesNoTrack() throws {
        let folder = try makeTemporaryFolder(self)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: expressionClipPath))
        let cut = folder + "/cut.mp4"
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try AnalyzeJob(inputPath: cut, trackPath: folder + "/cut.csv").run()) { error in
            let text = "\(error)"
            XCTAssert(text.contains("cut.mp4"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/cut.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/cut.landmarks.csv"))
    }
}
