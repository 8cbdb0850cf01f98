@testable import Effects
import EmpathyCore
import Rendering
import XCTest

final class LookTests: XCTestCase {
    private func parse(_ json: String) throws -> Look {
        try Look.parse(Data(json.utf8), path: "looks/broken.json", shadersDirectory: TestFrames.shaders)
    }

    func testLookErrorsNameFileAndField() {
        let cases: [(String, String)] = [
            (#"{"name":"x","passes":[]}"#, "field 'passes'"),
            (#"{"passes":[{"pass":"glitch"}]}"#, "field 'name'"),
            (#"{"name":"x","passes":[{"pass":"sparkle"}]}"#, "field 'passes[0].pass': unknown pass 'sparkle'"),
            (#"{"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"from":"joy"}}}]}"#,
             "field 'passes[0].parameters.strength.from': unknown emotion field 'joy'"),
            (#"{"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"curve":[[1,0],[0,1]]}}}]}"#,
             "field 'passes[0].parameters.strength.curve'"),
            (#"{"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"attackMs":-1}}}]}"#,
             "field 'passes[0].parameters.strength.attackMs'"),
            (#"{"name":"x","passes":[{"pass":"emotion-grade"}]}"#, "field 'passes[0].base'"),
            (#"{"name":"x","colour":1,"passes":[{"pass":"glitch"}]}"#, "field 'colour'"),
            (#"{"name":"x","passes":[{"pass":"glitch","shader":"a.fs"}]}"#, "field 'passes[0]'"),
            (#"{"name": "x", "passes": [ }"#, "not valid JSON"),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try parse(json), json) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("looks/broken.json"), "'\(message)' should name the file")
                XCTAssertTrue(message.contains(expected), "'\(message)' should contain \(expected)")
            }
        }
    }

    func testUnknownParameterOfAPassNamesTheField() throws {
        let look = try parse(#"{"name":"x","passes":[{"pass":"glitch","parameters":{"wobble":1}}]}"#)
        let context = try RenderContext()
        XCTAssertThrowsError(try LookRenderer(
            context: context, look: look, timeline: SyntheticTimeline(frameCount: 5, framesPerSecond: 24),
            shadersDirectory: TestFrames.shaders)) { error in
            XCTAssertTrue("\(error)".contains("looks/broken.json"), "\(error)")
            XCTAssertTrue("\(error)".contains("field 'passes[0].parameters.wobble'"), "\(error)")
        }
    }

    /// A look names LUTs as `--lut` does: a bare look name works too, and an
    /// unknown one names the look file and field and lists the choices.
    func testLooksResolveLUTNamesLikeTheLutOption() throws {
        let context = try RenderContext()
        let bare = try parse(#"{"name":"x","passes":[{"pass":"emotion-grade","base":"midnight","looks":{"rage":"rage"}}]}"#)
        let renderer = try LookRenderer(context: context, look: bare, timeline: SyntheticTimeline(frameCount: 2, framesPerSecond: 24),
                                        shadersDirectory: TestFrames.shaders)
        XCTAssertEqual(try renderer.render(TestFrames.synthetic(), frameIndex: 0).width, 96)
        let unknown = try parse(#"{"name":"x","passes":[{"pass":"emotion-grade","base":"nowhere","looks":{"rage":"rage"}}]}"#)
        XCTAssertThrowsError(try LookRenderer(context: context, look: unknown, timeline: SyntheticTimeline(frameCount: 2, framesPerSecond: 24),
                                              shadersDirectory: TestFrames.shaders)) { error in
            let text = "\(error)"
            XCTAssert(text.contains("looks/broken.json") && text.contains("field 'passes[0].base'") && text.contains("neon-noir/midnight"), text)
        }
    }

    func testSmoothingRisesFastAndFallsSlowly() throws {
        let look = try parse(#"""
            {"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"from":"arousal","attackMs":50,"releaseMs":1000}}}]}
            """#)
        struct Step: EmotionTimeline {
            let frameCount: Int? = 60
            let framesPerSecond = 30.0
            func state(at frameIndex: Int) -> EmotionState {
                var s = EmotionState()
                s.arousal = (10..<30).contains(frameIndex) ? 1 : 0
                return s
            }
        }
        let automation = LookAutomation(look: look, timeline: Step())
        let values = (0..<60).map { automation.values(at: $0)[0][0].value }
        XCTAssertEqual(values[9], 0)
        // One frame after the step: 1 − e^(−(1/30)/0.05) ≈ 0.487.
        XCTAssertEqual(values[10], 1 - exp(-1.0 / 30 / 0.05), accuracy: 1e-5)
        XCTAssertGreaterThan(values[16], 0.98)
        // One frame after the fall: 1 − e^(−(1/30)/1) fallen away from ~1.
        XCTAssertGreaterThan(values[30], 0.95)
        XCTAssertGreaterThan(values[40], 0.65)
        XCTAssertLessThan(values[59], values[40])
    }

    /// A release settles: within 1/4096 of its target the value takes the
    /// target exactly (so a pass that is the identity at rest is skipped),
    /// and not before. τ = 100 ms at 30 fps: e^(−f/3) < 1/4096 from f = 25.
    func testReleaseSettlesExactlyOnItsRestValue() throws {
        let look = try parse(#"""
            {"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"from":"arousal","releaseMs":100}}}]}
            """#)
        struct Pulse: EmotionTimeline {
            let frameCount: Int? = 80
            let framesPerSecond = 30.0
            func state(at frameIndex: Int) -> EmotionState {
                var s = EmotionState()
                s.arousal = frameIndex < 10 ? 1 : 0
                return s
            }
        }
        let automation = LookAutomation(look: look, timeline: Pulse())
        let values = (0..<80).map { automation.values(at: $0)[0][0].value }
        let firstZero = try XCTUnwrap(values.firstIndex(of: 0), "the release reaches 0")
        XCTAssertEqual(firstZero, 9 + 25, "exactly where e^(−Δt/τ·n) falls below 1/4096")
        XCTAssertGreaterThan(values[firstZero - 1], 0)
        XCTAssertTrue(values[firstZero...].allSatisfy { $0 == 0 }, "and stays there")
    }

    /// A rise is measured only where its fields are present at both ends of
    /// the window: the face found at frame 10 (arousal 0 → 0.6) and a heart
    /// rate from frame 40 set off nothing; the face's arousal rising at frame
    /// 60 does, on that frame; the face lost at frame 80 (arousal 0.9 → 0,
    /// a fall) and found again at 90 at the same arousal set off nothing.
    func testRisesAreMeasuredOnlyWhereTheirFieldsArePresent() throws {
        let look = try parse(#"""
            {"name":"x","passes":[{"pass":"glitch","parameters":{
                "burst":{"from":"arousal","riseMs":100},
                "smear":{"from":"heartRate","riseMs":100}}}]}
            """#)
        struct Take: EmotionTimeline {
            let frameCount: Int? = 120
            let framesPerSecond = 30.0
            func state(at f: Int) -> EmotionState {
                var s = EmotionState()
                let face = (10..<80).contains(f) || f >= 90
                if face {
                    s.faceBox = (0.4, 0.3, 0.2, 0.3)
                    s.arousal = (60..<80).contains(f) || f >= 90 ? 0.9 : 0.6
                }
                if f >= 40 { s.heartRateBPM = 70 }
                return s
            }
        }
        let automation = LookAutomation(look: look, timeline: Take())
        let values = (0..<120).map { automation.values(at: $0)[0].map(\.value) }
        let burst = values.map { $0[0] }, smear = values.map { $0[1] }
        XCTAssertEqual(burst.indices.filter { burst[$0] > 0 }, Array(60..<63), "the rise of 0.3, for the 3-frame window only")
        XCTAssertEqual(burst[60], 0.3, accuracy: 1e-6)
        XCTAssertTrue(smear.allSatisfy { $0 == 0 }, "a sensor connecting is not a rise")
    }

    /// Frame by frame, jumps ahead and back give what stepping in order
    /// gives, for smoothing and rise windows alike (a chunk or a seek in a
    /// live take reads the same values).
    func testAutomationInAnyOrderEqualsAutomationInOrder() throws {
        let look = try parse(#"""
            {"name":"x","passes":[{"pass":"glitch","parameters":{
                "strength":{"from":{"arousal":1,"anger":0.5},"attackMs":80,"releaseMs":700},
                "smear":{"from":"beatPulse","riseMs":150,"curve":[[0,0],[0.5,1]]}}}]}
            """#)
        let timeline = SyntheticTimeline(frameCount: 200, framesPerSecond: 24)
        let inOrder = LookAutomation(look: look, timeline: timeline)
        let expected = (0..<200).map { inOrder.values(at: $0)[0].map(\.value) }
        XCTAssertGreaterThan(Set(expected.map { $0[1] }).count, 20, "the rise window varies")
        let jumping = LookAutomation(look: look, timeline: timeline)
        for f in [150, 3, 4, 199, 0, 77, 76, 120] {
            XCTAssertEqual(jumping.values(at: f)[0].map(\.value), expected[f], "frame \(f)")
        }
    }

    /// Past the first segment each frame is evaluated by a run that starts a
    /// warm-up before its segment: in any order the values equal those in
    /// order, across segment starts too, and stay within e^(−8) of the step of
    /// a filter never restarted.
    func testAutomationPastTheFirstSegmentIsTheSameInAnyOrderAndCloseToTheUnbrokenFilter() throws {
        let look = try parse(#"""
            {"name":"x","passes":[{"pass":"glitch","parameters":{
                "strength":{"from":"arousal","attackMs":80,"releaseMs":2000},
                "smear":{"from":"beatPulse","riseMs":150,"curve":[[0,0],[0.5,1]]}}}]}
            """#)
        let timeline = SyntheticTimeline(frameCount: 5000, framesPerSecond: 24)
        let inOrder = LookAutomation(look: look, timeline: timeline)
        XCTAssertEqual(inOrder.warmUpFrames, 8 * 48 + 4, "8 τ of 2 s at 24 fps, plus the 150 ms rise window")
        XCTAssertEqual(inOrder.segmentFrames, 4 * inOrder.warmUpFrames)
        let k = inOrder.segmentFrames
        let expected = (0..<5000).map { inOrder.values(at: $0)[0].map(\.value) }
        let strength = try XCTUnwrap(inOrder.values(at: 0)[0].firstIndex { $0.name == "strength" })
        let jumping = LookAutomation(look: look, timeline: timeline)
        for f in [4000, k - 1, k, k + 1, 4999, 0, 2 * k, 2 * k - 1, k - inOrder.warmUpFrames, 3 * k + 5] {
            XCTAssertEqual(jumping.values(at: f)[0].map(\.value), expected[f], "frame \(f)")
        }
        // The unbroken smoothing of arousal, by the formula in Look.Mapping.
        var y = timeline.state(at: 0).arousal, worst: Float = 0
        for f in 1..<5000 {
            let c = timeline.state(at: f).arousal
            let tau: Float = c > y ? 0.08 : 2
            y += (c - y) * (1 - exp(-1 / 24 / tau))
            worst = max(worst, abs(expected[f][strength] - y))
        }
        XCTAssertLessThan(worst, 3.4e-4, "a restarted segment stays within e^(−8) of a swing of 1")
        XCTAssertGreaterThan(Set(expected[k..<(k + 10)].map { $0[strength] }).count, 5, "the values move across the segment start")
    }

    /// Frame 150,000 of a feature costs one segment and its warm-up, not
    /// 150,000 steps; the next frame one step.
    func testAutomationDeepIntoAFeatureReadsASegmentNotEveryFrameBefore() throws {
        final class CountingTimeline: EmotionTimeline, @unchecked Sendable {
            let inner = SyntheticTimeline(frameCount: nil, framesPerSecond: 25)
            var reads = 0  // one thread only
            var frameCount: Int? { nil }
            var framesPerSecond: Double { 25 }
            func state(at frameIndex: Int) -> EmotionState { reads += 1; return inner.state(at: frameIndex) }
        }
        let look = try parse(#"""
            {"name":"x","passes":[{"pass":"glitch","parameters":{"strength":{"from":"arousal","attackMs":50,"releaseMs":2000}}}]}
            """#)
        let timeline = CountingTimeline()
        let automation = LookAutomation(look: look, timeline: timeline)
        _ = automation.values(at: 150_000)
        XCTAssertLessThanOrEqual(timeline.reads, automation.segmentFrames + automation.warmUpFrames + 1)
        let before = timeline.reads
        _ = automation.values(at: 150_001)
        XCTAssertEqual(timeline.reads - before, 1)
    }

    func testShippedLooksLoadAndBuild() throws {
        let dir = TestFrames.repositoryRoot.appendingPathComponent("looks")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        XCTAssertTrue(files.contains("neon-noir.json"))
        XCTAssertGreaterThanOrEqual(files.count, 3)
        let context = try RenderContext()
        for file in files {
            let look = try Look.parse(
                try Data(contentsOf: dir.appendingPathComponent(file)), path: "looks/\(file)", shadersDirectory: TestFrames.shaders)
            let renderer = try LookRenderer(
                context: context, look: look, timeline: SyntheticTimeline(frameCount: 3, framesPerSecond: 24),
                shadersDirectory: TestFrames.shaders)
            let out = try renderer.render(TestFrames.synthetic(), frameIndex: 0)
            XCTAssertEqual(out.width, 96, file)
        }
    }
}
