import CEGL
import EmpathyCore
import Foundation
import Rendering

/// Any ISF filter as a pass: one program, drawn once per `PASSES` entry with
/// `PASSINDEX` set; each `TARGET` is a frame-sized buffer that later passes
/// (and, when `PERSISTENT`, the next frame) read as a sampler of that name.
/// A buffer that a pass reads while writing is double-buffered: the pass
/// reads the previous contents.
///
/// Image inputs: `inputImage` is the chain's current picture; any other image
/// input gets the untouched frame. Float, bool, long, color and point2D
/// inputs start at their `DEFAULT` and are clamped to `MIN`…`MAX` when set.
public final class ISFPass: EffectPass {
    public let context: RenderContext
    public let shader: ISFShader
    public let name: String
    public var feedbackResetFrames: Int { shader.header.feedbackResetFrames }
    /// With a pass folded in, the chain's picture is the folded result, a
    /// buffer of its own; the persistent buffer stays this pass's.
    public var outputPersists: Bool { folded == nil && shader.header.passes.last?.target != nil }
    public var readsSource: Bool { shader.header.inputs.contains { $0.type == .image && $0.name != "inputImage" } }

    private(set) var program: GLuint
    private let vertexArray: GLuint
    private var builtIns: BuiltInUniforms.Locations
    private var values: [String: [Float]] = [:]
    private var inputLocations: [String: GLint] = [:]
    private var imageUnits: [(name: String, unit: Int32, location: GLint)] = []
    private var targetLocations: [String: GLint] = [:]
    private let hostCode: String
    /// How the pass stores its buffers. In floating point the shader sees
    /// `#define EMPATHY_FLOAT` (shipped shaders skip their 8-bit rounding
    /// under it).
    public let format: PixelFormat
    /// The pass folded into the last draw, its result buffer and the
    /// framebuffer that draws both.
    private var folded: (pass: any FoldablePass, output: RenderTarget?, framebuffer: GLuint)?
    /// Each target as (read, write); swapped after the pass that writes it.
    private var buffers: [String: (read: RenderTarget, write: RenderTarget)] = [:]
    private var output: RenderTarget?
    /// Host hook for built-in passes: binds extra textures and uniforms after
    /// the program is in use.
    var beforeDraw: ((GLuint) -> Void)?

    public var parameterRanges: [String: ClosedRange<Float>?] {
        var ranges: [String: ClosedRange<Float>?] = [:]
        for input in shader.header.inputs where input.type != .image {
            if let low = input.minimum?.first, let high = input.maximum?.first {
                ranges[input.name] = low...high
            } else {
                ranges[input.name] = .some(nil)
            }
        }
        return ranges
    }

    public convenience init(context: RenderContext, url: URL) throws {
        try self.init(context: context, shader: try ISFShader.load(url))
    }

    /// `hostCode` is inserted with the prelude (declarations a built-in pass
    /// needs beyond ISF's).
    public init(context: RenderContext, shader: ISFShader, hostCode: String = "", format: PixelFormat = .rgba8) throws {
        self.context = context
        self.shader = shader
        self.format = format
        name = URL(fileURLWithPath: shader.path).deletingPathExtension().lastPathComponent
        guard shader.header.hasInputImage else {
            throw EmpathyError.badFile(
                path: shader.path, line: 1,
                message: "header: a pass must take an image input named 'inputImage'; add { \"NAME\": \"inputImage\", \"TYPE\": \"image\" } to INPUTS")
        }
        self.hostCode = (format.isFloat ? "#define EMPATHY_FLOAT\n" : "") + hostCode
        try context.makeCurrent()
        program = try GL.link(
            vertex: GL.fullScreenVertexSource(version: GL.glslVersion(context)), vertexPath: "built-in full-screen vertex shader",
            fragment: shader.compilableText(version: GL.glslVersion(context), extra: self.hostCode), fragmentPath: shader.path)
        var vertexArray: GLuint = 0
        glGenVertexArrays(1, &vertexArray)
        self.vertexArray = vertexArray
        builtIns = BuiltInUniforms.Locations(program: program)
        for input in shader.header.inputs where input.type != .image { values[input.name] = input.defaultValue }
        lookUpLocations()
        try GL.check("setting up '\(shader.path)'")
    }

    private func lookUpLocations() {
        builtIns = BuiltInUniforms.Locations(program: program)
        imageUnits = []
        inputLocations = [:]
        targetLocations = [:]
        var unit: Int32 = 0
        for input in shader.header.inputs {
            let location = glGetUniformLocation(program, input.name)
            if input.type == .image {
                imageUnits.append((input.name, unit, location))
                unit += 1
            } else {
                inputLocations[input.name] = location
            }
        }
        for target in Set(shader.header.passes.compactMap(\.target)) {
            targetLocations[target] = glGetUniformLocation(program, target)
        }
    }

