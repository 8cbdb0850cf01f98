import CEGL
import EmpathyCore

/// What a pass needs to know about the frame it draws.
public struct FrameInputs: Sendable {
    public var frameIndex: Int
    /// TIME = frameIndex / framesPerSecond.
    public var timeSeconds: Double
    /// TIMEDELTA = 1 / framesPerSecond.
    public var timeDeltaSeconds: Double
    public var state: EmotionState

    public init(frameIndex: Int, framesPerSecond: Double, state: EmotionState) {
        self.frameIndex = frameIndex
        timeSeconds = Double(frameIndex) / framesPerSecond
        timeDeltaSeconds = 1 / framesPerSecond
        self.state = state
    }
}

/// The uniforms the renderer declares in every pass (after the shader's
/// `#version` line), with their GLSL types. See shaders/README.md.
///
/// Picture positions (`faceBox`, landmarks) are converted to the passes'
/// coordinates: normalised 0…1 with y up, as `isf_FragNormCoord`
/// (y_gl = 1 − y_track; faceBox.xy is the box's lower-left corner).
enum BuiltInUniforms {
    static let declarations: [(type: String, name: String)] = [
        ("float", "TIME"), ("float", "TIMEDELTA"), ("vec2", "RENDERSIZE"), ("int", "FRAMEINDEX"),
        ("int", "PASSINDEX"), ("vec4", "DATE"),
        ("float", "valence"), ("float", "arousal"), ("float", "heartRate"), ("float", "heartRateKnown"),
        ("float", "beatPhase"), ("float", "beatPulse"), ("float", "stress"),
        ("float", "emotionNeutral"), ("float", "emotionHappiness"), ("float", "emotionSadness"),
        ("float", "emotionSurprise"), ("float", "emotionFear"), ("float", "emotionAnger"),
        ("float", "emotionDisgust"),
        ("float", "faceFound"), ("vec4", "faceBox"), ("vec2", "leftEye"), ("vec2", "rightEye"),
        ("vec2", "noseTip"), ("vec2", "mouthCenter"),
    ]
    static let names: [String] = declarations.map(\.name)

    static var glsl: String {
        declarations.map { "uniform \($0.type == "int" ? "highp int" : "highp " + $0.type) \($0.name);" }
            .joined(separator: "\n")
    }

    /// Locations of the built-ins in one program.
    struct Locations {
        var byName: [String: GLint] = [:]
        init(program: GLuint) {
            for name in BuiltInUniforms.names {
                byName[name] = glGetUniformLocation(program, name)
            }
        }
    }

    /// Sets every built-in for `frame` on the current program.
    static func set(_ locations: Locations, frame: FrameInputs, width: Int, height: Int, passIndex: Int) {
        func f(_ name: String, _ value: Float) {
            if let location = locations.byName[name], location >= 0 { glUniform1f(location, value) }
        }
        func v2(_ name: String, _ value: SIMD2<Float>) {
            if let location = locations.byName[name], location >= 0 { glUniform2f(location, value.x, value.y) }
        }
        func v4(_ name: String, _ value: SIMD4<Float>) {
            if let location = locations.byName[name], location >= 0 {
                glUniform4f(location, value.x, value.y, value.z, value.w)
            }
        }
        func i(_ name: String, _ value: Int) {
            if let location = locations.byName[name], location >= 0 { glUniform1i(location, GLint(truncatingIfNeeded: value)) }
        }
        let s = frame.state
        f("TIME", Float(frame.timeSeconds))
        f("TIMEDELTA", Float(frame.timeDeltaSeconds))
        v2("RENDERSIZE", SIMD2(Float(width), Float(height)))
        i("FRAMEINDEX", frame.frameIndex)
        i("PASSINDEX", passIndex)
        // A fixed date: a frame must not depend on when it was rendered.
        v4("DATE", SIMD4(2000, 1, 1, 0))
        f("valence", s.valence)
        f("arousal", s.arousal)
        f("heartRate", s.heartRateBPM ?? 0)
        f("heartRateKnown", s.heartRateBPM == nil ? 0 : 1)
        f("beatPhase", s.beatPhase)
        f("beatPulse", s.beatPulse)
        f("stress", s.stress)
        for category in EmotionCategory.allCases {
            f("emotion" + category.capitalizedName, category.index < s.categories.count ? s.categories[category.index] : 0)
        }
        if let box = s.faceBox {
            f("faceFound", 1)
            v4("faceBox", SIMD4(box.x, 1 - box.y - box.height, box.width, box.height))
        } else {
            f("faceFound", 0)
            v4("faceBox", SIMD4(0, 0, 0, 0))
        }
        func flipped(_ point: SIMD2<Float>?) -> SIMD2<Float> {
            guard let point else { return SIMD2(-1, -1) }
            return SIMD2(point.x, 1 - point.y)
        }
        v2("leftEye", flipped(s.leftEye))
        v2("rightEye", flipped(s.rightEye))
        v2("noseTip", flipped(s.noseTip))
        v2("mouthCenter", flipped(s.mouthCenter))
    }
}
