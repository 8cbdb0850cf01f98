import CEGL
import EmpathyCore
import Foundation
import Rendering

/// One sprite to draw: centre in normalised picture coordinates (y up),
/// size in pixels, colour premultiplied by its opacity.
public struct Particle: Sendable, Equatable {
    public var position: SIMD2<Float>
    public var sizePixels: Float
    public var color: SIMD4<Float>
}

/// The particle simulation, closed-form: the particles of frame f depend only
/// on the timeline's states up to f, never on which frames were rendered
/// before, so any chunk of a clip renders the same particles.
///
/// Beats: frame f > 0 is a beat when `beatPhase` wraps (drops by more than
/// 0.5 from frame f − 1) or `beatPulse` rises through 0.5. Each beat b emits
/// n = round(particlesPerBeat · (0.5 + arousal_b)) particles from the face
/// centre (the picture centre without a face). Particle k of beat b, with
/// r_i uniform random numbers from SplitMix64(seed, b, k):
///   speed v = baseSpeed · (0.3 + 1.4 · arousal_b) · (0.5 + r_1) (picture heights / s),
///   direction θ = 2π r_2, drag time τ = 0.6 s, age t = (f − b) / fps,
///   p(t) = origin + v · τ · (1 − e^(−t/τ)) · (cos θ, sin θ) + (0, 0.03 t),
///   life L = lifetimeSeconds · (0.6 + 0.4 r_3), opacity (1 − t/L)² while t < L,
///   colour mix(cold (0.25, 0.55, 1), warm (1, 0.35, 0.55), (valence_b + 1)/2),
///   size (3 + 5 r_4) px.
/// Calm or sad frames add `ambientCount` slow motes: mote j sits at
/// fract(q_j + drift_j · TIME) with drift up to 0.02 picture per second,
/// opacity 0.35 · max(1 − arousal_f, sadness_f) · (0.5 + 0.5 r_5).
public struct ParticleField: Sendable {
    public var seed: UInt64
    public var particlesPerBeat: Float = 40
    public var baseSpeed: Float = 0.35
    public var lifetimeSeconds: Float = 1.6
    public var ambientCount = 60
    public let timeline: any EmotionTimeline
    public var framesPerSecond: Double { timeline.framesPerSecond }

    public init(timeline: any EmotionTimeline, seed: UInt64 = 0x5EED) {
        self.seed = seed
        self.timeline = timeline
    }

    /// The beat frames in `range`, ascending, with their states. Frame 0 is
    /// never one (it has no frame before it). Only the range is read, so a
    /// frame's particles need the last `lifetimeSeconds` of the timeline,
    /// not its end.
    public func beats(in range: Range<Int>) -> [(frame: Int, state: EmotionState)] {
        let lower = max(1, range.lowerBound)
        guard lower < range.upperBound else { return [] }
        var beats: [(Int, EmotionState)] = []
        var previous = timeline.state(at: lower - 1)
        for f in lower..<range.upperBound {
            let state = timeline.state(at: f)
            if state.beatPhase < previous.beatPhase - 0.5 || (state.beatPulse >= 0.5 && previous.beatPulse < 0.5) {
                beats.append((f, state))
            }
            previous = state
        }
        return beats
    }