    /// Folds `next` into this pass's last draw (see `FoldablePass`):
    /// relinks the shader with its `main` wrapped so that it also writes
    /// `isf_fold(output)` to a second attachment. Returns false, changing
    /// nothing, when the shader's output cannot be given a location (it must
    /// declare one plain `out vec4 NAME;` or write `gl_FragColor`) or the
    /// GL cannot draw two attachments.
    @discardableResult
    public func fold(_ next: any FoldablePass) -> Bool {
        guard folded == nil, (try? context.makeCurrent()) != nil,
              let text = shader.foldableText(version: GL.glslVersion(context), extra: hostCode, foldCode: next.foldCode),
              let linked = try? GL.link(
                vertex: GL.fullScreenVertexSource(version: GL.glslVersion(context)), vertexPath: "built-in full-screen vertex shader",
                fragment: text, fragmentPath: shader.path)
        else { return false }
        glDeleteProgram(program)
        program = linked
        lookUpLocations()
        glUseProgram(program)
        next.linkFold(program: program)
        var framebuffer: GLuint = 0
        glGenFramebuffers(1, &framebuffer)
        folded = (next, nil, framebuffer)
        return true
    }

    deinit {
        guard (try? context.makeCurrent()) != nil else { return }
        for (_, pair) in buffers { pair.read.delete(); pair.write.delete() }
        output?.delete()
        if let folded {
            folded.output?.delete()
            var framebuffer = folded.framebuffer
            glDeleteFramebuffers(1, &framebuffer)
        }
        var vertexArray = vertexArray
        glDeleteVertexArrays(1, &vertexArray)
        glDeleteProgram(program)
        if copyProgram != 0 { glDeleteProgram(copyProgram) }
    }

    public func setParameter(_ name: String, _ value: Float) throws {
        try setParameter(name, [value])
    }

    /// Sets an input; a value outside `MIN`…`MAX` is clamped, a non-finite
    /// one is an error.
    public func setParameter(_ name: String, _ components: [Float]) throws {
        guard let input = shader.header.input(named: name), input.type != .image else {
            throw EmpathyError.invalidArgument("'\(shader.path)' has no parameter '\(name)'")
        }
        guard components.count == input.defaultValue.count, components.allSatisfy(\.isFinite) else {
            throw EmpathyError.invalidArgument(
                "'\(shader.path)' parameter '\(name)' takes \(input.defaultValue.count) finite numbers, got \(components)")
        }
        var clamped = components
        for c in clamped.indices {
            if let low = input.minimum?[c] { clamped[c] = max(clamped[c], low) }
            if let high = input.maximum?[c] { clamped[c] = min(clamped[c], high) }
        }
        values[name] = clamped
    }

    public func parameter(_ name: String) -> [Float]? { values[name] }

    /// Clears every persistent buffer (transparent black).
    public func resetFeedback() {
        for (_, pair) in buffers { pair.read.clear(); pair.write.clear() }
    }

    /// Copy instead of running the shader when its inputs make it the
    /// identity (`ISFHeader.identityWhenZero`). Off only to test that the copy is exact.
    public var copiesWhenIdentity = true

    /// This frame's inputs make the shader the identity.
    var isIdentityNow: Bool {
        copiesWhenIdentity && !shader.header.identityWhenZero.isEmpty && shader.header.identityWhenZero.allSatisfy { name in
            (values[name] ?? shader.header.input(named: name)?.defaultValue)?.first == 0
        }
    }

