import EmpathyCore
import Foundation
import Fusion
import Review
import TestSupport
import XCTest

/// Markers on a synthetic take whose episodes are known frame by frame, and
/// their exports read back by OpenTimelineIO (the PyPI package in
/// `.venv-tools`, made by scripts/install-test-tools.sh).
final class MarkerTests: XCTestCase {
    static let fps = 24.0

    /// 240 frames at 24 fps:
    /// - anger 0.8 on 30–47 with a dip to 0.4 (above the 0.35 release) on 36–37
    ///   and 0.9 on 40, then 0.6 on 52–57 (starting 22 frames, under the
    ///   1 s spacing, after the first): one peak, 30–57, "anger peak 0.90";
    /// - happiness 0.6 on 100–104 (5 frames, under 0.25 s): no peak;
    ///   0.7 on 150–170 with 0.75 on 160: "happiness peak 0.75", 150, 21 frames;
    /// - the analyser's micro surprise on 60–64: 60, 5 frames;
    /// - arousal 0.6 on 30–50, 0.7 on 40: "arousal peak 0.70", 30, 21 frames;
    /// - heart 70 bpm, 100 on 120–139: "HR 100 bpm, +30 over rest", 120, 20;
    /// - no heart rate on 180–195: a sensor gap, 16 frames;
    /// - no face on 200–219: a warning, 20 frames.
    static func take() -> [EmotionTrackRow] {
        (0..<240).map { f in
            var row = EmotionTrackRow(frameIndex: f, timeSeconds: Double(f) / fps, faceFound: !(200..<220).contains(f))
            var scores = [Double](repeating: 0, count: 7)
            func set(_ c: EmotionCategory, _ v: Double) { scores[c.index] = v }
            if (30...47).contains(f) { set(.anger, (36...37).contains(f) ? 0.4 : f == 40 ? 0.9 : 0.8) }
            if (52...57).contains(f) { set(.anger, 0.6) }
            if (100...104).contains(f) { set(.happiness, 0.6) }
            if (150...170).contains(f) { set(.happiness, f == 160 ? 0.75 : 0.7) }
            scores[EmotionCategory.neutral.index] = 1 - scores.reduce(0, +)
            row.categories = row.faceFound ? scores : [1, 0, 0, 0, 0, 0, 0]
            row.arousal = (30...50).contains(f) ? (f == 40 ? 0.7 : 0.6) : 0
            if (60...64).contains(f) { row.microExpression = .surprise }
            row.heartRateBPM = (180...195).contains(f) ? nil : (120...139).contains(f) ? 100 : 70
            return row
        }
    }

    static var expected: [(frame: Int, frames: Int, kind: Marker.Kind, note: String, color: MarkerColor)] {
        [(30, 28, .expressionPeak, "anger peak 0.90", .red),
         (30, 21, .arousalPeak, "arousal peak 0.70", .orange),
         (60, 5, .microExpression, "micro surprise 0.21 s", .pink),
         (120, 20, .heartSurge, "HR 100 bpm, +30 over rest", .magenta),
         (150, 21, .expressionPeak, "happiness peak 0.75", .yellow),
         (180, 16, .sensorGap, "no heart rate 0.7 s", .black),
         (200, 20, .noFace, "no face 0.8 s", .white)]
    }

    func testMarkersOfAKnownTakeLandOnTheirFrames() {
        let markers = MarkerFinder(framesPerSecond: Self.fps).markers(in: Self.take())
        XCTAssertEqual(markers.map(\.frame), Self.expected.map(\.frame))
        XCTAssertEqual(markers.map(\.durationFrames), Self.expected.map(\.frames))
        XCTAssertEqual(markers.map(\.kind), Self.expected.map(\.kind))
        XCTAssertEqual(markers.map(\.note), Self.expected.map(\.note))
        XCTAssertEqual(markers.map(\.color), Self.expected.map(\.color))
        XCTAssertEqual(MarkerFinder(framesPerSecond: Self.fps).restingBPM(Self.take()), 70)
    }

