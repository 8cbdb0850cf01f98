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