    /// SplitMix64 of (seed, a, b, salt) as a Float in [0, 1).
    static func random(_ seed: UInt64, _ a: Int, _ b: Int, _ salt: UInt64) -> Float {
        var z = seed &+ UInt64(bitPattern: Int64(a)) &* 0x9E37_79B9_7F4A_7C15
        z = z &+ UInt64(bitPattern: Int64(b)) &* 0xBF58_476D_1CE4_E5B9 &+ salt &* 0x94D0_49BB_1331_11EB
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24)
    }

    public func particles(at frameIndex: Int, state: EmotionState) -> [Particle] {
        var result: [Particle] = []
        let fps = Float(framesPerSecond)
        let oldest = frameIndex - Int((lifetimeSeconds * fps).rounded(.up))
        let cold = SIMD3<Float>(0.25, 0.55, 1), warm = SIMD3<Float>(1, 0.35, 0.55)
        for (b, s) in beats(in: oldest..<(frameIndex + 1)) {
            let age = Float(frameIndex - b) / fps
            var origin = SIMD2<Float>(0.5, 0.5)
            if let box = s.faceBox { origin = SIMD2(box.x + box.width / 2, 1 - (box.y + box.height / 2)) }
            let arousal = min(max(s.arousal, 0), 1)
            let count = Int((particlesPerBeat * (0.5 + arousal)).rounded())
            let tint = cold + (warm - cold) * ((min(max(s.valence, -1), 1) + 1) / 2)
            let tau: Float = 0.6
            for i in 0..<count {
                let r1 = Self.random(seed, b, i, 1), r2 = Self.random(seed, b, i, 2)
                let r3 = Self.random(seed, b, i, 3), r4 = Self.random(seed, b, i, 4)
                let life = lifetimeSeconds * (0.6 + 0.4 * r3)
                guard age < life else { continue }
                let speed = baseSpeed * (0.3 + 1.4 * arousal) * (0.5 + r1)
                let theta = 2 * Float.pi * r2
                let travel = speed * tau * (1 - exp(-age / tau))
                let position = origin + SIMD2(cos(theta), sin(theta)) * travel + SIMD2(0, 0.03 * age)
                let fade = (1 - age / life) * (1 - age / life)
                result.append(Particle(position: position, sizePixels: 3 + 5 * r4,
                                       color: SIMD4(tint * fade, fade)))
            }
        }
        let calm = max(1 - min(max(state.arousal, 0), 1), state.score(.sadness))
        if calm > 0.01 {
            let time = Float(frameIndex) / fps
            for j in 0..<ambientCount {
                let q = SIMD2(Self.random(seed, -1, j, 1), Self.random(seed, -1, j, 2))
                let drift = (SIMD2(Self.random(seed, -1, j, 3), Self.random(seed, -1, j, 4)) - 0.5) * 0.04
                let p = q + drift * time
                let position = p - p.rounded(.down)
                let opacity = 0.35 * calm * (0.5 + 0.5 * Self.random(seed, -1, j, 5))
                result.append(Particle(position: position, sizePixels: 2 + 3 * Self.random(seed, -1, j, 6),
                                       color: SIMD4(cold * opacity, opacity)))
            }
        }
        return result
    }
}

/// Draws a `ParticleField` over the picture: one instanced soft-disc sprite per particle with additive blending
/// (dst = dst + src, src premultiplied). Sprite alpha:
/// a(r) = (1 − smoothstep(0, 1, r))², r the distance from the centre in sprite radii.
public final class ParticlePass: EffectPass {
    public let name = "particles"
    public let feedbackResetFrames = 0
    public let context: RenderContext
    public var field: ParticleField?
    /// Scales every sprite's colour (a look's "intensity").
    public private(set) var intensity: Float = 1
    public var parameterRanges: [String: ClosedRange<Float>?] { ["intensity": 0...2] }

    private let copyProgram: GLuint
    private let spriteProgram: GLuint
    private let vertexArray: GLuint
    private let spriteVertexArray: GLuint
    private var instanceBuffer: GLuint = 0
    private var output: RenderTarget?
    /// The copy target's format: the chain's.
    public let format: PixelFormat
    /// A framebuffer for drawing straight onto the previous pass's output.
    private var inPlaceFramebuffer: GLuint = 0

    public init(context: RenderContext, field: ParticleField?, format: PixelFormat = .rgba8) throws {
        self.context = context
        self.field = field
        self.format = format
        try context.makeCurrent()
        let version = GL.glslVersion(context)
        copyProgram = try GL.linkCopyProgram(context, flipRows: false)
        spriteProgram = try GL.link(
            vertex: """
                #version \(version)
                layout(location = 0) in vec4 placement;  // centre xy (0…1, y up), size px, unused
                layout(location = 1) in vec4 color;      // premultiplied
                uniform vec2 renderSize;
                out vec2 local;
                out vec4 spriteColor;
                void main() {
                    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1)) * 2.0 - 1.0;
                    local = corner;
                    spriteColor = color;
                    vec2 centre = placement.xy * 2.0 - 1.0;
                    gl_Position = vec4(centre + corner * placement.z / renderSize * 2.0, 0.0, 1.0);
                }
                """, vertexPath: "built-in sprite vertex shader",
            fragment: """
                #version \(version)
                precision highp float;
                uniform float intensity;
                in vec2 local;
                in vec4 spriteColor;
                out vec4 fragColor;
                void main() {
                    float fall = 1.0 - smoothstep(0.0, 1.0, length(local));
                    fragColor = spriteColor * fall * fall * intensity;
                }
                """, fragmentPath: "built-in sprite shader")
        var arrays: [GLuint] = [0, 0]
        glGenVertexArrays(2, &arrays)
        vertexArray = arrays[0]
        spriteVertexArray = arrays[1]
        glGenBuffers(1, &instanceBuffer)
        glBindVertexArray(spriteVertexArray)
        glBindBuffer(GLenum(GL_ARRAY_BUFFER), instanceBuffer)
        glEnableVertexAttribArray(0)
        glVertexAttribPointer(0, 4, GLenum(GL_FLOAT), GLboolean(GL_FALSE), 32, nil)
        glVertexAttribDivisor(0, 1)
        glEnableVertexAttribArray(1)
        glVertexAttribPointer(1, 4, GLenum(GL_FLOAT), GLboolean(GL_FALSE), 32, UnsafeRawPointer(bitPattern: 16))
        glVertexAttribDivisor(1, 1)
        glBindVertexArray(0)
        try GL.check("setting up the particle pass")
    }