    /// Each threshold moves what is found: a lower peak threshold finds the
    /// short happiness as too short still, a shorter minimum finds it; no
    /// spacing splits the anger; a resting rate of 80 makes the surge +20,
    /// found by its fast rise, and no surge once that needs +40.
    func testRulesAreOverridable() {
        func notes(_ change: (inout MarkerRules) -> Void) -> [String] {
            var rules = MarkerRules()
            change(&rules)
            return MarkerFinder(rules: rules, framesPerSecond: Self.fps).markers(in: Self.take()).map(\.note)
        }
        XCTAssertTrue(notes { $0.peakMinSeconds = 0.1 }.contains("happiness peak 0.60"))
        XCTAssertEqual(notes { $0.minSpacingSeconds = 0 }.filter { $0.hasPrefix("anger") }, ["anger peak 0.90", "anger peak 0.60"])
        XCTAssertTrue(notes { $0.restingBPM = 80 }.contains("HR 100 bpm, +20 over rest"))
        XCTAssertFalse(notes { $0.restingBPM = 80; $0.riseBPM = 40 }.contains { $0.hasPrefix("HR") })
        XCTAssertFalse(notes { $0.peakThreshold = 0.95; $0.peakRelease = 0.9 }.contains { $0.contains("peak 0.9") && $0.hasPrefix("anger") })
        XCTAssertFalse(notes { $0.microExpressions = false }.contains { $0.hasPrefix("micro") })
        XCTAssertEqual(notes { $0.warningMinSeconds = 1 }.filter { $0.hasPrefix("no ") }, [], "both warnings are under 1 s")
    }

    /// A surge set off by a fast rise that stays under the surge level.
    func testAFastRiseIsASurgeWithoutReachingTheSurgeLevel() {
        let rows = (0..<240).map { f -> EmotionTrackRow in
            var row = EmotionTrackRow(frameIndex: f, timeSeconds: Double(f) / Self.fps, faceFound: true)
            row.heartRateBPM = f < 100 ? 70 : 92   // +22: over the 20 bpm rise, under the 25 bpm surge
            return row
        }
        var rules = MarkerRules()
        rules.restingBPM = 70
        let surges = MarkerFinder(rules: rules, framesPerSecond: Self.fps).markers(in: rows).filter { $0.kind == .heartSurge }
        XCTAssertEqual(surges.map(\.frame), [100])
        XCTAssertEqual(surges.first?.durationFrames, 120, "until the 5 s window no longer holds the 70")
    }

    func testTimecodeCountsFramesAtTheNominalRate() throws {
        XCTAssertEqual(Timecode.nominalRate(24000.0 / 1001), 24)
        XCTAssertEqual(Timecode.nominalRate(30000.0 / 1001), 30)
        let start = try XCTUnwrap(Timecode(parsing: "01:00:00:00", framesPerSecond: 24))
        XCTAssertEqual(start.frames, 86_400)
        XCTAssertEqual((start + 24 * 61 + 5).description, "01:01:01:05")
        XCTAssertEqual(Timecode(parsing: "23:59:59:23", framesPerSecond: 24).map { ($0 + 1).description }, "00:00:00:00")
        for bad in ["1:00:00:00", "01:00:00:24", "01:60:00:00", "01:00:00;00", "01:00:00", "aa:00:00:00", "٠١:00:00:00"] {
            XCTAssertNil(Timecode(parsing: bad, framesPerSecond: 24), bad)
        }
    }

    func testTrackRateSnapsToTheStandardRates() throws {
        let ntsc = (0..<100).map { EmotionTrackRow(frameIndex: $0, timeSeconds: (Double($0) * 1001 / 30000 * 1e6).rounded() / 1e6, faceFound: false) }
        XCTAssertEqual(try TrackRate.framesPerSecond(ntsc, path: "t.csv"), 30000.0 / 1001)
        XCTAssertThrowsError(try TrackRate.framesPerSecond(Array(ntsc.prefix(1)), path: "t.csv")) {
            XCTAssertTrue("\($0)".contains("t.csv") && "\($0)".contains("--fps"), "\($0)")
        }
    }

    // MARK: Read back by OpenTimelineIO

    static func export(start: String = "01:00:00:00") -> MarkerExport {
        let markers = MarkerFinder(framesPerSecond: fps).markers(in: take())
        return MarkerExport(name: "take", framesPerSecond: fps, start: Timecode(parsing: start, framesPerSecond: 24)!,
                            firstFrame: 0, frameCount: 240, mediaURL: "take.preview.mp4", markers: markers)
    }

