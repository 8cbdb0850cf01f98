import CEGL
import EmpathyCore
import Foundation
import Rendering

/// Runs passes one after another on a frame: upload, each pass's draw,
/// `glReadPixels` of the last. A look decides the passes and drives their
/// parameters (`LookRenderer`).
///
/// Upload: rows are uploaded as they are in memory; a top-down frame is then
/// drawn flipped into a frame-sized buffer, so every pass sees the picture
/// with row 0 at the bottom. The output comes back bottom-up (`.bottomUp`);
/// the PNG writer flips for free. A chain of pointwise passes (colour maps,
/// such as the grade) cannot tell which way up the rows are, so there a
/// top-down frame goes through unflipped and comes back top-down: one
/// upload, one draw and one read per frame.
///
/// Feedback: a pass with persistent buffers is cleared at every multiple of
/// its `feedbackResetFrames`, so frame f depends on the frames from
/// `warmUpStart(forFrameIndex: f)` to f. Render those first (in order) and
/// every frame has the same bytes however a range is chunked.
///
/// Not Sendable: GL objects belong to the context's thread.
public final class PassChain {
    public let context: RenderContext
    public private(set) var passes: [any EffectPass]

    private let flipProgram: GLuint
    private let vertexArray: GLuint
    private var uploadTexture: GLuint = 0
    private var flipped: RenderTarget?
    private var width = 0
    private var height = 0
    /// Every pass maps pixels alone (`PointwisePass`): a top-down frame goes
    /// through as it is and comes back top-down, no flip drawn.
    private let pointwiseOnly: Bool
    /// The rows' order of the last drawn frame's result.
    public private(set) var outputRowOrder = RowOrder.bottomUp
    /// When true, `draw` waits for the GL after each step and adds its time
    /// to `stageSeconds` ("upload", then each pass's name) — for benchmarks.
    public var timesStages = false
    public private(set) var stageSeconds: [(name: String, seconds: Double)] = []

    /// With `folding`, a pointwise pass (the emotion grade) right after an
    /// ISF pass is folded into that pass's last draw (`ISFPass.fold`); the
    /// pictures are the same within ±1 code value, one full-frame draw fewer.
    /// True when the passes render into floating-point buffers (made with
    /// `floatOutput`); read the result with `readBack(_:into:)` into a FloatImage.
    public let floatOutput: Bool

    public init(context: RenderContext, passes: [any EffectPass], folding: Bool = true, floatOutput: Bool = false) throws {
        self.context = context
        self.passes = passes
        self.floatOutput = floatOutput
        pointwiseOnly = !passes.isEmpty && passes.allSatisfy { $0 is any PointwisePass }
        if folding {
            for (previous, pass) in zip(passes, passes.dropFirst()) {
                guard let host = previous as? ISFPass, var foldable = pass as? any FoldablePass, !foldable.isFolded else { continue }
                if host.fold(foldable) { foldable.isFolded = true }
            }
        }
        for (index, pass) in passes.enumerated() {
            guard let particles = pass as? ParticlePass else { continue }
            if index == 0 {
                // The upload is redrawn every frame; only a later pass that
                // samples the untouched frame needs it kept.
                // In a floating-point chain the 8-bit upload would round the sparks.
                particles.mayDrawOnInput = !floatOutput && !passes.dropFirst().contains { $0.readsSource }
            } else {
                // After a folded pass, the picture is its host's result.
                let previous = passes[..<index].last { !(($0 as? any FoldablePass)?.isFolded ?? false) }
                particles.mayDrawOnInput = !(previous?.outputPersists ?? false)
            }
        }
        try context.makeCurrent()
        flipProgram = try GL.linkCopyProgram(context, flipRows: true)
        var vertexArray: GLuint = 0
        glGenVertexArrays(1, &vertexArray)
        self.vertexArray = vertexArray
    }

