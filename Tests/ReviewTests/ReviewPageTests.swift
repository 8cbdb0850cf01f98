import EmpathyCore
import Foundation
import ImageSequence
import TestSupport
import XCTest

/// `render --review` and `empathy review`: the page of a rendered shot,
/// opened from file:// in Debian's headless Chromium, driven over the
/// DevTools protocol by scripts/review/browse.py (standard-library Python,
/// `--remote-debugging-pipe`).
final class ReviewPageTests: XCTestCase {
    var tmp: URL!
    let root = EmpathyCommand.repositoryRoot
    lazy var clip = root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path
    lazy var session = root.appendingPathComponent("footage/expressions/astronaut-expressions.session.csv").path

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    /// The frames of a movie as ffprobe (an independent reader) counts them decoding it.
    func decodedFrames(_ movie: String) throws -> String {
        let probe = try runCommand("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                                        "stream=codec_name,nb_read_frames", "-of", "csv=p=0", movie])
        return probe.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Renders frames 1–96 of the expression clip with its session into `shot`, with --review.
    func renderShot() throws -> URL {
        let shot = tmp.appendingPathComponent("shot")
        let run = try EmpathyCommand.run(["render", clip, "--sensor", session, "--frames", "1-96", "--out", shot.path,
                                          "--review", "--quiet"])
        XCTAssertEqual(run.status, 0, run.standardError)
        return shot
    }

    func testRenderReviewWritesASelfContainedPageWithBothMoviesAndTheMarkers() throws {
        let review = try renderShot().appendingPathComponent("review")
        let files = try FileManager.default.contentsOfDirectory(atPath: review.path).sorted()
        XCTAssertEqual(files, ["data.js", "dygraph.min.css", "dygraph.min.js", "index.html", "markers.edl", "markers.otio",
                               "render.mp4", "review.css", "review.js", "source.mp4"])
        XCTAssertEqual(try decodedFrames(review.appendingPathComponent("render.mp4").path), "h264,96", "every rendered frame")
        XCTAssertEqual(try decodedFrames(review.appendingPathComponent("source.mp4").path), "h264,96", "the same frames of the source")
        let data = try String(contentsOf: review.appendingPathComponent("data.js"), encoding: .utf8)
        for expected in ["neon-noir/midnight", "astronaut-expressions.track.csv", "astronaut-expressions.session.csv", "\"frameCount\":96"] {
            XCTAssertTrue(data.contains(expected), "the page names \(expected)")
        }
        let html = try String(contentsOf: review.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertFalse(html.contains("http:") || html.contains("https:"), "nothing is loaded from the network")
    }

    /// The page loads with no console error, the video plays, a click on
    /// each marker seeks the video to the marker's frame, the arrow keys
    /// step a frame; the screenshot is kept for the eye
    /// (.build/test-screenshots/review-page.png) and shows the picture.
    func testHeadlessChromiumPlaysTheRenderAndSeeksToEachMarker() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "scripts/install-deps.sh installs chromium")
        let page = try renderShot().appendingPathComponent("review/index.html").path
        let shot = root.appendingPathComponent(".build/test-screenshots/review-page.png")
        try FileManager.default.createDirectory(at: shot.deletingLastPathComponent(), withIntermediateDirectories: true)
        let run = try runCommand("/usr/bin/python3", [root.appendingPathComponent("scripts/review/browse.py").path, page,
                                                      "--screenshot", shot.path, "--seek-markers", "5", "--size", "1280x1000"],
                                 timeoutSeconds: 180)
        XCTAssertEqual(run.status, 0, run.standardOutput + run.standardError)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: run.standardOutputData) as? [String: Any], run.standardOutput)
        XCTAssertEqual(report["ready"] as? Bool, true, run.standardOutput)
        XCTAssertEqual((report["errors"] as? [String]) ?? ["(none reported)"], [], "no console errors")
        let playback = try XCTUnwrap(report["playback"] as? [String: Any])
        XCTAssertEqual(playback["advanced"] as? Bool, true, "the video plays: \(playback)")
        let seeks = try XCTUnwrap(report["seeks"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(seeks.count, 3, "the expression clip has its peaks: \(seeks)")
        for seek in seeks {
            XCTAssertEqual(seek["shown"] as? Int, seek["frame"] as? Int, "clicking \(seek["name"] ?? "") seeks to its frame")
        }
        let keys = try XCTUnwrap(report["keys"] as? [String: Any])
        let before = try XCTUnwrap(keys["before"] as? Int)
        XCTAssertEqual(keys["after_right"] as? Int, before + 2, "→ → steps two frames: \(keys)")
        XCTAssertEqual(keys["after_left"] as? Int, before + 1, "← steps one back: \(keys)")
        // The picture is at the top of the page, over a dark background: its centre varies.
        let image = try PNGCodec.read(path: shot.path)
        XCTAssertEqual(image.width, 1280)
        var values = Set<UInt8>()
        for y in stride(from: 60, to: 400, by: 8) { for x in stride(from: 400, to: 880, by: 8) { values.insert(image.pixels[image.offset(x: x, y: y)]) } }
        XCTAssertGreaterThan(values.count, 40, "the movie is drawn, not an empty box")
    }

    // MARK: Bad input: one line, and the page built from what exists

    func testAFolderWithNoRenderIsOneLineNamingIt() throws {
        let empty = tmp.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        for folder in [empty.path, tmp.appendingPathComponent("absent").path] {
            let run = try EmpathyCommand.run(["review", folder])
            XCTAssertEqual(run.status, 1)
            XCTAssertEqual(run.errorLines.count, 1, run.standardError)
            XCTAssertTrue(run.standardError.contains(folder), run.standardError)
        }
    }

    /// Frames alone (no manifest, no track): the page is built, with the notes
    /// saying what is missing; a track of other frames and a session that
    /// does not overlap are notes too; a garbled manifest is one line.
    func testThePageBuildsFromWhatExists() throws {
        let shot = try renderShot()
        let track = shot.appendingPathComponent("astronaut-expressions.track.csv")
        // A track of frames 200 on: none of the rendered ones.
        let lines = try String(contentsOf: track, encoding: .utf8).split(separator: "\n")
        let shifted = [String(lines[0])] + lines.dropFirst().map { line -> String in
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[0] = String(Int(cells[0])! + 200)
            return cells.joined(separator: ",")
        }
        let other = tmp.appendingPathComponent("other.track.csv")
        try (shifted.joined(separator: "\n") + "\n").write(to: other, atomically: true, encoding: .utf8)
        let mismatched = try EmpathyCommand.run(["review", shot.path, "--track", other.path, "--session", session,
                                                 "--sensor-offset", "5000", "--quiet"])
        XCTAssertEqual(mismatched.status, 0, mismatched.standardError)
        XCTAssertTrue(mismatched.standardError.contains("covers 0 of the 96 rendered frames"), mismatched.standardError)
        XCTAssertTrue(mismatched.standardError.contains("does not overlap the footage"), mismatched.standardError)

        let manifest = shot.appendingPathComponent("astronaut-expressions.render.json")
        let good = try Data(contentsOf: manifest)
        try Data("{\"clip\": 3}".utf8).write(to: manifest)
        let garbled = try EmpathyCommand.run(["review", shot.path, "--quiet"])
        XCTAssertEqual(garbled.status, 1)
        XCTAssertEqual(garbled.errorLines.count, 1, garbled.standardError)
        XCTAssertTrue(garbled.standardError.contains("astronaut-expressions.render.json"), garbled.standardError)
        try good.write(to: manifest)

        // Without the manifest the track beside the frames is found by its name.
        try FileManager.default.removeItem(at: manifest)
        let unnamed = try EmpathyCommand.run(["review", shot.path])
        XCTAssertEqual(unnamed.status, 0, unnamed.standardError)
        XCTAssertTrue(unnamed.standardError.contains("render.json"), unnamed.standardError)
        XCTAssertFalse(unnamed.standardError.contains("no emotion track"), unnamed.standardError)
        XCTAssertTrue(unnamed.standardOutput.contains("markers)") && !unnamed.standardOutput.contains(" 0 markers"), unnamed.standardOutput)

        try FileManager.default.removeItem(at: track)
        let bare = try EmpathyCommand.run(["review", shot.path])
        XCTAssertEqual(bare.status, 0, bare.standardError)
        XCTAssertTrue(bare.standardError.contains("no emotion track"), bare.standardError)
        XCTAssertTrue(bare.standardError.contains("render.json"), bare.standardError)
        XCTAssertEqual(try decodedFrames(shot.appendingPathComponent("review/render.mp4").path), "h264,96")
        XCTAssertFalse(FileManager.default.fileExists(atPath: shot.appendingPathComponent("review/source.mp4").path),
                       "without the manifest the source is unknown")
    }

    /// A frame cut short: one line naming it, and the page folder from
    /// before is left as it was (nothing half-written).
    func testAnIncompleteFrameIsOneLineAndLeavesThePageAlone() throws {
        let shot = try renderShot()
        let before = try Data(contentsOf: shot.appendingPathComponent("review/data.js"))
        let frame = shot.appendingPathComponent("astronaut-expressions.0010.png")
        let bytes = try Data(contentsOf: frame)
        try bytes.prefix(bytes.count / 2).write(to: frame)
        let run = try EmpathyCommand.run(["review", shot.path])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.errorLines.count, 1, run.standardError)
        XCTAssertTrue(run.standardError.contains("astronaut-expressions.0010.png"), run.standardError)
        XCTAssertEqual(try Data(contentsOf: shot.appendingPathComponent("review/data.js")), before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: shot.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary folder left")
    }
}
