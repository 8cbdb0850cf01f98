import CEGL
import EmpathyCore
import Grading
import Foundation
import Rendering
import XCTest

@testable import Effects

/// A pass with Swift code, written here as a user of the registry would:
/// the picture inverted by `amount`, through an ISF shader given as text.
private final class InvertPass: PointwisePass {
    let name = "test-invert"
    let feedbackResetFrames = 0
    private let isf: ISFPass
    var parameterRanges: [String: ClosedRange<Float>?] { isf.parameterRanges }

    init(context: RenderContext, format: PixelFormat) throws {
        let shader = try ISFShader.parse(#"""
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" },
                            { "NAME": "amount", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0 } ] }*/
            void main() {
                vec4 c = IMG_THIS_PIXEL(inputImage);
                gl_FragColor = vec4(mix(c.rgb, 1.0 - c.rgb, amount), c.a);
            }
            """#, path: "test-invert.fs")
        isf = try ISFPass(context: context, shader: shader, format: format)
    }

    func setParameter(_ name: String, _ value: Float) throws { try isf.setParameter(name, value) }

    func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        try isf.render(input: input, source: source, frame: frame, width: width, height: height)
    }

    /// Registered once for the whole test run (the registry is process-wide).
    static let registered: Void = {
        try? PassRegistry.register(PassType(
            name: "test-invert", summary: "inverts the picture", fields: [("note", "any text, checked at load")],
            validate: { fields in
                if fields.values["note"] != nil { _ = try fields.string("note", example: "\"hello\"") }
            },
            make: { _, build in try InvertPass(context: build.context, format: build.format) }))
    }()
}

final class PassRegistryTests: XCTestCase {
    override func setUp() { InvertPass.registered }

    private func parse(_ json: String) throws -> Look {
        try Look.parse(Data(json.utf8), path: "looks/mine.json", shadersDirectory: TestFrames.shaders)
    }

    /// The pass is known to looks, `empathy looks` and the renderer through
    /// the registry alone: nothing else names it.
    func testAPassAddedThroughTheRegistryAloneRenders() throws {
        let look = try parse(#"{"name":"inverted","passes":[{"pass":"test-invert","note":"hi","parameters":{"amount":{"from":"arousal"}}}]}"#)
        XCTAssertEqual(look.passes.map(\.kind.name), ["test-invert"])
        let context = try RenderContext()
        var state = EmotionState()
        state.arousal = 1
        let renderer = try LookRenderer(context: context, look: look,
                                        timeline: ConstantTimeline(frameCount: 3, framesPerSecond: 24, base: state),
                                        shadersDirectory: TestFrames.shaders)
        let frame = TestFrames.synthetic()
        let output = try renderer.render(frame, frameIndex: 1)
        var expected = frame
        for i in stride(from: 0, to: expected.pixels.count, by: 4) {
            for c in 0..<3 { expected.pixels[i + c] = 255 - frame.pixels[i + c] }
        }
        assertSamePicture(output, expected, tolerance: 0, "arousal 1 drives amount 1: the picture inverted")
        XCTAssert(PassRegistry.listing(shadersDirectory: TestFrames.shaders).contains { $0.name == "test-invert" })
    }

    func testARegisteredPassRefusesUnknownAndBadFieldsAtLoad() {
        for (json, expected) in [
            (#"{"name":"x","passes":[{"pass":"test-invert","colour":1}]}"#,
             "field 'passes[0].colour': unknown field; this pass takes pass, parameters, note"),
            (#"{"name":"x","passes":[{"pass":"test-invert","note":3}]}"#, "field 'passes[0].note': expected a string"),
        ] {
            XCTAssertThrowsError(try parse(json), json) { error in
                XCTAssertTrue("\(error)".hasPrefix("'looks/mine.json': "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }

    func testANameAlreadyTakenIsRefused() {
        XCTAssertThrowsError(try PassRegistry.register(PassType(name: "particles", summary: "", make: { _, _ in
            throw EmpathyError.message("never built")
        }))) { error in
            XCTAssertEqual("\(error)", "a pass named 'particles' is already registered")
        }
    }

    /// The LUT pass in a look grades as `empathy grade` does (the CPU reference within ±1).
    func testTheLUTPassInALookMatchesTheCPUGrade() throws {
        let look = try parse(#"{"name":"x","passes":[{"pass":"lut","lut":"neon-noir/midnight","parameters":{"intensity":0.5}}]}"#)
        let renderer = try LookRenderer(context: try RenderContext(), look: look,
                                        timeline: SyntheticTimeline(frameCount: 2, framesPerSecond: 24),
                                        shadersDirectory: TestFrames.shaders)
        let frame = TestFrames.synthetic()
        let lut = try CubeFile.read(path: TestFrames.shaders.appendingPathComponent("luts/neon-noir/midnight.cube").path)
        assertSamePicture(try renderer.render(frame, frameIndex: 0), lut.grade(frame, intensity: 0.5), tolerance: 1, "lut pass at 0.5")
    }
}