    /// The independent reader's view of `text` saved as `name`.
    func readBack(_ text: String, as name: String) throws -> [String: Any] {
        let python = EmpathyCommand.repositoryRoot.appendingPathComponent(".venv-tools/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            XCTFail("no \(python): run scripts/install-test-tools.sh (make test does)")
            throw CocoaError(.fileNoSuchFile)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("markers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let script = EmpathyCommand.repositoryRoot.appendingPathComponent("scripts/review/read_markers.py").path
        let run = try runCommand(python, [script, file.path, "--rate", "24"], timeoutSeconds: 60)
        XCTAssertEqual(run.status, 0, run.standardError)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: run.standardOutputData) as? [String: Any])
    }

    func testOTIOLoadsInOpenTimelineIOWithTheMarkersFramesAndNames() throws {
        let export = Self.export()
        let read = try readBack(export.otio(), as: "take.otio")
        XCTAssertEqual(read["timeline"] as? String, "take")
        let clip = try XCTUnwrap((read["clips"] as? [[String: Any]])?.first)
        XCTAssertEqual(clip["source_start_tc"] as? String, "01:00:00:00")
        XCTAssertEqual(clip["duration_frames"] as? Int, 240)
        XCTAssertEqual(clip["media"] as? String, "take.preview.mp4")
        let markers = try XCTUnwrap(clip["markers"] as? [[String: Any]])
        XCTAssertEqual(markers.compactMap { $0["name"] as? String }, Self.expected.map(\.note))
        XCTAssertEqual(markers.compactMap { $0["timeline_frame"] as? Int }, Self.expected.map(\.frame), "frames on the timeline")
        XCTAssertEqual(markers.compactMap { $0["start_tc"] as? String },
                       Self.expected.map { export.timecode(ofFrame: $0.frame).description })
        XCTAssertEqual(markers.compactMap { $0["duration_frames"] as? Int }, Self.expected.map(\.frames))
        XCTAssertEqual(markers.compactMap { $0["color"] as? String }, Self.expected.map(\.color.rawValue))
        XCTAssertEqual(markers.first?["start_tc"] as? String, "01:00:01:06", "frame 30 at 24 fps after 01:00:00:00")
    }

    /// Each marker is a 1-frame event at its timecode (the reader's clip
    /// source start), with the Resolve marker line kept as the event's
    /// comment: colour, note and duration parse back. Markers on one frame
    /// share an event (a Resolve timeline holds one marker per frame).
    func testEDLMarkersParseBackToTheSameFramesAndTimecodes() throws {
        let export = Self.export(start: "00:59:58:00")
        let read = try readBack(export.edl(), as: "take.edl")
        let events = try XCTUnwrap(read["clips"] as? [[String: Any]])
        // The anger peak and the arousal peak both start on frame 30.
        var expected = Self.expected
        expected[0].note += "; " + expected.remove(at: 1).note
        XCTAssertEqual(events.count, expected.count)
        XCTAssertEqual(events.compactMap { $0["source_start_frame"] as? Int }, expected.map { export.start.frames + $0.frame })
        XCTAssertEqual(events.compactMap { $0["source_start_tc"] as? String },
                       expected.map { export.timecode(ofFrame: $0.frame).description })
        XCTAssertEqual(events.first?["source_start_tc"] as? String, "00:59:59:06")
        for (event, want) in zip(events, expected) {
            let comment = try XCTUnwrap((event["comments"] as? [String])?.first, "event at frame \(want.frame) has its marker line")
            let fields = Dictionary(uniqueKeysWithValues: comment.components(separatedBy: " |").dropFirst().map {
                (String($0.prefix(1)), String($0.dropFirst(2)))
            })
            XCTAssertEqual(fields["C"], want.color.resolveName, comment)
            XCTAssertEqual(fields["M"], want.note, comment)
            XCTAssertEqual(fields["D"], String(want.frames), comment)
            XCTAssertTrue(comment.hasPrefix(want.kind.rawValue), comment)
        }
    }
}