    public func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        try context.makeCurrent()
        if output?.width != width || output?.height != height || (folded != nil && folded?.output == nil) {
            try allocate(width: width, height: height)
        }
        if feedbackResetFrames > 0, frame.frameIndex % feedbackResetFrames == 0 { resetFeedback() }
        if isIdentityNow { return try renderIdentity(input: input, source: source, frame: frame, width: width, height: height) }
        glUseProgram(program)
        for input in shader.header.inputs where input.type != .image {
            guard let location = inputLocations[input.name], location >= 0, let value = values[input.name] else { continue }
            switch input.type {
            case .float: glUniform1f(location, value[0])
            case .bool, .event, .long: glUniform1i(location, GLint(value[0].rounded()))
            case .point2D: glUniform2f(location, value[0], value[1])
            case .color: glUniform4f(location, value[0], value[1], value[2], value[3])
            case .image: break
            }
        }
        for image in imageUnits {
            glActiveTexture(GLenum(GL_TEXTURE0 + image.unit))
            glBindTexture(GLenum(GL_TEXTURE_2D), image.name == "inputImage" ? input : source)
            glUniform1i(image.location, image.unit)
        }
        let firstTargetUnit = Int32(imageUnits.count)
        glBindVertexArray(vertexArray)
        var drawn: GLuint = 0
        for (index, pass) in shader.header.passes.enumerated() {
            BuiltInUniforms.set(builtIns, frame: frame, width: width, height: height, passIndex: index)
            for (k, target) in targetLocations.keys.sorted().enumerated() {
                guard let pair = buffers[target], let location = targetLocations[target], location >= 0 else { continue }
                glActiveTexture(GLenum(GL_TEXTURE0 + firstTargetUnit + Int32(k)))
                glBindTexture(GLenum(GL_TEXTURE_2D), pair.read.texture)
                glUniform1i(location, firstTargetUnit + Int32(k))
            }
            beforeDraw?(program)
            let destination: RenderTarget
            if let target = pass.target, let pair = buffers[target] {
                destination = pair.write
            } else if let output {
                destination = output
            } else {
                throw EmpathyError.message("'\(shader.path)': no buffer for pass \(index)")
            }
            let isLast = index == shader.header.passes.count - 1
            if isLast, let folded, let foldOutput = folded.output {
                // Both results in one draw: this pass's output at attachment
                // 0, the folded pass's at 1.
                try folded.pass.prepareFold(program: program)
                glBindFramebuffer(GLenum(GL_FRAMEBUFFER), folded.framebuffer)
                glFramebufferTexture2D(GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_TEXTURE_2D), destination.texture, 0)
                glFramebufferTexture2D(GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT1), GLenum(GL_TEXTURE_2D), foldOutput.texture, 0)
                var attachments = [GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_COLOR_ATTACHMENT1)]
                glDrawBuffers(2, &attachments)
                glViewport(0, 0, GLsizei(width), GLsizei(height))
                glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
                drawn = foldOutput.texture
            } else {
                glBindFramebuffer(GLenum(GL_FRAMEBUFFER), destination.framebuffer)
                glViewport(0, 0, GLsizei(width), GLsizei(height))
                glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
                drawn = destination.texture
            }
            if let target = pass.target, let pair = buffers[target] {
                buffers[target] = (pair.write, pair.read)
            }
        }
        try GL.check("drawing '\(shader.path)' on a \(width)x\(height) frame")
        return drawn
    }

    /// The shader's result when it is the identity, without running it: the
    /// input copied into the persistent buffer (next frame's feedback reads
    /// it, as it would read the shader's output), then the folded pass drawn
    /// on its own. Exact: a nearest-sampled copy is what the shader writes.
    private func renderIdentity(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        var result = input
        if let target = shader.header.passes.first?.target, let pair = buffers[target] {
            try copy(input, into: pair.write, width: width, height: height)
            buffers[target] = (pair.write, pair.read)
            result = pair.write.texture
        }
        if let folded { return try folded.pass.render(input: result, source: source, frame: frame, width: width, height: height) }
        return result
    }

    private var copyProgram: GLuint = 0

    /// Copies `texture` into `target`: a memory copy between 8-bit textures,
    /// a nearest-sampled draw otherwise (the upload is 8-bit, a float chain's buffers are not).
    private func copy(_ texture: GLuint, into target: RenderTarget, width: Int, height: Int) throws {
        if !format.isFloat {
            glCopyImageSubData(texture, GLenum(GL_TEXTURE_2D), 0, 0, 0, 0, target.texture, GLenum(GL_TEXTURE_2D), 0, 0, 0, 0,
                               GLsizei(width), GLsizei(height), 1)
        } else {
            if copyProgram == 0 { copyProgram = try GL.linkCopyProgram(context, flipRows: false) }
            GL.drawCopy(copyProgram, from: texture, into: target.framebuffer, width: width, height: height, vertexArray: vertexArray)
        }
        try GL.check("copying the input of '\(shader.path)', which is the identity at these inputs")
    }

    private func allocate(width: Int, height: Int) throws {
        for (_, pair) in buffers { pair.read.delete(); pair.write.delete() }
        output?.delete()
        buffers = [:]
        for pass in shader.header.passes {
            guard let target = pass.target else { continue }
            let bufferFormat = format.isFloat ? format : pass.float ? .rgba16f : .rgba8
            let pair = (try RenderTarget(width: width, height: height, format: bufferFormat),
                        try RenderTarget(width: width, height: height, format: bufferFormat))
            pair.0.clear()
            pair.1.clear()
            buffers[target] = pair
        }
        output = try RenderTarget(width: width, height: height, format: format)
        if let folded {
            folded.output?.delete()
            self.folded?.output = try RenderTarget(width: width, height: height, format: format)
        }
    }
}