    deinit {
        guard (try? context.makeCurrent()) != nil else { return }
        flipped?.delete()
        var texture = uploadTexture
        if texture != 0 { glDeleteTextures(1, &texture) }
        var vertexArray = vertexArray
        glDeleteVertexArrays(1, &vertexArray)
        glDeleteProgram(flipProgram)
    }

    /// The first frame index that must be rendered (in order, up to
    /// `frameIndex`) for `frameIndex` to come out the same as in any other
    /// chunking: the latest feedback reset at or before it.
    public func warmUpStart(forFrameIndex frameIndex: Int) -> Int {
        var start = frameIndex
        for pass in passes where pass.feedbackResetFrames > 0 {
            start = min(start, frameIndex - frameIndex % pass.feedbackResetFrames)
        }
        return max(0, start)
    }

    /// Renders one frame through every pass; the result is `.bottomUp`, or
    /// as the frame's rows for a chain of pointwise passes.
    public func render(_ frame: RGBAImage, inputs: FrameInputs) throws -> RGBAImage {
        var output = RGBAImage.uninitialized(width: frame.width, height: frame.height, rowOrder: .bottomUp)
        let texture = try draw(frame, inputs: inputs)
        try readBack(texture, into: &output)
        return output
    }

    /// Renders one frame into what the encoders take: 8-bit, or floats in
    /// a floating-point chain. A new image each call (the last may still be
    /// encoding).
    public func renderFrame(_ frame: RGBAImage, inputs: FrameInputs) throws -> EncodableFrame {
        try readBackFrame(try draw(frame, inputs: inputs))
    }

    /// `texture` (a `draw` result) read into a new image: 8-bit, or floats
    /// in a floating-point chain.
    public func readBackFrame(_ texture: GLuint) throws -> EncodableFrame {
        if floatOutput {
            var output = FloatImage.uninitialized(width: width, height: height, rowOrder: outputRowOrder)
            try readBack(texture, into: &output)
            return .float(output)
        }
        var output = RGBAImage.uninitialized(width: width, height: height, rowOrder: outputRowOrder)
        try readBack(texture, into: &output)
        return .rgba8(output)
    }