    deinit {
        guard (try? context.makeCurrent()) != nil else { return }
        output?.delete()
        if inPlaceFramebuffer != 0 { glDeleteFramebuffers(1, &inPlaceFramebuffer) }
        var arrays = [vertexArray, spriteVertexArray]
        glDeleteVertexArrays(2, &arrays)
        glDeleteBuffers(1, &instanceBuffer)
        glDeleteProgram(copyProgram)
        glDeleteProgram(spriteProgram)
    }

    public func setParameter(_ name: String, _ value: Float) throws {
        guard name == "intensity" else { throw EmpathyError.invalidArgument("the particle pass has no parameter '\(name)'") }
        guard value.isFinite else { throw EmpathyError.invalidArgument("particle intensity is \(value)") }
        intensity = min(max(value, 0), 2)
    }

    /// Whether the picture this pass receives may be drawn over. `PassChain`
    /// clears it when the pass before keeps its output for the next frame,
    /// or, for the first pass, when a later pass samples the untouched frame.
    /// (Alone, outside a chain, the pass copies first.)
    public var mayDrawOnInput = false

    /// The sprites are drawn straight onto the picture they receive when
    /// that is allowed (a pass's output it redraws every frame, or the
    /// frame's upload), saving a full-frame copy; otherwise the picture is
    /// copied first, since a later pass (or the next frame) reads it.
    public func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        try context.makeCurrent()
        let result: GLuint
        if mayDrawOnInput {
            if inPlaceFramebuffer == 0 { glGenFramebuffers(1, &inPlaceFramebuffer) }
            glBindFramebuffer(GLenum(GL_FRAMEBUFFER), inPlaceFramebuffer)
            glFramebufferTexture2D(GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_TEXTURE_2D), input, 0)
            glViewport(0, 0, GLsizei(width), GLsizei(height))
            result = input
        } else {
            if output?.width != width || output?.height != height {
                output?.delete()
                output = try RenderTarget(width: width, height: height, format: format)
            }
            guard let output else { return input }
            GL.drawCopy(copyProgram, from: input, into: output.framebuffer, width: width, height: height, vertexArray: vertexArray)
            result = output.texture
        }

        let particles = field?.particles(at: frame.frameIndex, state: frame.state) ?? []
        if !particles.isEmpty && intensity > 0 {
            var data = [Float]()
            data.reserveCapacity(particles.count * 8)
            for p in particles {
                data += [p.position.x, p.position.y, p.sizePixels, 0, p.color.x, p.color.y, p.color.z, p.color.w]
            }
            glBindBuffer(GLenum(GL_ARRAY_BUFFER), instanceBuffer)
            data.withUnsafeBytes { bytes in
                glBufferData(GLenum(GL_ARRAY_BUFFER), bytes.count, bytes.baseAddress, GLenum(GL_STREAM_DRAW))
            }
            glUseProgram(spriteProgram)
            glUniform2f(glGetUniformLocation(spriteProgram, "renderSize"), Float(width), Float(height))
            glUniform1f(glGetUniformLocation(spriteProgram, "intensity"), intensity)
            glEnable(GLenum(GL_BLEND))
            glBlendFunc(GLenum(GL_ONE), GLenum(GL_ONE))
            glBindVertexArray(spriteVertexArray)
            glDrawArraysInstanced(GLenum(GL_TRIANGLE_STRIP), 0, 4, GLsizei(particles.count))
            glDisable(GLenum(GL_BLEND))
            glBindVertexArray(0)
        }
        try GL.check("drawing \(particles.count) particles")
        return result
    }
}

extension PassType {
    static let particles = PassType(
        name: "particles", summary: "sparks burst from the face on each heartbeat; calm or sad frames add slow motes",
        fields: [("seed", "a whole number ≥ 0 that picks the random sparks (default 24301)")],
        validate: { fields in _ = try fields.wholeNumber("seed", default: 0x5EED) },
        make: { fields, build in
            try ParticlePass(context: build.context,
                             field: ParticleField(timeline: build.timeline, seed: try fields.wholeNumber("seed", default: 0x5EED)),
                             format: build.format)
        })
}
