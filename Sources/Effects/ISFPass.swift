import CEGL
import EmpathyCore
import Foundation
import Rendering

/// One step of a pass chain on the GPU. Every pass takes the chain's current
/// picture (`input`) and the untouched frame (`source`), both frame-sized
/// textures with row 0 at the bottom, and returns the texture it drew into.
///
/// Not Sendable: passes use their context's GL objects, which belong to the
/// thread that created the context.
public protocol EffectPass: AnyObject {
    var name: String { get }
    /// Parameters a look may drive, with their ranges (nil = unbounded).
    var parameterRanges: [String: ClosedRange<Float>?] { get }
    /// 0 when the pass keeps nothing between frames; otherwise its persistent
    /// buffers are cleared at every frame index that is a multiple of it.
    var feedbackResetFrames: Int { get }
    /// True when the texture `render` returns is kept for the next frame
    /// (a persistent last pass): a later pass must not draw over it.
    var outputPersists: Bool { get }
    func setParameter(_ name: String, _ value: Float) throws
    func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint
}

extension EffectPass {
    public var outputPersists: Bool { false }
}

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
    public var outputPersists: Bool { shader.header.passes.last?.target != nil }

    private let program: GLuint
    private let vertexArray: GLuint
    private let builtIns: BuiltInUniforms.Locations
    private var values: [String: [Float]] = [:]
    private var inputLocations: [String: GLint] = [:]
    private var imageUnits: [(name: String, unit: Int32, location: GLint)] = []
    private var targetLocations: [String: GLint] = [:]
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
    public init(context: RenderContext, shader: ISFShader, hostCode: String = "") throws {
        self.context = context
        self.shader = shader
        name = URL(fileURLWithPath: shader.path).deletingPathExtension().lastPathComponent
        guard shader.header.hasInputImage else {
            throw EmpathyError.badFile(
                path: shader.path, line: 1,
                message: "header: a pass must take an image input named 'inputImage'; add { \"NAME\": \"inputImage\", \"TYPE\": \"image\" } to INPUTS")
        }
        try context.makeCurrent()
        let version = context.contextVersion == "3.2" ? "320 es" : "300 es"
        program = try GL.link(
            vertex: GL.fullScreenVertexSource(version: version), vertexPath: "built-in full-screen vertex shader",
            fragment: shader.compilableText(version: version, extra: hostCode), fragmentPath: shader.path)
        var vertexArray: GLuint = 0
        glGenVertexArrays(1, &vertexArray)
        self.vertexArray = vertexArray
        builtIns = BuiltInUniforms.Locations(program: program)
        var unit: Int32 = 0
        for input in shader.header.inputs {
            let location = glGetUniformLocation(program, input.name)
            if input.type == .image {
                imageUnits.append((input.name, unit, location))
                unit += 1
            } else {
                inputLocations[input.name] = location
                values[input.name] = input.defaultValue
            }
        }
        for target in Set(shader.header.passes.compactMap(\.target)) {
            targetLocations[target] = glGetUniformLocation(program, target)
        }
        try GL.check("setting up '\(shader.path)'")
    }

    deinit {
        guard (try? context.makeCurrent()) != nil else { return }
        for (_, pair) in buffers { pair.read.delete(); pair.write.delete() }
        output?.delete()
        var vertexArray = vertexArray
        glDeleteVertexArrays(1, &vertexArray)
        glDeleteProgram(program)
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

    public func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        try context.makeCurrent()
        if output?.width != width || output?.height != height { try allocate(width: width, height: height) }
        if feedbackResetFrames > 0, frame.frameIndex % feedbackResetFrames == 0 { resetFeedback() }
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
            glBindFramebuffer(GLenum(GL_FRAMEBUFFER), destination.framebuffer)
            glViewport(0, 0, GLsizei(width), GLsizei(height))
            glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
            if let target = pass.target, let pair = buffers[target] {
                buffers[target] = (pair.write, pair.read)
            }
            drawn = destination.texture
        }
        try GL.check("drawing '\(shader.path)' on a \(width)x\(height) frame")
        return drawn
    }

    private func allocate(width: Int, height: Int) throws {
        for (_, pair) in buffers { pair.read.delete(); pair.write.delete() }
        output?.delete()
        buffers = [:]
        for pass in shader.header.passes {
            guard let target = pass.target else { continue }
            let pair = (try RenderTarget(width: width, height: height, float: pass.float),
                        try RenderTarget(width: width, height: height, float: pass.float))
            pair.0.clear()
            pair.1.clear()
            buffers[target] = pair
        }
        output = try RenderTarget(width: width, height: height)
    }
}