    /// Uploads and draws; returns the texture holding the result (for timing
    /// the stages separately, with `readBack`).
    public func draw(_ frame: RGBAImage, inputs: FrameInputs) throws -> GLuint {
        try context.makeCurrent()
        if timesStages { glFinish(); stageClock = Date() }
        guard frame.pixels.count == frame.width * frame.height * 4, frame.width > 0, frame.height > 0 else {
            throw EmpathyError.invalidArgument("frame \(inputs.frameIndex + 1) has \(frame.pixels.count) bytes for \(frame.width)x\(frame.height) RGBA")
        }
        if frame.width != width || frame.height != height { try resize(width: frame.width, height: frame.height) }
        glActiveTexture(GLenum(GL_TEXTURE0))
        glBindTexture(GLenum(GL_TEXTURE_2D), uploadTexture)
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 4)
        frame.pixels.withUnsafeBytes { bytes in
            glTexSubImage2D(GLenum(GL_TEXTURE_2D), 0, 0, 0, GLsizei(width), GLsizei(height),
                            GLenum(GL_RGBA), GLenum(GL_UNSIGNED_BYTE), bytes.baseAddress)
        }
        var source = uploadTexture
        outputRowOrder = pointwiseOnly ? frame.rowOrder : .bottomUp
        if frame.rowOrder == .topDown, !pointwiseOnly, let flipped {
            GL.drawCopy(flipProgram, from: uploadTexture, into: flipped.framebuffer, width: width, height: height, vertexArray: vertexArray)
            source = flipped.texture
        }
        if timesStages { note(0, "upload") }
        var current = source
        for (index, pass) in passes.enumerated() {
            if let foldable = pass as? any FoldablePass, foldable.isFolded {
                if timesStages { note(index + 1, pass.name + " (folded)") }
                continue
            }
            current = try pass.render(input: current, source: source, frame: inputs, width: width, height: height)
            if timesStages { note(index + 1, pass.name) }
        }
        return current
    }

    /// `glReadPixels` of `texture` into `output`, in the rows' order of the
    /// last `draw` (`outputRowOrder`).
    public func readBack(_ texture: GLuint, into output: inout RGBAImage) throws {
        if output.width != width || output.height != height {
            output = RGBAImage(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 4), rowOrder: .bottomUp)
        }
        output.rowOrder = outputRowOrder
        output.pixels.withUnsafeMutableBytes { GL.readPixels(texture, width: width, height: height, type: GL_UNSIGNED_BYTE, into: $0) }
        try GL.check("reading back a \(width)x\(height) frame")
    }

    /// `glReadPixels` of `texture` into floats (rows as `readBack` into
    /// bytes): a
    /// floating-point pass's result as it is, the 8-bit upload (a chain that
    /// drew nothing) as code / 255.
    public func readBack(_ texture: GLuint, into output: inout FloatImage) throws {
        if texture == uploadTexture || texture == flipped?.texture {
            var bytes = RGBAImage.uninitialized(width: width, height: height, rowOrder: outputRowOrder)
            try readBack(texture, into: &bytes)
            output = FloatImage(bytes)
            return
        }
        if output.width != width || output.height != height {
            output = FloatImage.uninitialized(width: width, height: height, rowOrder: .bottomUp)
        }
        output.rowOrder = outputRowOrder
        output.pixels.withUnsafeMutableBytes { GL.readPixels(texture, width: width, height: height, type: GL_FLOAT, into: $0) }
        try GL.check("reading back a \(width)x\(height) float frame")
    }

    private var stageClock = Date()

    private func note(_ index: Int, _ name: String) {
        glFinish()
        let now = Date()
        if stageSeconds.count <= index { stageSeconds.append((name, 0)) }
        stageSeconds[index].seconds += now.timeIntervalSince(stageClock)
        stageClock = now
    }

    /// The same picture with rows bottom-up: a top-down frame flipped on the
    /// CPU (one row copy each, ~2 ms at 1080p), so that a decode thread can
    /// do it and the chain skips its flip draw.
    public static func bottomUp(_ image: RGBAImage) -> RGBAImage {
        guard image.rowOrder == .topDown else { return image }
        let rowBytes = image.width * 4, height = image.height
        let count = rowBytes * height
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            image.pixels.withUnsafeBufferPointer { source in
                guard let from = source.baseAddress, let to = out.baseAddress else { return }
                for y in 0..<height {
                    (to + (height - 1 - y) * rowBytes).update(from: from + y * rowBytes, count: rowBytes)
                }
            }
            initialized = count
        }
        return RGBAImage(width: image.width, height: height, pixels: pixels, rowOrder: .bottomUp)
    }

    /// Waits for the GL to finish (for timing stages).
    public func finish() { glFinish() }

    private func resize(width: Int, height: Int) throws {
        guard width <= context.maxTextureSize, height <= context.maxTextureSize else {
            throw EmpathyError.invalidArgument(
                "frame \(width)x\(height) is larger than this GL's \(context.maxTextureSize)-pixel texture limit (\(context.renderer)); scale the footage down")
        }
        if uploadTexture != 0 { glDeleteTextures(1, &uploadTexture) }
        glGenTextures(1, &uploadTexture)
        glBindTexture(GLenum(GL_TEXTURE_2D), uploadTexture)
        glTexStorage2D(GLenum(GL_TEXTURE_2D), 1, GLenum(GL_RGBA8), GLsizei(width), GLsizei(height))
        GL.setSampling(GLenum(GL_TEXTURE_2D), linear: false)
        flipped?.delete()
        flipped = try RenderTarget(width: width, height: height)
        self.width = width
        self.height = height
    }
}
