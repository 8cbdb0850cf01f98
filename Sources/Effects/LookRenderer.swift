import EmpathyCore
import Foundation
import Grading
import Rendering

/// A look's pass chain over a timeline: per frame, sets every pass's
/// parameters from `LookAutomation` and renders through `PassChain`.
///
/// A frame's bytes depend only on the frame, the timeline, the look and the
/// frame index, provided the frames from `warmUpStart(forFrameIndex:)` are
/// rendered first, in order (`RenderJob` does this).
public final class LookRenderer {
    public let look: Look
    public let chain: PassChain
    public let timeline: any EmotionTimeline
    private let automation: LookAutomation

    /// `floatOutput`: every pass renders into floating-point buffers without
    /// 8-bit rounding (16-bit PNG and OpenEXR output).
    public init(context: RenderContext, look: Look, timeline: any EmotionTimeline, shadersDirectory: URL,
                floatOutput: Bool = false) throws {
        self.look = look
        self.timeline = timeline
        guard timeline.framesPerSecond.isFinite, timeline.framesPerSecond > 0 else {
            throw EmpathyError.invalidArgument("the emotion timeline has \(timeline.framesPerSecond) frames per second; it must be above 0")
        }
        let build = PassBuild(context: context, timeline: timeline, shadersDirectory: shadersDirectory,
                              format: floatOutput ? .rgba16f : .rgba8)
        var passes: [any EffectPass] = []
        for (index, pass) in look.passes.enumerated() {
            let built = try Self.make(pass.kind, build: build)
            let ranges = built.parameterRanges
            for parameter in pass.parameters where ranges[parameter.name] == nil {
                throw EmpathyError.badFile(
                    path: look.path, line: nil,
                    message: "field 'passes[\(index)].parameters.\(parameter.name)': the \(built.name) pass has no such parameter; it takes \(ranges.keys.sorted().joined(separator: ", "))")
            }
            passes.append(built)
        }
        chain = try PassChain(context: context, passes: passes, floatOutput: floatOutput)
        automation = LookAutomation(look: look, timeline: timeline)
    }

    private static func make(_ kind: Look.PassKind, build: PassBuild) throws -> any EffectPass {
        switch kind {
        case let .shader(path):
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : build.shadersDirectory.appendingPathComponent(path)
            return try ISFPass(context: build.context, shader: try ISFShader.load(url), format: build.format)
        case let .registered(name, fields):
            guard let type = PassRegistry.type(named: name) else {
                throw fields.fail("pass", "no pass named '\(name)' is registered")
            }
            return try type.make(fields, build)
        }
    }

    public func warmUpStart(forFrameIndex frameIndex: Int) -> Int { chain.warmUpStart(forFrameIndex: frameIndex) }

    /// Renders frame `frameIndex` (0-based); the result is `.bottomUp`.
    public func render(_ frame: RGBAImage, frameIndex: Int) throws -> RGBAImage {
        let inputs = try prepare(frameIndex: frameIndex)
        return try chain.render(frame, inputs: inputs)
    }

    /// Sets the parameters for `frameIndex` and returns the frame's inputs.
    public func prepare(frameIndex: Int) throws -> FrameInputs {
        guard frameIndex >= 0 else { throw EmpathyError.invalidArgument("frame index \(frameIndex) is before the first frame") }
        if let count = timeline.frameCount, frameIndex >= count {
            throw EmpathyError.invalidArgument(
                "frame \(frameIndex + 1) is beyond the emotion timeline's \(count) frames; re-run the analysis for the whole clip")
        }
        for (pass, parameters) in zip(chain.passes, automation.values(at: frameIndex)) {
            for parameter in parameters { try pass.setParameter(parameter.name, parameter.value) }
        }
        return FrameInputs(frameIndex: frameIndex, framesPerSecond: timeline.framesPerSecond, state: timeline.state(at: frameIndex))
    }
}

/// A timeline made from a formula: for tests, benchmarks and demos without
/// an analysed track. Deterministic in the frame index.
public struct SyntheticTimeline: EmotionTimeline {
    /// nil: no end (as a live take).
    public let frameCount: Int?
    public let framesPerSecond: Double
    public var heartRateBPM: Float = 72

    public init(frameCount: Int?, framesPerSecond: Double) {
        self.frameCount = frameCount
        self.framesPerSecond = framesPerSecond
    }

    /// Over a 6 s cycle: arousal 0.5 + 0.5 sin(2πt/6), anger rising in the
    /// second half, sadness in the first, happiness from valence; beats at
    /// `heartRateBPM` (phase = fract(t · bpm / 60), pulse = e^(−6 · phase));
    /// a face box drifting around the centre.
    public func state(at frameIndex: Int) -> EmotionState {
        let t = Float(Double(frameIndex) / framesPerSecond)
        var s = EmotionState()
        let wave = sin(2 * Float.pi * t / 6)
        s.arousal = 0.5 + 0.5 * wave
        s.valence = sin(2 * Float.pi * t / 9)
        s.heartRateBPM = heartRateBPM
        let beats = t * heartRateBPM / 60
        s.beatPhase = beats - beats.rounded(.down)
        s.beatPulse = exp(-6 * s.beatPhase)
        s.stress = 0.5 - 0.5 * cos(2 * Float.pi * t / 12)
        let anger = max(0, wave), sadness = max(0, -wave), happiness = max(0, s.valence) * 0.8
        s.categories = [max(0, 1 - anger - sadness - happiness), happiness, sadness, 0, 0, anger, 0]
        s.faceBox = (0.4 + 0.05 * sin(t), 0.3, 0.2, 0.3)
        s.leftEye = SIMD2(0.54, 0.4)  // the performer's left: picture right
        s.rightEye = SIMD2(0.46, 0.4)
        s.noseTip = SIMD2(0.5, 0.47)
        s.mouthCenter = SIMD2(0.5, 0.53)
        return s
    }
}
