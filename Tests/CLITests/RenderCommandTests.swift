import EmpathyCore
import Foundation
import ImageSequence
import Pipeline
import TestSupport
import XCTest

/// `empathy render`: the emotion track drives the look over real footage.
final class RenderCommandTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = try EmpathyProcess.temporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    private let demoClip = EmpathyProcess.repositoryRoot.appendingPathComponent("footage/demo/astronaut.mp4").path
    private let demoSession = EmpathyProcess.repositoryRoot.appendingPathComponent("footage/demo/astronaut.session.csv").path
    private let expressions = EmpathyProcess.repositoryRoot
        .appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path

    private func pngs(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
    }

    /// Also the MP4 preview, read by ffprobe (an independent reader): H.264,
    /// every frame; and the manifest naming what made the frames.
    func testRenderWithoutATrackAnalysesFirstThenWritesFramesAndAPreview() throws {
        let out = tmp.appendingPathComponent("r")
        let run = try EmpathyProcess.run(["render", demoClip, "--sensor", demoSession, "--frames", "1-5",
                                          "--out", out.path, "--preview", "sheet,mp4", "--preview-every", "2", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let track = out.appendingPathComponent("astronaut.track.csv").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: track), "the analysis's track is kept beside the frames")
        let frames = pngs(out).filter { !$0.contains("preview") && !$0.contains("plot") }
        XCTAssertEqual(frames, (1...5).map { String(format: "astronaut.%04d.png", $0) })
        for name in frames {
            let image = try PNGCodec.read(path: out.appendingPathComponent(name).path)
            XCTAssertEqual(image.width, 640)
            XCTAssertEqual(image.height, 360)
        }
        let preview = try PNGCodec.read(path: out.appendingPathComponent("astronaut.preview.png").path)
        XCTAssertEqual(preview.width, 3 * 320, "frames 1, 3, 5 side by side")
        XCTAssertTrue(run.stdout.contains("Rendered 5 frames"), run.stdout)
        let movie = out.appendingPathComponent("astronaut.preview.mp4").path
        let probe = try runCommand("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                                        "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", movie])
        XCTAssertEqual(probe.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines), "h264,640,360,5", probe.standardError)
        XCTAssertTrue(run.stdout.contains(movie), run.stdout)
        let manifest = try RenderManifest.read(path: out.appendingPathComponent("astronaut.render.json").path)
        XCTAssertEqual(manifest.clip, demoClip)
        XCTAssertEqual(manifest.track, track)
        XCTAssertEqual(manifest.session, demoSession)
        XCTAssertEqual(manifest.look, "neon-noir")
        XCTAssertEqual(manifest.luts, ["neon-noir/midnight", "neon-noir/melancholy", "neon-noir/rage", "neon-noir/sodium"])

        // Re-rendering with the track now on disk skips every complete frame.
        let again = try EmpathyProcess.run(["render", demoClip, "--track", track, "--frames", "1-5",
                                            "--out", out.path, "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("Rendered 0 frames (5 skipped)"), again.stdout)
    }

    /// Without --track, render analyses with the same options as analyze:
    /// its track equals analyze's byte for byte, and the sensor offset moves
    /// the heart columns.
    func testRenderWithoutATrackAnalysesWithTheSensorOffsetAndDetectorGiven() throws {
        let options = ["--sensor", demoSession, "--detector", "cascade"]
        let out = tmp.appendingPathComponent("r")
        let render = try EmpathyProcess.run(["render", demoClip, "--frames", "1-2", "--out", out.path, "--quiet",
                                             "--sensor-offset", "21.5"] + options)
        XCTAssertEqual(render.status, 0, render.stderr)
        let rendered = try Data(contentsOf: out.appendingPathComponent("astronaut.track.csv"))
        func analyse(_ name: String, _ extra: [String]) throws -> Data {
            let track = tmp.appendingPathComponent(name)
            let run = try EmpathyProcess.run(["analyze", demoClip, "--out", track.path, "--quiet"] + options + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            return try Data(contentsOf: track)
        }
        XCTAssertEqual(rendered, try analyse("offset.csv", ["--sensor-offset", "21.5"]), "the same analysis as 'analyze'")
        let stored = try analyse("stored.csv", [])
        func heartColumns(_ track: Data) -> [[String]] {
            let rows = String(decoding: track, as: UTF8.self).split(separator: "\n").map {
                $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            let columns = ["heart_rate_bpm", "beat_phase"].compactMap { rows[0].firstIndex(of: $0) }
            return rows.dropFirst().map { row in columns.map { row[$0] } }
        }
        XCTAssertTrue(heartColumns(rendered).contains { !$0[0].isEmpty }, "the session's heart is in the track")
        XCTAssertNotEqual(heartColumns(rendered), heartColumns(stored), "--sensor-offset moved the heart columns")
    }

    func testRenderWithATrackRefusesAnalysisOptions() throws {
        let table: [([String], String)] = [
            (["--sensor", demoSession, "--sensor-offset", "1.5"], "--sensor, --sensor-offset apply when analysing"),
            (["--detector", "cascade"], "--detector applies when analysing"),
        ]
        for (extra, fragment) in table {
            let run = try EmpathyProcess.run(["render", demoClip, "--track", "t.csv", "--out", tmp.path] + extra)
            XCTAssertEqual(run.status, 64, run.stderr)
            XCTAssertTrue(run.stderr.contains(fragment), run.stderr)
        }
    }

    /// The matte covers the face and is zero far from it; a second run with the
    /// matte added renders only to fill in the missing layer.
    func testFaceMatteLayerCoversTheFaceBoxAndIsZeroFarFromIt() throws {
        let out = tmp.appendingPathComponent("m")
        let beauty = try EmpathyProcess.run(["render", demoClip, "--frames", "1-3", "--out", out.path, "--quiet"])
        XCTAssertEqual(beauty.status, 0, beauty.stderr)
        let run = try EmpathyProcess.run(["render", demoClip, "--track", out.appendingPathComponent("astronaut.track.csv").path,
                                          "--frames", "1-3", "--layers", "beauty,matte", "--out", out.path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Rendered 3 frames"), "the matte was missing, so the frames render again: \(run.stdout)")
        let track = try String(contentsOf: out.appendingPathComponent("astronaut.track.csv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = track[0]
        func column(_ name: String) -> Int { header.firstIndex(of: name) ?? -1 }
        for n in 1...3 {
            let matte = try PNGCodec.read(path: out.appendingPathComponent(String(format: "astronaut.matte.%04d.png", n)).path)
            XCTAssertEqual([matte.width, matte.height], [640, 360])
            let row = track[n]
            let left = Int(row[column("box_left")])!, top = Int(row[column("box_top")])!
            let width = Int(row[column("box_width")])!, height = Int(row[column("box_height")])!
            // The middle of the face box (its central 60 %) is inside the matte.
            var inside = 0, count = 0
            for y in stride(from: top + height / 5, to: top + height * 4 / 5, by: 2) {
                for x in stride(from: left + width / 5, to: left + width * 4 / 5, by: 2) {
                    count += 1
                    if matte.pixels[matte.offset(x: x, y: y)] >= 250 { inside += 1 }
                }
            }
            XCTAssertGreaterThan(Double(inside) / Double(count), 0.95, "frame \(n): \(inside) of \(count) face-box samples fully in the matte")
            // Zero everywhere more than one box width from the box.
            var stray = 0
            for y in stride(from: 0, to: 360, by: 3) {
                for x in stride(from: 0, to: 640, by: 3) {
                    let far = x < left - width || x > left + 2 * width || y < top - height || y > top + 2 * height
                    if far && matte.pixels[matte.offset(x: x, y: y)] != 0 { stray += 1 }
                }
            }
            XCTAssertEqual(stray, 0, "frame \(n): matte pixels far from the face")
        }
        let bad = try EmpathyProcess.run(["render", demoClip, "--layers", "beauty,mask", "--out", out.path])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("must list beauty and/or matte"), bad.stderr)
    }

    /// OpenEXR renders run the chain in floating point: chunks equal one run
    /// byte for byte, and the picture agrees with the 8-bit render within the
    /// 8-bit chain's roundings (read back by OpenImageIO).
    func testOpenEXRRenderChunksEqualOneRunAndAgreeWithThe8BitRender() throws {
        let track = tmp.appendingPathComponent("demo.track.csv").path
        let analyse = try EmpathyProcess.run(["analyze", demoClip, "--out", track, "--sensor", demoSession, "--quiet"])
        XCTAssertEqual(analyse.status, 0, analyse.stderr)
        func render(_ frames: String, _ out: URL, _ extra: [String] = ["--format", "exr"]) throws {
            let run = try EmpathyProcess.run(["render", demoClip, "--track", track, "--frames", frames, "--out", out.path, "--quiet"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let whole = tmp.appendingPathComponent("whole"), chunks = tmp.appendingPathComponent("chunks")
        let eight = tmp.appendingPathComponent("eight")
        try render("11-14", whole, ["--format", "exr", "--layers", "beauty,matte"])
        try render("11-12", chunks, ["--format", "exr", "--layers", "beauty,matte"])
        try render("13-14", chunks, ["--format", "exr", "--layers", "beauty,matte"])
        try render("13-13", eight, [])
        for n in 11...14 {
            for name in [String(format: "astronaut.%04d.exr", n), String(format: "astronaut.matte.%04d.exr", n)] {
                let a = try Data(contentsOf: whole.appendingPathComponent(name))
                let b = try Data(contentsOf: chunks.appendingPathComponent(name))
                XCTAssertEqual(a, b, "\(name): a chunk differs from the single run")
            }
        }
        let exr = try OpenImageIOPixels.read(whole.appendingPathComponent("astronaut.0013.exr").path)
        let png = try PNGCodec.read(path: eight.appendingPathComponent("astronaut.0013.png").path)
        XCTAssertEqual([exr.width, exr.height], [png.width, png.height])
        var differences: [Double] = []
        for y in stride(from: 0, to: png.height, by: 2) {
            for x in stride(from: 0, to: png.width, by: 2) {
                for c in 0..<3 {
                    differences.append(abs(exr.value(x: x, y: y, channel: c) * 255 - Double(png.pixels[png.offset(x: x, y: y) + c])))
                }
            }
        }
        differences.sort()
        let median = differences[differences.count / 2], p99 = differences[differences.count * 99 / 100]
        XCTAssertLessThan(median, 0.75, "median difference \(median) codes from the 8-bit render")
        XCTAssertLessThan(p99, 3, "99th percentile \(p99) codes from the 8-bit render")
        XCTAssertGreaterThan(differences.filter { $0 > 0.01 && abs($0 - $0.rounded()) > 0.01 }.count, differences.count / 2,
                            "most EXR values lie between 8-bit codes: the chain kept its precision")
    }

    /// `--linear`: the same render with the sRGB curve undone in the beauty
    /// (within half precision), the matte untouched (coverage, not colour).
    func testLinearOpenEXRRenderIsTheDisplayRenderWithTheSRGBCurveUndone() throws {
        let track = tmp.appendingPathComponent("demo.track.csv").path
        XCTAssertEqual(try EmpathyProcess.run(["analyze", demoClip, "--out", track, "--quiet"]).status, 0)
        let display = tmp.appendingPathComponent("display"), linear = tmp.appendingPathComponent("linear")
        for (out, extra) in [(display, [String]()), (linear, ["--linear"])] {
            let run = try EmpathyProcess.run(["render", demoClip, "--track", track, "--frames", "7-7", "--out", out.path, "--quiet",
                                              "--format", "exr", "--layers", "beauty,matte"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let a = try OpenImageIOPixels.read(display.appendingPathComponent("astronaut.0007.exr").path)
        let b = try OpenImageIOPixels.read(linear.appendingPathComponent("astronaut.0007.exr").path)
        func undo(_ v: Double) -> Double { v < 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4) }
        var worst = (excess: -1.0, x: 0, y: 0, c: 0)
        for y in 0..<a.height {
            for x in 0..<a.width {
                for c in 0..<4 {
                    let want = c == 3 ? a.value(x: x, y: y, channel: c) : undo(a.value(x: x, y: y, channel: c))
                    let excess = abs(b.value(x: x, y: y, channel: c) - want) - (abs(want) * 0x1p-10 + 2e-5)
                    if excess > worst.excess { worst = (excess, x, y, c) }
                }
            }
        }
        XCTAssertLessThanOrEqual(worst.excess, 0, "worst pixel (\(worst.x), \(worst.y)) channel \(worst.c)")
        XCTAssertEqual(try Data(contentsOf: display.appendingPathComponent("astronaut.matte.0007.exr")),
                       try Data(contentsOf: linear.appendingPathComponent("astronaut.matte.0007.exr")), "the matte is never linearised")
    }

    func testATrackFromAnotherClipIsRefused() throws {
        // The expression clip's track has 120 frames; the demo clip has 96.
        let track = tmp.appendingPathComponent("expressions.csv")
        let analyse = try EmpathyProcess.run(["analyze", expressions, "--out", track.path, "--quiet"])
        XCTAssertEqual(analyse.status, 0, analyse.stderr)
        let out = tmp.appendingPathComponent("r")
        let run = try EmpathyProcess.run(["render", demoClip, "--track", track.path, "--out", out.path, "--quiet"])
        XCTAssertEqual(run.status, 1, run.stdout)
        XCTAssertEqual(run.errorLines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("120 frames") && run.stderr.contains("96"), run.stderr)
        XCTAssertEqual(pngs(out), [], "nothing rendered")
    }

    func testUnknownLookAndTrackWithMissingRowsAreOneLine() throws {
        let out = tmp.appendingPathComponent("r")
        let look = try EmpathyProcess.run(["render", demoClip, "--look", "sepia", "--out", out.path, "--quiet"])
        XCTAssertEqual(look.status, 1, look.stderr)
        XCTAssertEqual(look.errorLines.count, 1, look.stderr)
        XCTAssertTrue(look.stderr.contains("sepia") && look.stderr.contains("neon-noir"), look.stderr)

        // A track with a frame missing in the middle.
        let track = tmp.appendingPathComponent("full.csv")
        XCTAssertEqual(try EmpathyProcess.run(["analyze", demoClip, "--out", track.path, "--quiet"]).status, 0)
        var lines = try String(contentsOf: track, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines.remove(at: 11)  // frame 10
        let holed = tmp.appendingPathComponent("holed.csv")
        try lines.joined(separator: "\n").write(to: holed, atomically: true, encoding: .utf8)
        let missing = try EmpathyProcess.run(["render", demoClip, "--track", holed.path, "--out", out.path, "--quiet"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertEqual(missing.errorLines.count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("holed.csv") && missing.stderr.contains("expected frame 10"), missing.stderr)
    }
}
