import Foundation
import TestSupport
import XCTest

/// Hostile input to every command, from a table: each case must end with
/// exit 0 where a user would expect success, or exit 1/64 with exactly one
/// `empathy: error:` line — never a signal, a hang (30 s), a source file
/// changed, or a temporary file left behind.
final class HostileInputTests: XCTestCase {
    enum Outcome { case succeeds, fails(String) }
    struct Case {
        var name: String
        var arguments: [String]
        var outcome: Outcome
    }

    private var tmp: URL!
    private var root: URL { EmpathyProcess.repositoryRoot }
    private var clip: String { root.appendingPathComponent("footage/demo/astronaut.mp4").path }
    private var expressions: String { root.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path }
    private func path(_ name: String) -> String { tmp.appendingPathComponent(name).path }

    override func setUpWithError() throws { tmp = try EmpathyProcess.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    // MARK: Fixtures

    private func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: tmp.appendingPathComponent(name)) }
    private func write(_ name: String, bytes: [UInt8]) throws { try Data(bytes).write(to: tmp.appendingPathComponent(name)) }
    private func copy(_ source: String, _ name: String, transform: (String) -> String = { $0 }) throws {
        try write(name, transform(try String(contentsOfFile: source, encoding: .utf8)))
    }
    private static func crlf(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\r\n") }
    private static func bom(_ text: String) -> String { "\u{FEFF}" + text }

    /// A track of the expressions clip (analysed once per test run).
    private func makeFixtures() throws {
        var generator = SplitMix64(state: 0xBAD)
        try write("garbage.bin", bytes: (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        try write("empty", "")
        try write("text.txt", "just some words\n")
        try FileManager.default.createDirectory(atPath: path("folder"), withIntermediateDirectories: true)
        try write("plain-file", "x")
        let cube = root.appendingPathComponent("shaders/luts/neon-noir/midnight.cube").path
        try copy(cube, "crlf.cube", transform: Self.crlf)
        try copy(cube, "bom.cube", transform: Self.bom)
        try copy(cube, "truncated.cube") { String($0.prefix(3000)) }
        try write("huge-size.cube", "LUT_3D_SIZE 100000\n0 0 0\n")
        try write("nan.cube", "LUT_3D_SIZE 2\n" + String(repeating: "nan 0 0\n", count: 8))
        try write("size-overflow.cube", "LUT_3D_SIZE 9223372036854775807\n")
        let track = path("good.track.csv")
        let analysed = try EmpathyProcess.run(["analyze", expressions, "--out", track, "--quiet", "--expression-model", "none"])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        try copy(track, "crlf.track.csv", transform: Self.crlf)
        try copy(track, "bom.track.csv", transform: Self.bom)
        try copy(track, "short.track.csv") { $0.split(separator: "\n").prefix(10).joined(separator: "\n") + "\n" }
        try copy(track, "overflow.track.csv") { text in
            var lines = text.split(separator: "\n").map(String.init)
            var cells = lines[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[0] = "9223372036854775807"
            lines[5] = cells.joined(separator: ",")
            return lines.joined(separator: "\n") + "\n"
        }
        try copy(track, "escape.track.csv") { text in
            var lines = text.split(separator: "\n").map(String.init)
            let arousal = lines[0].split(separator: ",").firstIndex(of: "arousal")!
            var cells = lines[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells[arousal] = "\u{1B}[31mred\u{07}"
            lines[5] = cells.joined(separator: ",")
            return lines.joined(separator: "\n") + "\n"
        }
        let session = root.appendingPathComponent("footage/expressions/astronaut-expressions.session.csv").path
        try copy(session, "crlf.session.csv", transform: Self.crlf)
        try copy(session, "bom.session.csv", transform: Self.bom)
        try copy(session, "headless.session.csv") { String($0.split(separator: "\n").dropFirst(3).joined(separator: "\n")) }
        let look = root.appendingPathComponent("looks/neon-noir.json").path
        try copy(look, "crlf.look.json", transform: Self.crlf)
        try copy(look, "bom.look.json", transform: Self.bom)
        try write("overflow.look.json", #"{"name":"x","passes":[{"pass":"glitch","parameters":{"strength":1e39}}]}"#)
        try write("broken.look.json", #"{"name":"x","passes":[{"pass":"glitch""#)
        try write("loop.look.json", #"{"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"riseMs":1e300}}}]}"#)
        // A shader that never finishes on the GPU (TIME is never negative).
        try write("spin.fs", """
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ] }*/
            void main() {
                float x = 0.0;
                while (TIME >= 0.0) { x += 0.001; if (x < -1.0) break; }
                gl_FragColor = IMG_THIS_PIXEL(inputImage) + vec4(x);
            }
            """)
        try write("spin.look.json", #"{"name":"spin","passes":[{"shader":"\#(path("spin.fs"))"}]}"#)
        let profile = root.appendingPathComponent("calibration/default.json").path
        try copy(profile, "crlf.profile.json", transform: Self.crlf)
        try copy(profile, "bom.profile.json", transform: Self.bom)
        let shader = root.appendingPathComponent("shaders/passes/glitch.frag").path
        try copy(shader, "crlf.frag", transform: Self.crlf)
        try copy(shader, "bom.frag", transform: Self.bom)
    }

    // MARK: The table

    private func cases() -> [Case] {
        let out = path("out")
        let track = path("good.track.csv")
        func grade(_ lut: String, _ extra: [String] = []) -> [String] { ["grade", clip, "--lut", lut, "--frames", "1-2", "--out", out, "--quiet"] + extra }
        func render(_ extra: [String]) -> [String] { ["render", expressions, "--frames", "1-2", "--out", out, "--quiet"] + extra }
        func analyze(_ extra: [String], input: String? = nil) -> [String] {
            ["analyze", input ?? clip, "--out", path("a.track.csv"), "--quiet", "--expression-model", "none"] + extra
        }
        var table: [Case] = [
            // LUT files
            Case(name: "lut missing", arguments: grade(path("nope.cube")), outcome: .fails("does not exist")),
            Case(name: "lut is a folder", arguments: grade(path("folder") + "/x.cube"), outcome: .fails("x.cube")),
            Case(name: "lut empty", arguments: grade(path("empty")), outcome: .fails("empty")),
            Case(name: "lut binary", arguments: grade(path("garbage.bin")), outcome: .fails("garbage.bin")),
            Case(name: "lut CRLF", arguments: grade(path("crlf.cube")), outcome: .succeeds),
            Case(name: "lut BOM", arguments: grade(path("bom.cube")), outcome: .succeeds),
            Case(name: "lut truncated", arguments: grade(path("truncated.cube")), outcome: .fails("truncated.cube")),
            Case(name: "lut size 100000", arguments: grade(path("huge-size.cube")), outcome: .fails("huge-size.cube")),
            Case(name: "lut size past Int", arguments: grade(path("size-overflow.cube")), outcome: .fails("size-overflow.cube")),
            Case(name: "lut NaN values", arguments: grade(path("nan.cube")), outcome: .fails("nan.cube")),
            // Clips
            Case(name: "clip missing", arguments: ["grade", path("nope.mp4"), "--lut", "midnight", "--out", out], outcome: .fails("nope.mp4")),
            Case(name: "clip is a folder", arguments: ["grade", path("folder"), "--lut", "midnight", "--out", out], outcome: .fails("folder")),
            Case(name: "clip empty", arguments: ["grade", path("empty"), "--lut", "midnight", "--out", out], outcome: .fails("empty")),
            Case(name: "clip text", arguments: ["grade", path("text.txt"), "--lut", "midnight", "--out", out], outcome: .fails("text.txt")),
            Case(name: "clip binary", arguments: ["grade", path("garbage.bin"), "--lut", "midnight", "--out", out], outcome: .fails("garbage.bin")),
            Case(name: "pattern without files", arguments: ["grade", path("shot.%04d.png"), "--lut", "midnight", "--out", out],
                 outcome: .fails("no files match")),
            // Output paths
            Case(name: "out is a file", arguments: grade("midnight", ["--out", path("plain-file")]), outcome: .fails("plain-file")),
            Case(name: "out under a file", arguments: grade("midnight", ["--out", path("plain-file") + "/deeper"]), outcome: .fails("plain-file")),
            Case(name: "track out is a folder", arguments: ["analyze", clip, "--out", path("folder"), "--quiet"], outcome: .fails("it is a folder")),
            Case(name: "track out under a file", arguments: ["analyze", clip, "--out", path("plain-file") + "/t.csv", "--quiet"],
                 outcome: .fails("plain-file")),
            // Numbers
            Case(name: "start number past Int", arguments: grade("midnight", ["--start-number", "9223372036854775807"]),
                 outcome: .fails("--start-number")),
            Case(name: "frames past Int", arguments: ["grade", clip, "--lut", "midnight", "--frames", "9223372036854775807", "--out", out],
                 outcome: .fails("is beyond")),
            Case(name: "frames not a range", arguments: grade("midnight", ["--frames", "1-2-3"]), outcome: .fails("--frames")),
            Case(name: "intensity NaN", arguments: grade("midnight", ["--intensity", "nan"]), outcome: .fails("--intensity")),
            Case(name: "padding 99", arguments: grade("midnight", ["--padding", "99"]), outcome: .fails("--padding")),
            Case(name: "detect scale 0", arguments: analyze(["--detect-scale", "0"]), outcome: .fails("--detect-scale")),
            Case(name: "detect every -1", arguments: analyze(["--detect-every", "-1"]), outcome: .fails("--detect-every")),
            Case(name: "sensor offset inf", arguments: analyze(["--sensor", path("crlf.session.csv"), "--sensor-offset", "inf"]),
                 outcome: .fails("--sensor-offset")),
            Case(name: "preview every 0", arguments: render(["--track", track, "--preview", "sheet", "--preview-every", "0"]),
                 outcome: .fails("--preview-every")),
            // Tracks
            Case(name: "track CRLF", arguments: render(["--track", path("crlf.track.csv")]), outcome: .succeeds),
            Case(name: "track BOM", arguments: render(["--track", path("bom.track.csv")]), outcome: .succeeds),
            Case(name: "track too short", arguments: render(["--track", path("short.track.csv")]), outcome: .fails("short.track.csv")),
            Case(name: "track frame past Int", arguments: render(["--track", path("overflow.track.csv")]), outcome: .fails("overflow.track.csv")),
            Case(name: "track binary", arguments: render(["--track", path("garbage.bin")]), outcome: .fails("garbage.bin")),
            Case(name: "track cell with terminal escapes", arguments: render(["--track", path("escape.track.csv")]),
                 outcome: .fails("'arousal' must be a number, found '?[31mred?'")),
            Case(name: "track empty", arguments: render(["--track", path("empty")]), outcome: .fails("empty")),
            Case(name: "track is a folder", arguments: render(["--track", path("folder")]), outcome: .fails("folder")),
            // Sessions and profiles
            Case(name: "session CRLF", arguments: analyze(["--sensor", path("crlf.session.csv")], input: expressions), outcome: .succeeds),
            Case(name: "session BOM", arguments: analyze(["--sensor", path("bom.session.csv")], input: expressions), outcome: .succeeds),
            Case(name: "session without header", arguments: analyze(["--sensor", path("headless.session.csv")]), outcome: .fails("headless")),
            Case(name: "session binary", arguments: analyze(["--sensor", path("garbage.bin")]), outcome: .fails("garbage.bin")),
            Case(name: "profile CRLF", arguments: analyze(["--calibration", path("crlf.profile.json")]), outcome: .succeeds),
            Case(name: "profile BOM", arguments: analyze(["--calibration", path("bom.profile.json")]), outcome: .succeeds),
            Case(name: "profile binary", arguments: analyze(["--calibration", path("garbage.bin")]), outcome: .fails("garbage.bin")),
            Case(name: "profile missing", arguments: analyze(["--calibration", path("nope.json")]), outcome: .fails("nope.json")),
            // Looks and shaders
            Case(name: "look CRLF", arguments: render(["--track", track, "--look", path("crlf.look.json")]), outcome: .succeeds),
            Case(name: "look BOM", arguments: render(["--track", track, "--look", path("bom.look.json")]), outcome: .succeeds),
            Case(name: "look value past Float", arguments: render(["--track", track, "--look", path("overflow.look.json")]),
                 outcome: .fails("32-bit float")),
            Case(name: "look rise window past Float", arguments: render(["--track", track, "--look", path("loop.look.json")]),
                 outcome: .fails("riseMs")),
            Case(name: "look broken JSON", arguments: render(["--track", track, "--look", path("broken.look.json")]),
                 outcome: .fails("not valid JSON")),
            Case(name: "look binary", arguments: render(["--track", track, "--look", path("garbage.bin")]), outcome: .fails("garbage.bin")),
            Case(name: "shader that never finishes", arguments: render(["--track", track, "--look", path("spin.look.json"), "--frame-timeout", "2"]),
                 outcome: .fails("a shader that never finishes")),
            Case(name: "shader CRLF", arguments: ["shaders", "check", path("crlf.frag")], outcome: .succeeds),
            Case(name: "shader BOM", arguments: ["shaders", "check", path("bom.frag")], outcome: .succeeds),
            Case(name: "shader binary", arguments: ["shaders", "check", path("garbage.bin")], outcome: .fails("garbage.bin")),
            Case(name: "shader empty", arguments: ["shaders", "check", path("empty")], outcome: .fails("empty")),
            // Folders and devices where a file is wanted: the right errno, no endless read
            Case(name: "look is a folder", arguments: render(["--track", track, "--look", path("folder") + "/"]), outcome: .fails("EISDIR")),
            Case(name: "track is /dev/zero", arguments: render(["--track", "/dev/zero"]), outcome: .fails("is a device or a pipe")),
            Case(name: "session is a folder", arguments: analyze(["--sensor", path("folder")]), outcome: .fails("EISDIR")),
            Case(name: "session is /dev/zero", arguments: analyze(["--sensor", "/dev/zero"]), outcome: .fails("is a device or a pipe")),
            Case(name: "profile is a folder", arguments: analyze(["--calibration", path("folder") + "/"]), outcome: .fails("EISDIR")),
            Case(name: "lut is /dev/zero", arguments: grade("/dev/zero"), outcome: .fails("is a device or a pipe")),
            // Devices
            Case(name: "sensor is /dev/null", arguments: ["sensor", "monitor", "--sensor", "/dev/null", "--duration", "1"], outcome: .fails("/dev/null")),
            Case(name: "sensor is a folder", arguments: ["sensor", "monitor", "--sensor", path("folder"), "--duration", "1"], outcome: .fails("folder")),
            Case(name: "sensor is a file", arguments: ["sensor", "monitor", "--sensor", path("plain-file"), "--duration", "1"], outcome: .fails("plain-file")),
        ]
        table += argumentCases(out: out, track: track, grade: grade, render: render, analyze: analyze)
        table += [("--lut", "unknown look ''"), ("--look", "unknown look ''"), ("--track", "emotion track ''"),
                  ("--sensor", "sensor session ''"), ("--calibration", "calibration")].map { flag, fragment in
            Case(name: "\(flag) given an empty name", arguments: flag == "--lut" ? grade("") : render([flag, ""]), outcome: .fails(fragment))
        }
        return table
    }

    /// Mistakes in the arguments of every command: each refused with one
    /// line naming the option (exit 64), or the file or name it gives.
    private func argumentCases(out: String, track: String, grade: (String, [String]) -> [String],
                               render: ([String]) -> [String], analyze: ([String], String?) -> [String]) -> [Case] {
        let clip = self.clip
        func usage(_ name: String, _ arguments: [String], _ fragment: String) -> Case { Case(name: name, arguments: arguments, outcome: .fails(fragment)) }
        return [
            usage("grade format tiff", grade("midnight", ["--format", "tiff"]), "--format"),
            usage("grade linear with png", grade("midnight", ["--linear"]), "--linear"),
            usage("grade intensity -1", grade("midnight", ["--intensity", "-1"]), "--intensity"),
            usage("grade padding 0", grade("midnight", ["--padding", "0"]), "--padding"),
            usage("grade start number -1", grade("midnight", ["--start-number", "-1"]), "--start-number"),
            usage("grade egl vulkan", grade("midnight", ["--egl", "vulkan"]), "--egl"),
            usage("grade frames backwards", grade("midnight", ["--frames", "9-3"]), "--frames"),
            usage("grade frames zero", grade("midnight", ["--frames", "0"]), "--frames"),
            usage("grade frames words", grade("midnight", ["--frames", "all"]), "--frames"),
            usage("grade no input", ["grade", "--lut", "midnight", "--out", out], "<input>"),
            usage("grade no lut", ["grade", clip, "--out", out], "--lut"),
            usage("grade unknown flag", grade("midnight", ["--sharpen"]), "--sharpen"),
            usage("grade two stems alike", ["grade", clip, clip, "--lut", "midnight", "--out", out], "same folder"),
            usage("grade pattern with two numbers", ["grade", path("a.%04d.%04d.png"), "--lut", "midnight", "--out", out], "a.%04d.%04d.png"),
            usage("render layers bogus", render(["--track", track, "--layers", "beauty,alpha"]), "--layers"),
            usage("render layers empty", render(["--track", track, "--layers", ""]), "--layers"),
            usage("render preview bogus", render(["--track", track, "--preview", "gif"]), "--preview"),
            usage("render review with exr", render(["--track", track, "--review", "--format", "exr"]), "--review"),
            usage("markers missing track", ["markers", path("nope.track.csv")], "nope.track.csv"),
            usage("markers binary track", ["markers", path("garbage.bin")], "garbage.bin"),
            usage("markers bad timecode", ["markers", track, "--start-timecode", "01:00:00:99"], "--start-timecode"),
            usage("markers drop-frame timecode", ["markers", track, "--start-timecode", "01:00:00;00"], "--start-timecode"),
            usage("markers release above threshold", ["markers", track, "--peak-release", "0.9"], "--peak-release"),
            usage("markers fps 0", ["markers", track, "--fps", "0"], "--fps"),
            usage("markers otio under a file", ["markers", track, "--otio", path("plain-file") + "/m.otio"], "plain-file"),
            usage("markers offset without session", ["markers", track, "--sensor-offset", "2"], "--sensor-offset"),
            usage("review a file", ["review", path("plain-file")], "plain-file"),
            usage("review movie width 0", ["review", out, "--movie-width", "0"], "--movie-width"),
            usage("render preview with exr", render(["--track", track, "--preview", "sheet", "--format", "exr"]), "--preview"),
            usage("render preview without beauty", render(["--track", track, "--preview", "mp4", "--layers", "matte"]), "--preview"),
            usage("render linear with png16", render(["--track", track, "--format", "png16", "--linear"]), "--linear"),
            usage("render frame timeout 0", render(["--track", track, "--frame-timeout", "0"]), "--frame-timeout"),
            usage("render track with sensor", render(["--track", track, "--sensor", path("crlf.session.csv")]), "--sensor"),
            usage("render track with detector", render(["--track", track, "--detector", "cascade"]), "--detector"),
            usage("render unknown look", render(["--track", track, "--look", "noir-ish"]), "unknown look 'noir-ish'"),
            usage("render unknown format", render(["--track", track, "--format", "jpeg"]), "--format"),
            usage("analyze detector bogus", analyze(["--detector", "magic"], nil), "--detector"),
            usage("analyze cascade without detector", analyze(["--cascade", path("x.xml")], nil), "--cascade"),
            usage("analyze face 0", analyze(["--face", "0"], nil), "--face"),
            usage("analyze detect scale 5", analyze(["--detect-scale", "5"], nil), "--detect-scale"),
            usage("analyze offset without sensor", analyze(["--sensor-offset", "2"], nil), "--sensor-offset"),
            usage("analyze landmark model missing", analyze(["--landmark-model", path("nope.dat")], nil), "nope.dat"),
            usage("analyze landmark model garbage", analyze(["--landmark-model", path("garbage.bin")], nil), "garbage.bin"),
            usage("analyze expression model missing", ["analyze", clip, "--out", path("a.csv"), "--expression-model", path("nope.onnx")], "nope.onnx"),
            usage("analyze expression model garbage", ["analyze", clip, "--out", path("a.csv"), "--expression-model", path("garbage.bin")], "garbage.bin"),
            usage("analyze no out", ["analyze", clip], "--out"),
            usage("calibrate name with a slash", ["calibrate", clip, "--name", "../escape", "--out", path("p.json")], "--name"),
            usage("calibrate name empty", ["calibrate", clip, "--name", ""], "--name"),
            usage("calibrate out is a folder", ["calibrate", clip, "--name", "x", "--out", path("folder")], "it is a folder"),
            usage("sensor record out is a folder", ["sensor", "record", "--sensor", "/dev/null", "--out", path("folder"), "--duration", "1"],
                  "it is a folder"),
            usage("sensor record duration -1", ["sensor", "record", "--out", path("s.csv"), "--duration", "-1"], "--duration"),
            usage("sensor monitor banner timeout nan", ["sensor", "monitor", "--banner-timeout", "nan", "--duration", "1"], "--banner-timeout"),
            usage("live clip missing", ["live", "--play", path("nope.mp4"), "--duration", "1"], "nope.mp4"),
            usage("live clip is a folder", ["live", "--play", path("folder"), "--duration", "1"], "folder"),
            usage("live clip is garbage", ["live", "--play", path("garbage.bin"), "--duration", "1"], "garbage.bin"),
            usage("live duration 0", ["live", "--play", clip, "--duration", "0"], "--duration"),
            usage("live duration nan", ["live", "--play", clip, "--duration", "nan"], "--duration"),
            usage("live no source", ["live", "--duration", "1"], "--play"),
            // No camera exists on the test machines: these are the checks made before a camera is read.
            usage("live camera missing", ["live", "--camera", "97", "--duration", "1"], "/dev/video97"),
            usage("live camera is a file", ["live", "--camera", path("plain-file"), "--duration", "1"], "plain-file"),
            usage("live camera not V4L2", ["live", "--camera", "/dev/null", "--duration", "1"], "/dev/null"),
            usage("live two sources", ["live", "--camera", "0", "--play", clip, "--duration", "1"], "--camera"),
            usage("live loop on a camera", ["live", "--camera", "0", "--loop", "--duration", "1"], "--loop"),
            usage("live size malformed", ["live", "--camera", "0", "--size", "1280by720", "--duration", "1"], "--size"),
            usage("live fps without camera", ["live", "--play", clip, "--fps", "30", "--duration", "1"], "--fps"),
            // No v4l2loopback module on the test machines: the checks made before a frame is written.
            usage("live v4l2-out missing", ["live", "--play", clip, "--duration", "1", "--v4l2-out", "/dev/video98"], "/dev/video98"),
            usage("live v4l2-out not an output", ["live", "--play", clip, "--duration", "1", "--v4l2-out", "/dev/null"], "/dev/null"),
            usage("live out is a file", ["live", "--play", clip, "--duration", "1", "--out", path("plain-file")], "plain-file"),
            usage("live unknown look", ["live", "--play", clip, "--duration", "1", "--look", "nope"], "nope"),
            usage("live sensor not a serial port", ["live", "--play", clip, "--duration", "1", "--sensor", "/dev/null",
                                                    "--banner-timeout", "1"], "/dev/null"),
            usage("live sensor missing", ["live", "--play", clip, "--duration", "1", "--sensor", path("ttyNOPE")], "ttyNOPE"),
            usage("live sensor missing, recording", ["live", "--play", clip, "--duration", "1", "--sensor", path("ttyNOPE"),
                                                     "--out", path("out")], "ttyNOPE"),
            usage("live serve not an address", ["live", "--play", clip, "--duration", "1", "--serve", "nope"], "--serve"),
            usage("live serve port too big", ["live", "--play", clip, "--duration", "1", "--serve", "127.0.0.1:70000"], "--serve"),
            usage("shaders check missing", ["shaders", "check", path("nope.fs")], "nope.fs"),
            usage("unknown command", ["sharpen", clip], "sharpen"),
        ]
    }

    // MARK: The run

    func testHostileInputsEndCleanly() throws {
        try makeFixtures()
        let watched = [clip, expressions] + (try FileManager.default.contentsOfDirectory(atPath: tmp.path)).map(path)
        let before = try fingerprints(watched)
        var failures: [String] = []
        for item in cases() {
            try? FileManager.default.removeItem(atPath: path("out"))
            let run = try EmpathyCommand.run(item.arguments, timeoutSeconds: 30)
            let lines = run.standardError.split(separator: "\n").filter { !$0.hasPrefix("{") }
            var problems: [String] = []
            if run.timedOut { problems.append("hung") }
            switch item.outcome {
            case .succeeds:
                if run.status != 0 { problems.append("exit \(run.status): \(run.standardError.suffix(300))") }
            case .fails(let fragment):
                if ![1, 64].contains(run.status) { problems.append("exit \(run.status) (a signal or success)") }
                let errors = lines.filter { $0.hasPrefix("empathy: error:") || $0.hasPrefix("Error:") }
                if errors.count != 1 { problems.append("\(errors.count) error lines: \(run.standardError.suffix(400))") }
                if !(errors.first?.contains(fragment) ?? false) { problems.append("no '\(fragment)' in \(errors.first ?? "")") }
            }
            if run.standardError.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || $0 == "\u{FFFD}" }) {
                problems.append("control bytes on the terminal")
            }
            let leftovers = temporaryFiles(under: tmp.path)
            if !leftovers.isEmpty { problems.append("left \(leftovers)") }
            if !problems.isEmpty { failures.append("\(item.name): \(problems.joined(separator: "; "))") }
        }
        XCTAssertEqual(failures, [], "\n" + failures.joined(separator: "\n"))
        XCTAssert(try fingerprints(watched) == before, "no input may change")
        XCTAssertGreaterThanOrEqual(cases().count, 100)
    }

    /// Each file's bytes (the fixtures are small; the clips a few MB).
    private func fingerprints(_ paths: [String]) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            result[path] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return result
    }

    private func temporaryFiles(under folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [])
            .filter { URL(fileURLWithPath: $0).lastPathComponent.hasPrefix(".") && $0.contains(".tmp") }
    }
}
