@testable import Effects
import EmpathyCore
import Foundation
import Grading
import Rendering
import XCTest

final class PassTests: XCTestCase {
    private func inputs(_ frameIndex: Int, _ state: EmotionState = EmotionState()) -> FrameInputs {
        FrameInputs(frameIndex: frameIndex, framesPerSecond: 24, state: state)
    }

    private func angryState() -> EmotionState {
        var s = EmotionState()
        s.arousal = 0.9
        s.valence = -0.6
        s.categories = [0.1, 0, 0, 0, 0, 0.9, 0]
        s.heartRateBPM = 110
        s.faceBox = (0.25, 0.2, 0.3, 0.5)
        return s
    }

    func testCompileErrorNamesFileAndLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-compile-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("broken.fs")
        try """
            /*{
                "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ]
            }*/
            void main() {
                vec4 c = IMG_THIS_PIXEL(inputImage);
                gl_FragColor = c * undefinedThing;
            }
            """.write(to: url, atomically: true, encoding: .utf8)
        let context = try RenderContext()
        XCTAssertThrowsError(try ISFPass(context: context, url: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("broken.fs"), message)
            XCTAssertTrue(message.contains("line 6"), message)
        }
        // The same with a #version line and host-inserted prelude after it.
        try """
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ] }*/
            #version 320 es
            out vec4 fragColor;
            void main() {
                fragColor = texture(inputImage, isf_FragNormCoord) + nope;
            }
            """.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ISFPass(context: context, url: url)) { error in
            XCTAssertTrue("\(error)".contains("line 5"), "\(error)")
        }
    }

    func testPassWithoutInputImageIsRejected() throws {
        let shader = try ISFShader.parse(#"/*{ "INPUTS": [] }*/ void main() { gl_FragColor = vec4(1.0); }"#, path: "gen.fs")
        XCTAssertThrowsError(try ISFPass(context: try RenderContext(), shader: shader)) { error in
            XCTAssertTrue("\(error)".contains("inputImage"), "\(error)")
        }
    }

    /// An identity ISF pass returns the frame exactly, the right way up.
    func testCopyPassKeepsThePictureExactly() throws {
        let context = try RenderContext()
        let shader = try ISFShader.parse(
            #"/*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ] }*/ void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage); }"#,
            path: "copy.fs")
        let chain = try PassChain(context: context, passes: [try ISFPass(context: context, shader: shader)])
        let frame = TestFrames.synthetic()
        let out = try chain.render(frame, inputs: inputs(0)).topDown()
        XCTAssertEqual(out.pixels, frame.pixels, "copy through the chain changed pixels")
    }

    /// Tolerance ±2: llvmpipe is deterministic, but another driver may round
    /// the split and smear samples differently.
    func testGlitchMatchesGolden() throws {
        let context = try RenderContext()
        let glitch = try ISFPass(context: context, url: TestFrames.shaders.appendingPathComponent("passes/glitch.frag"))
        try glitch.setParameter("strength", 0.9)
        try glitch.setParameter("burst", 0.5)
        try glitch.setParameter("blockPixels", 8)
        let chain = try PassChain(context: context, passes: [glitch])
        var rendered: [RGBAImage] = []
        for f in 0..<4 { rendered.append(try chain.render(TestFrames.synthetic(), inputs: inputs(f, angryState()))) }
        let out = rendered[3]
        XCTAssertNotEqual(rendered[2].pixels, rendered[3].pixels, "the glitch should change from frame to frame")
        try Golden.assertMatches(out, name: "glitch-frame4", tolerance: 2)
        // Same frame index, same bytes; the random differs between frames.
        let again = try PassChain(context: context, passes: [glitch])
        var replayed: [RGBAImage] = []
        for f in 0..<4 { replayed.append(try again.render(TestFrames.synthetic(), inputs: inputs(f, angryState()))) }
        let replay = replayed[3]
        XCTAssertEqual(replay.pixels, out.pixels, "frame 4 rendered twice differs")
        let calm = try PassChain(context: context, passes: [glitch])
        try glitch.setParameter("strength", 0)
        try glitch.setParameter("burst", 0)
        let still = try calm.render(TestFrames.synthetic(), inputs: inputs(0)).topDown()
        XCTAssertEqual(still.pixels, TestFrames.synthetic().pixels, "glitch at strength 0 must leave the picture alone")
    }

    /// `IDENTITY_WHEN_ZERO`: at strength and burst 0 the glitch is copied,
    /// not drawn, and the copy is exact — for the picture and for the
    /// persistent buffer the next frames' smear reads. Calm frames then
    /// active ones (the smear reads a calm frame's buffer), alone and with
    /// the grade folded in, give the same bytes with the copy as with the
    /// shader. Every frame is compared; the two chains share nothing.
    func testGlitchAtRestIsCopiedExactly() throws {
        let context = try RenderContext()
        func chain(copying: Bool, grade: Bool) throws -> (PassChain, ISFPass) {
            let glitch = try ISFPass(context: context, url: TestFrames.shaders.appendingPathComponent("passes/glitch.frag"))
            glitch.copiesWhenIdentity = copying
            try glitch.setParameter("blockPixels", 8)
            try glitch.setParameter("smear", 0.9)
            let passes: [any EffectPass] = grade ? [glitch, try emotionGrade(context)] : [glitch]
            return (try PassChain(context: context, passes: passes), glitch)
        }
        for grade in [false, true] {
            let (copying, a) = try chain(copying: true, grade: grade)
            let (drawing, b) = try chain(copying: false, grade: grade)
            XCTAssertEqual(a.shader.header.identityWhenZero, ["strength", "burst"])
            // Frames 1-3 at rest (0 is a feedback reset), 4-6 active: their smear reads the rest frames' buffer.
            for f in 1...6 {
                let strength: Float = f <= 3 ? 0 : 0.9
                for pass in [a, b] {
                    try pass.setParameter("strength", strength)
                    try pass.setParameter("burst", 0)
                }
                XCTAssertEqual(a.isIdentityNow, f <= 3)
                XCTAssertFalse(b.isIdentityNow)
                let frame = shifted(TestFrames.synthetic(), by: 7 * f)  // each frame differs, so a stale buffer would show
                let copied = try copying.render(frame, inputs: inputs(f, angryState()))
                let drawn = try drawing.render(frame, inputs: inputs(f, angryState()))
                let worst = worstDifference(copied, drawn)
                XCTAssertEqual(worst.delta, 0, "grade \(grade), frame \(f): the copy differs from the shader by \(worst.delta) at (\(worst.x), \(worst.y))")
            }
        }
    }

    /// The same in a floating-point chain (the copy is then a draw: the
    /// 8-bit upload goes into a half-float buffer): equal floats, frame by frame.
    func testGlitchAtRestIsCopiedExactlyInFloat() throws {
        let context = try RenderContext()
        func chain(copying: Bool) throws -> (PassChain, ISFPass) {
            let shader = try ISFShader.load(TestFrames.shaders.appendingPathComponent("passes/glitch.frag"))
            let glitch = try ISFPass(context: context, shader: shader, format: .rgba16f)
            glitch.copiesWhenIdentity = copying
            try glitch.setParameter("blockPixels", 8)
            try glitch.setParameter("smear", 0.9)
            return (try PassChain(context: context, passes: [glitch], floatOutput: true), glitch)
        }
        let (copying, a) = try chain(copying: true)
        let (drawing, b) = try chain(copying: false)
        for f in 1...6 {
            for pass in [a, b] { try pass.setParameter("strength", f <= 3 ? 0 : 0.9) }
            XCTAssertEqual(a.isIdentityNow, f <= 3)
            let frame = shifted(TestFrames.synthetic(), by: 7 * f)
            var copied = FloatImage.uninitialized(width: 1, height: 1, rowOrder: .bottomUp)
            var drawn = copied
            try copying.readBack(try copying.draw(frame, inputs: inputs(f, angryState())), into: &copied)
            try drawing.readBack(try drawing.draw(frame, inputs: inputs(f, angryState())), into: &drawn)
            XCTAssertEqual(copied.pixels.count, frame.width * frame.height * 4)
            XCTAssertTrue(copied.pixels == drawn.pixels, "frame \(f): the float copy differs from the shader")
        }
    }

    /// `image` rolled right by `dx` pixels.
    private func shifted(_ image: RGBAImage, by dx: Int) -> RGBAImage {
        var out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                let from = (y * image.width + (x - dx % image.width + image.width) % image.width) * 4
                let to = (y * image.width + x) * 4
                for c in 0..<4 { out.pixels[to + c] = image.pixels[from + c] }
            }
        }
        return out
    }

    /// The GPU grade against the CPU reference: the looks' blend (without
    /// the baked parameters) applied with LUT3D.apply, then intensity,
    /// saturation and contrast per pixel — which the pass bakes into its
    /// table instead. Tolerance ±1 code value (float order of operations).
    func testEmotionGradeMatchesCPUReference() throws {
        let context = try RenderContext()
        let luts = TestFrames.shaders.appendingPathComponent("luts/neon-noir")
        let base = try CubeFile.read(path: luts.appendingPathComponent("midnight.cube").path)
        let rage = try CubeFile.read(path: luts.appendingPathComponent("rage.cube").path)
        let sodium = try CubeFile.read(path: luts.appendingPathComponent("sodium.cube").path)
        let pass = try EmotionGradePass(
            context: context, shaderURL: TestFrames.shaders.appendingPathComponent("passes/emotion-grade.frag"),
            base: base, looks: [("rage", rage), ("sodium", sodium)])
        try pass.setParameter("rage", 0.6)
        try pass.setParameter("sodium", 0.25)
        try pass.setParameter("saturation", 1.2)
        try pass.setParameter("contrast", 1.1)
        try pass.setParameter("intensity", 0.8)
        let chain = try PassChain(context: context, passes: [pass])
        let frame = TestFrames.synthetic()
        let out = try chain.render(frame, inputs: inputs(0)).topDown()

        let cube = try XCTUnwrap(base.cube)
        var table = [Float](repeating: 0, count: cube.size * cube.size * cube.size * 4)
        EmotionGradePass.blend(base: cube, looks: [try XCTUnwrap(rage.cube), try XCTUnwrap(sodium.cube)],
                               weights: [0.6, 0.25], into: &table)
        var values = [Float]()
        for k in 0..<(table.count / 4) { values += [table[4 * k], table[4 * k + 1], table[4 * k + 2]] }
        let blended = LUT3D(size: cube.size, values: values)
        var worst = (delta: 0, x: 0, y: 0)
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let i = frame.offset(x: x, y: y)
                let rgb = SIMD3(Float(frame.pixels[i]), Float(frame.pixels[i + 1]), Float(frame.pixels[i + 2])) / 255
                var g = rgb + (blended.apply(rgb) - rgb) * 0.8
                let luma = (g * SIMD3(0.2126, 0.7152, 0.0722)).sum()
                g = SIMD3(repeating: luma) + (g - SIMD3(repeating: luma)) * 1.2
                g = SIMD3(repeating: 0.5) + (g - SIMD3(repeating: 0.5)) * 1.1
                for c in 0..<3 {
                    let expected = Int((min(max(g[c], 0), 1) * 255 + 0.5).rounded(.down))
                    let delta = abs(expected - Int(out.pixels[i + c]))
                    if delta > worst.delta { worst = (delta, x, y) }
                }
            }
        }
        XCTAssertLessThanOrEqual(worst.delta, 1, "emotion grade vs CPU reference: worst pixel (\(worst.x), \(worst.y)) off by \(worst.delta)")
        try Golden.assertMatches(out, name: "emotion-grade-rage-sodium", tolerance: 1)
    }

    private func emotionGrade(_ context: RenderContext) throws -> EmotionGradePass {
        let luts = TestFrames.shaders.appendingPathComponent("luts/neon-noir")
        let pass = try EmotionGradePass(
            context: context, shaderURL: TestFrames.shaders.appendingPathComponent("passes/emotion-grade.frag"),
            base: try CubeFile.read(path: luts.appendingPathComponent("midnight.cube").path),
            looks: [("rage", try CubeFile.read(path: luts.appendingPathComponent("rage.cube").path))])
        try pass.setParameter("rage", 0.7)
        try pass.setParameter("contrast", 1.15)
        return pass
    }

    /// Worst channel difference between two same-sized pictures, and where
    /// (from the top).
    private func worstDifference(_ a: RGBAImage, _ b: RGBAImage) -> Golden.Worst {
        Golden.compare(a, b, tolerance: 0).worst
    }

    /// Folding the grade into the glitch's draw must not change the picture:
    /// the same chain unfolded, frame after frame (the glitch's feedback
    /// included), within ±1 code value (the folded grade reads the glitch's
    /// colour before the 8-bit store, rounded the way the store rounds).
    func testGradeFoldedIntoTheGlitchMatchesTheUnfoldedChain() throws {
        let context = try RenderContext()
        func chain(folding: Bool) throws -> (PassChain, EmotionGradePass) {
            let glitch = try ISFPass(context: context, url: TestFrames.shaders.appendingPathComponent("passes/glitch.frag"))
            try glitch.setParameter("strength", 0.9)
            try glitch.setParameter("blockPixels", 8)
            let grade = try emotionGrade(context)
            return (try PassChain(context: context, passes: [glitch, grade], folding: folding), grade)
        }
        let (folded, foldedGrade) = try chain(folding: true)
        let (plain, plainGrade) = try chain(folding: false)
        XCTAssertTrue(foldedGrade.isFolded)
        XCTAssertFalse(plainGrade.isFolded)
        for f in 0..<5 {
            let a = try folded.render(TestFrames.synthetic(), inputs: inputs(f, angryState()))
            let b = try plain.render(TestFrames.synthetic(), inputs: inputs(f, angryState()))
            let worst = worstDifference(a, b)
            XCTAssertLessThanOrEqual(worst.delta, 1, "frame \(f): folded grade off by \(worst.delta) at (\(worst.x), \(worst.y)) from the top")
            XCTAssertNotEqual(a.pixels, TestFrames.synthetic().pixels)
        }
    }

    /// A plain-ISF host (gl_FragColor) folds the same way.
    func testGradeFoldsIntoAPlainISFShader() throws {
        let context = try RenderContext()
        let url = TestFrames.shaders.appendingPathComponent("isf/heartbeat-vignette.fs")
        var state = angryState()
        state.beatPulse = 1
        let foldedGrade = try emotionGrade(context)
        let folded = try PassChain(context: context, passes: [try ISFPass(context: context, url: url), foldedGrade])
        let plain = try PassChain(context: context, passes: [try ISFPass(context: context, url: url), try emotionGrade(context)], folding: false)
        XCTAssertTrue(foldedGrade.isFolded)
        let worst = worstDifference(try folded.render(TestFrames.synthetic(), inputs: inputs(3, state)),
                                    try plain.render(TestFrames.synthetic(), inputs: inputs(3, state)))
        XCTAssertLessThanOrEqual(worst.delta, 1, "folded grade off by \(worst.delta) at (\(worst.x), \(worst.y))")
    }

    /// A two-pass host: only its last draw writes the folded grade, and the
    /// picture still matches the unfolded chain.
    func testGradeFoldsIntoTheLastDrawOfAMultiPassShader() throws {
        let context = try RenderContext()
        let blurThenDarken = try ISFShader.parse(#"""
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ],
                "PASSES": [ { "TARGET": "halfway" }, { } ] }*/
            void main() {
                if (PASSINDEX == 0) {
                    vec2 step = vec2(1.0) / RENDERSIZE;
                    gl_FragColor = 0.5 * (IMG_NORM_PIXEL(inputImage, isf_FragNormCoord - step)
                                          + IMG_NORM_PIXEL(inputImage, isf_FragNormCoord + step));
                } else {
                    gl_FragColor = vec4(IMG_THIS_PIXEL(halfway).rgb * 0.8, 1.0);
                }
            }
            """#, path: "two-pass.fs")
        let foldedGrade = try emotionGrade(context)
        let folded = try PassChain(context: context, passes: [try ISFPass(context: context, shader: blurThenDarken), foldedGrade])
        let plain = try PassChain(context: context, passes: [try ISFPass(context: context, shader: blurThenDarken), try emotionGrade(context)],
                                  folding: false)
        XCTAssertTrue(foldedGrade.isFolded)
        for f in 0..<2 {
            let worst = worstDifference(try folded.render(TestFrames.synthetic(), inputs: inputs(f)),
                                        try plain.render(TestFrames.synthetic(), inputs: inputs(f)))
            XCTAssertLessThanOrEqual(worst.delta, 1, "frame \(f): folded grade off by \(worst.delta) at (\(worst.x), \(worst.y))")
        }
    }

    /// A host whose output already has a layout qualifier is left alone: no
    /// fold, and the chain draws the grade itself.
    func testHostWithAnOutputLayoutIsNotFolded() throws {
        let context = try RenderContext()
        let shader = try ISFShader.parse(#"""
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ] }*/
            #version 320 es
            layout(location = 0) out vec4 color;
            void main() { color = IMG_THIS_PIXEL(inputImage); }
            """#, path: "located.frag")
        let grade = try emotionGrade(context)
        let chain = try PassChain(context: context, passes: [try ISFPass(context: context, shader: shader), grade])
        XCTAssertFalse(grade.isFolded)
        let alone = try PassChain(context: context, passes: [try emotionGrade(context)])
        // The grade alone is pointwise: it keeps the frame's rows, top-down.
        XCTAssertEqual(try chain.render(TestFrames.synthetic(), inputs: inputs(0)).pixels,
                       try alone.render(PassChain.bottomUp(TestFrames.synthetic()), inputs: inputs(0)).pixels)
    }

    /// Particles first draw on the frame's upload, unless a later pass
    /// samples the untouched frame: then they copy, and that pass sees no
    /// sparks in it.
    func testFirstParticlesKeepTheFrameForAPassThatReadsIt() throws {
        let context = try RenderContext()
        let timeline = ConstantTimeline(frameCount: 48, framesPerSecond: 24, base: angryState())
        let difference = try ISFShader.parse(#"""
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" }, { "NAME": "original", "TYPE": "image" } ] }*/
            void main() { gl_FragColor = vec4(abs(IMG_THIS_PIXEL(inputImage).rgb - IMG_THIS_PIXEL(original).rgb), 1.0); }
            """#, path: "difference.fs")
        let particles = try ParticlePass(context: context, field: ParticleField(timeline: timeline, seed: 42))
        let chain = try PassChain(context: context, passes: [particles, try ISFPass(context: context, shader: difference)])
        XCTAssertFalse(particles.mayDrawOnInput)
        let out = try chain.render(TestFrames.synthetic(), inputs: FrameInputs(frameIndex: 20, framesPerSecond: 24, state: timeline.state(at: 20)))
        let lit = stride(from: 0, to: out.pixels.count, by: 4).filter { out.pixels[$0] > 8 || out.pixels[$0 + 2] > 8 }.count
        XCTAssertGreaterThan(lit, 20, "the sparks should show against the untouched frame")
        let alone = try ParticlePass(context: context, field: ParticleField(timeline: timeline, seed: 42))
        _ = try PassChain(context: context, passes: [alone])
        XCTAssertTrue(alone.mayDrawOnInput, "alone, the particles draw on the upload")
    }

    /// Tolerance ±3: sprite edges are rasterised; llvmpipe gives the same
    /// bytes every run.
    func testParticlesMatchGoldenAndAreAdditive() throws {
        let context = try RenderContext()
        let timeline = ConstantTimeline(frameCount: 48, framesPerSecond: 24, base: angryState())
        let field = ParticleField(timeline: timeline, seed: 42)
        XCTAssertEqual(field.beats(in: 0..<timeline.frameCount!).first?.frame, 14, "110 BPM at 24 fps: the first phase wrap is frame 14")
        let pass = try ParticlePass(context: context, field: field)
        let chain = try PassChain(context: context, passes: [pass])
        let frame = TestFrames.synthetic()
        let out = try chain.render(frame, inputs: FrameInputs(frameIndex: 20, framesPerSecond: 24, state: timeline.state(at: 20)))
        try Golden.assertMatches(out, name: "particles-frame20", tolerance: 3)
        let picture = out.topDown()
        var brighter = 0
        for i in stride(from: 0, to: picture.pixels.count, by: 4) {
            for c in 0..<3 { XCTAssertGreaterThanOrEqual(picture.pixels[i + c], frame.pixels[i + c], "additive blending never darkens") }
            if picture.pixels[i] > frame.pixels[i] { brighter += 1 }
        }
        XCTAssertGreaterThan(brighter, 20, "a beat burst should light some pixels")
    }

    /// After another pass the sprites are drawn onto that pass's output in
    /// place; the picture must equal the copy-first path's.
    func testParticlesDrawnInPlaceMatchTheCopyPath() throws {
        let context = try RenderContext()
        let timeline = ConstantTimeline(frameCount: 48, framesPerSecond: 24, base: angryState())
        let copy = try ISFShader.parse(
            #"/*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ] }*/ void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage); }"#,
            path: "copy.fs")
        let alone = try PassChain(context: context, passes: [try ParticlePass(context: context, field: ParticleField(timeline: timeline, seed: 42))])
        let after = try PassChain(context: context, passes: [
            try ISFPass(context: context, shader: copy), try ParticlePass(context: context, field: ParticleField(timeline: timeline, seed: 42)),
        ])
        for f in [16, 20] {
            let inputs = FrameInputs(frameIndex: f, framesPerSecond: 24, state: timeline.state(at: f))
            let a = try alone.render(TestFrames.synthetic(), inputs: inputs)
            let b = try after.render(TestFrames.synthetic(), inputs: inputs)
            XCTAssertEqual(a.pixels, b.pixels, "frame \(f): in-place particles differ from copy-first particles")
        }
    }

    /// ISF's one-step feedback form: a last pass with a persistent target
    /// draws the output, and next frame reads that output back.
    private func echoShader() throws -> ISFShader {
        try ISFShader.parse(#"""
            /*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" } ],
                "PASSES": [ { "TARGET": "echo", "PERSISTENT": true } ] }*/
            void main() {
                vec4 now = IMG_THIS_PIXEL(inputImage);
                vec4 last = IMG_THIS_PIXEL(echo);
                gl_FragColor = last.a > 0.0 ? vec4(0.5 * (now.rgb + last.rgb), 1.0) : now;
            }
            """#, path: "echo.fs")
    }

    private func solid(_ value: UInt8, width: Int = 64, height: Int = 36) -> RGBAImage {
        var pixels = [UInt8](repeating: value, count: width * height * 4)
        for i in stride(from: 3, to: pixels.count, by: 4) { pixels[i] = 255 }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    func testPersistentLastPassIsTheOutputAndNextFramesFeedback() throws {
        let context = try RenderContext()
        let echo = try ISFPass(context: context, shader: try echoShader())
        XCTAssertTrue(echo.outputPersists)
        let chain = try PassChain(context: context, passes: [echo])
        let first = try chain.render(solid(200), inputs: inputs(1)).topDown()
        XCTAssertEqual(first.pixels, solid(200).pixels, "frame 1 has a blank buffer, so the echo passes the picture through")
        let second = try chain.render(solid(100), inputs: inputs(2)).topDown()
        XCTAssertEqual(second.pixels, solid(150).pixels, "frame 2 is the mean of frames 1 and 2")
    }

    /// Sprites after a pass that keeps its output must not be drawn into
    /// that pass's feedback: next frame would echo them.
    func testParticlesAfterAFeedbackPassStayOutOfTheFeedback() throws {
        let context = try RenderContext()
        let timeline = ConstantTimeline(frameCount: 48, framesPerSecond: 24, base: angryState())
        let particles = try ParticlePass(context: context, field: ParticleField(timeline: timeline, seed: 42))
        let chain = try PassChain(context: context, passes: [try ISFPass(context: context, shader: try echoShader()), particles])
        XCTAssertFalse(particles.mayDrawOnInput)
        let black = solid(0, width: 160, height: 90)
        let sparks = try chain.render(black, inputs: FrameInputs(frameIndex: 20, framesPerSecond: 24, state: timeline.state(at: 20)))
        XCTAssertNotEqual(sparks.pixels, black.pixels, "frame 20 should have sparks")
        try particles.setParameter("intensity", 0)
        let next = try chain.render(black, inputs: FrameInputs(frameIndex: 21, framesPerSecond: 24, state: timeline.state(at: 21))).topDown()
        let lit = stride(from: 0, to: next.pixels.count, by: 4).filter { next.pixels[$0] > 0 || next.pixels[$0 + 2] > 0 }.count
        XCTAssertEqual(lit, 0, "frame 21 echoes frame 20's sparks in \(lit) pixels: they were drawn into the feedback buffer")
    }

    func testParticlesDependOnlyOnTheTimeline() {
        let timeline = SyntheticTimeline(frameCount: 200, framesPerSecond: 24)
        let a = ParticleField(timeline: timeline, seed: 3)
        let b = ParticleField(timeline: timeline, seed: 3)
        XCTAssertFalse(a.beats(in: 0..<timeline.frameCount!).isEmpty)
        for f in [0, 17, 80, 199] {
            XCTAssertEqual(a.particles(at: f, state: timeline.state(at: f)), b.particles(at: f, state: timeline.state(at: f)))
        }
        XCTAssertNotEqual(a.particles(at: 80, state: timeline.state(at: 80)), ParticleField(timeline: timeline, seed: 4).particles(at: 80, state: timeline.state(at: 80)))
    }

    /// The plain-ISF examples compile and react to the biometric uniforms.
    func testISFExamplesReadBiometricUniforms() throws {
        let context = try RenderContext()
        for (file, name) in [("heartbeat-vignette.fs", "isf-heartbeat-vignette"), ("face-spotlight.fs", "isf-face-spotlight"),
                             ("arousal-shake.fs", "isf-arousal-shake")] {
            let pass = try ISFPass(context: context, url: TestFrames.shaders.appendingPathComponent("isf/\(file)"))
            let chain = try PassChain(context: context, passes: [pass])
            let excited = try chain.render(TestFrames.synthetic(), inputs: inputs(3, angryState()))
            var neutral = EmotionState()
            neutral.beatPulse = 0
            let calm = try chain.render(TestFrames.synthetic(), inputs: inputs(3, neutral))
            XCTAssertNotEqual(excited.pixels, calm.pixels, "\(file) ignores the emotion state")
            try Golden.assertMatches(excited, name: name, tolerance: 2)
        }
    }
}

final class ShaderCheckTests: XCTestCase {
    /// Every shader in shaders/passes and shaders/isf, as the folders hold
    /// them: a new shipped shader is checked without touching this test.
    func testEveryShippedPassAndExampleChecksOK() throws {
        let context = try RenderContext()
        var checked: [String] = []
        for folder in ["passes", "isf"] {
            let url = TestFrames.shaders.appendingPathComponent(folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
                .filter { $0.hasSuffix(".frag") || $0.hasSuffix(".fs") }.sorted()
            for name in names {
                let report = try ShaderCheckReport.check(url.appendingPathComponent(name), context: context)
                XCTAssertTrue(report.summary.contains("OK"), report.summary)
                checked.append(folder + "/" + name)
            }
        }
        // The looks use these two; the examples are the user-shader templates.
        XCTAssert(checked.contains("passes/glitch.frag") && checked.contains("passes/emotion-grade.frag"), "\(checked)")
        XCTAssertGreaterThanOrEqual(checked.filter { $0.hasPrefix("isf/") }.count, 3, "\(checked)")
    }

    func testCheckRejectsBrokenHeaderNamingFileAndField() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-bad-header-\(getpid()).fs")
        try #"/*{ "INPUTS": [ { "NAME": "inputImage", "TYPE": "image" }, { "NAME": "gain", "TYPE": "float", "MIN": 2, "MAX": 1 } ] }*/ void main() { gl_FragColor = vec4(1.0); }"#
            .write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ShaderCheckReport.check(url, context: try RenderContext())) { error in
            XCTAssertTrue("\(error)".contains(url.lastPathComponent), "\(error)")
            XCTAssertTrue("\(error)".contains("INPUTS[1] 'gain'"), "\(error)")
        }
    }
}
