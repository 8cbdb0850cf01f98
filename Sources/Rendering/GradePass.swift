import CEGL
import EmpathyCore
import Foundation
import Grading

/// The colour-grade pass: one `.cube` look applied to RGBA8 frames on the GPU.
///
/// Per pixel, with x the input RGB as code / 255:
/// g = cube(shaper(x)); y = x + (g - x) * intensity;
/// out = clamp(floor(y * 255 + 0.5), 0, 255). Alpha passes through.
/// With `output: .float` the target is RGBA32F and out = y unrounded (or,
/// linear, y with the sRGB transfer function undone), read back as floats;
/// each encoder rounds once, to its own format.
/// The 3D table uses tetrahedral interpolation and the shaper linear
/// interpolation, both read from RGBA32F tables with `texelFetch`, so the
/// result matches `CubeLUT.grade` (the CPU reference) within ±1 code value.
/// The tables live in texture buffers on OpenGL ES 3.2 (fastest on llvmpipe)
/// and in a 3D / 2D texture on OpenGL ES 3.0 or when a table is too large
/// for a buffer.
///
/// One frame costs one texture upload (`glTexSubImage2D` while the size stays
/// the same), one draw of a full-screen triangle and one `glReadPixels`
/// straight into the output buffer.
///
/// Not Sendable: it uses its context's GL objects, which belong to the thread
/// that created the context.
public final class GradePass {
    /// What the pass writes: 8-bit code values (the PNG path), or floats
    /// that keep the LUT's precision (16-bit PNG and OpenEXR), optionally
    /// scene-linear (the sRGB transfer function undone).
    public enum Output: Sendable, Equatable {
        case unorm8
        case float(linear: Bool)
    }

    public let context: RenderContext
    public let shaderURL: URL
    public let output: Output

    private let program: GLuint
    private let vertexArray: GLuint
    private var cubeTexture: GLuint = 0
    private var shaperTexture: GLuint = 0
    /// Buffer objects behind the tables when `tablesInBuffers`.
    private var tableBuffers: [GLuint] = []
    /// True when the LUT tables are texture buffers, false for 3D/2D textures.
    let tablesInBuffers: Bool
    private let intensityLocation: GLint
    private let flipLocation: GLint

    private var frameTexture: GLuint = 0
    private var targetTexture: GLuint = 0
    private var framebuffer: GLuint = 0
    private var frameWidth = 0
    private var frameHeight = 0

    static func vertexSource(version: String) -> String {
        """
        #version \(version)
        // A triangle that covers the viewport; texture coordinates follow the
        // picture, flipped when the uploaded rows are top-down so that GL row 0
        // is the bottom of the picture either way.
        uniform float flipRows;
        out vec2 isf_FragNormCoord;
        void main() {
            vec2 position = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
            vec2 uv = position * 0.5 + 0.5;
            isf_FragNormCoord = vec2(uv.x, mix(uv.y, 1.0 - uv.y, flipRows));
            gl_Position = vec4(position, 0.0, 1.0);
        }
        """
    }

    public convenience init(context: RenderContext, lut: CubeLUT, shaderURL: URL, output: Output = .unorm8) throws {
        try self.init(context: context, lut: lut, shaderURL: shaderURL, allowTextureBuffers: true, output: output)
    }

    /// `allowTextureBuffers: false` forces the OpenGL ES 3.0 table layout
    /// (3D texture for the cube, 2D texture for the shaper).
    init(context: RenderContext, lut: CubeLUT, shaderURL: URL, allowTextureBuffers: Bool, output: Output = .unorm8) throws {
        self.context = context
        self.shaderURL = shaderURL
        self.output = output
        try context.makeCurrent()
        let inBuffers = allowTextureBuffers && Self.tablesFitInBuffers(lut, context: context)
        try Self.validate(lut, context: context, inBuffers: inBuffers)
        tablesInBuffers = inBuffers

        let fileSource = try ShaderSource.load(shaderURL)
        // A LUT is fixed for the pass's life, so its size and domain mapping
        // are compiled in as constants (uniforms cost llvmpipe ~30% more
        // instructions per pixel); intensity, which can change per frame,
        // stays a uniform.
        var defines: [String] = []
        if let shaper = lut.shaper {
            defines += ["HAS_SHAPER", "SHAPER_SIZE \(shaper.size)",
                        "SHAPER_SCALE \(Self.glslVector(shaper.latticeScale))",
                        "SHAPER_OFFSET \(Self.glslVector(shaper.latticeOffset))"]
        }
        if let cube = lut.cube {
            defines += ["HAS_CUBE", "CUBE_SIZE \(cube.size)",
                        "CUBE_SCALE \(Self.glslVector(cube.latticeScale))",
                        "CUBE_OFFSET \(Self.glslVector(cube.latticeOffset))"]
        }
        if inBuffers { defines.append("TABLES_IN_BUFFERS") }
        if case .float(let linear) = output {
            defines.append("FLOAT_OUTPUT")
            if linear { defines.append("LINEAR_OUTPUT") }
        }
        // The shader is GLSL ES 3.20; an OpenGL ES 3.0 context compiles it as
        // 3.00 (the 3.2-only parts sit behind TABLES_IN_BUFFERS).
        let version = context.contextVersion == "3.2" ? "320 es" : "300 es"
        let program = try ShaderSource.buildProgram(
            vertex: Self.vertexSource(version: version), fragment: fileSource, version: version, defines: defines,
            fragmentPath: shaderURL.relativePath)
        self.program = program

        var vertexArray: GLuint = 0
        glGenVertexArrays(1, &vertexArray)
        self.vertexArray = vertexArray

        glUseProgram(program)
        intensityLocation = glGetUniformLocation(program, "intensity")
        flipLocation = glGetUniformLocation(program, "flipRows")
        glUniform1i(glGetUniformLocation(program, "inputImage"), 0)

        if let cube = lut.cube {
            let texels = Self.rgbaTexels(cube.values)
            if inBuffers {
                cubeTexture = try uploadBuffer(texels, unit: 1, what: "a \(cube.size)³ 3D LUT")
            } else {
                cubeTexture = try Self.uploadCube(texels, size: cube.size)
            }
            glUniform1i(glGetUniformLocation(program, "cubeTable"), 1)
        }
        if let shaper = lut.shaper {
            let texels = Self.rgbaTexels(shaper.values)
            if inBuffers {
                shaperTexture = try uploadBuffer(texels, unit: 2, what: "a \(shaper.size)-entry 1D shaper")
            } else {
                let rowWidth = min(shaper.size, context.maxTextureSize)
                shaperTexture = try Self.uploadShaper(texels, size: shaper.size, rowWidth: rowWidth)
                glUniform1i(glGetUniformLocation(program, "shaperRowWidth"), GLint(rowWidth))
            }
            glUniform1i(glGetUniformLocation(program, "shaperTable"), 2)
        }
        try Self.checkGL("setting up the grade pass for '\(shaderURL.relativePath)'")
    }

    deinit {
        // GL objects belong to the context; deleting them needs it current.
        guard (try? context.makeCurrent()) != nil else { return }
        var textures = [frameTexture, targetTexture, cubeTexture, shaperTexture].filter { $0 != 0 }
        glDeleteTextures(GLsizei(textures.count), &textures)
        var framebuffer = framebuffer
        if framebuffer != 0 { glDeleteFramebuffers(1, &framebuffer) }
        if !tableBuffers.isEmpty { glDeleteBuffers(GLsizei(tableBuffers.count), tableBuffers) }
        var vertexArray = vertexArray
        glDeleteVertexArrays(1, &vertexArray)
        glDeleteProgram(program)
    }

    /// Renders one frame. Output rows come back bottom-up straight from
    /// `glReadPixels` (rowOrder `.bottomUp`) — the PNG writer flips for free.
    /// Accepts any input rowOrder and gives the same picture. Reuses the
    /// textures and framebuffer while the size is unchanged.
    ///
    /// `intensity` is clamped to 0...1; NaN or infinity is an error. `output`
    /// is reallocated only when its size differs from the frame's.
    public func render(_ frame: RGBAImage, intensity: Float, into output: inout RGBAImage) throws {
        guard self.output == .unorm8 else {
            throw EmpathyError.invalidArgument("this grade pass renders floats; read it into a FloatImage")
        }
        try draw(frame, intensity: intensity)
        try readBack(into: &output)
    }

    /// Renders one frame into floats (the pass must have been made with
    /// `output: .float`); rows come back bottom-up, as `render(_:intensity:into:)`.
    public func render(_ frame: RGBAImage, intensity: Float, into output: inout FloatImage) throws {
        guard case .float = self.output else {
            throw EmpathyError.invalidArgument("this grade pass renders 8-bit frames; make it with output .float for floating point")
        }
        try draw(frame, intensity: intensity)
        try readBack(into: &output)
    }

    /// Checks the intensity, uploads the frame and draws it.
    private func draw(_ frame: RGBAImage, intensity: Float) throws {
        guard intensity.isFinite else {
            throw EmpathyError.invalidArgument("grade intensity is \(intensity); give a number from 0 to 1")
        }
        try upload(frame)
        draw(intensity: intensity, rowOrder: frame.rowOrder)
    }

    public func render(_ frame: RGBAImage, intensity: Float) throws -> RGBAImage {
        var output = RGBAImage.uninitialized(width: frame.width, height: frame.height, rowOrder: .bottomUp)
        try render(frame, intensity: intensity, into: &output)
        return output
    }

    // MARK: - Stages (internal so tests can time them one by one)

    /// Makes the context current, resizes the frame texture and target when the
    /// size changed, and uploads the frame's rows as they are in memory.
    func upload(_ frame: RGBAImage) throws {
        try context.makeCurrent()
        if frame.width != frameWidth || frame.height != frameHeight {
            try resize(width: frame.width, height: frame.height)
        }
        glActiveTexture(GLenum(GL_TEXTURE0))
        glBindTexture(GLenum(GL_TEXTURE_2D), frameTexture)
        // Rows are width * 4 bytes, always a multiple of 4.
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 4)
        frame.pixels.withUnsafeBytes { bytes in
            glTexSubImage2D(
                GLenum(GL_TEXTURE_2D), 0, 0, 0, GLsizei(frame.width), GLsizei(frame.height),
                GLenum(GL_RGBA), GLenum(GL_UNSIGNED_BYTE), bytes.baseAddress)
        }
    }

    /// One full-screen triangle into the frame-sized target.
    func draw(intensity: Float, rowOrder: RowOrder) {
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), framebuffer)
        glViewport(0, 0, GLsizei(frameWidth), GLsizei(frameHeight))
        glUseProgram(program)
        glUniform1f(intensityLocation, min(max(intensity, 0), 1))
        glUniform1f(flipLocation, rowOrder == .topDown ? 1 : 0)
        glActiveTexture(GLenum(GL_TEXTURE0))
        glBindTexture(GLenum(GL_TEXTURE_2D), frameTexture)
        if cubeTexture != 0 {
            glActiveTexture(GLenum(GL_TEXTURE1))
            glBindTexture(GLenum(tablesInBuffers ? GL_TEXTURE_BUFFER : GL_TEXTURE_3D), cubeTexture)
        }
        if shaperTexture != 0 {
            glActiveTexture(GLenum(GL_TEXTURE2))
            glBindTexture(GLenum(tablesInBuffers ? GL_TEXTURE_BUFFER : GL_TEXTURE_2D), shaperTexture)
        }
        glBindVertexArray(vertexArray)
        glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
    }

    /// `glReadPixels` straight into `output` (row 0 = bottom of the picture).
    func readBack(into output: inout RGBAImage) throws {
        if output.width != frameWidth || output.height != frameHeight {
            output = RGBAImage(
                width: frameWidth, height: frameHeight,
                pixels: [UInt8](repeating: 0, count: frameWidth * frameHeight * 4), rowOrder: .bottomUp)
        }
        output.rowOrder = .bottomUp
        output.pixels.withUnsafeMutableBytes { readPixels(type: GL_UNSIGNED_BYTE, into: $0) }
        try Self.checkGL("rendering a \(frameWidth)x\(frameHeight) frame with '\(shaderURL.relativePath)'")
    }

    /// `glReadPixels` of the float target straight into `output` (RGBA /
    /// FLOAT, always readable from a float target under EXT_color_buffer_float).
    func readBack(into output: inout FloatImage) throws {
        if output.width != frameWidth || output.height != frameHeight {
            output = FloatImage.uninitialized(width: frameWidth, height: frameHeight, rowOrder: .bottomUp)
        }
        output.rowOrder = .bottomUp
        output.pixels.withUnsafeMutableBytes { readPixels(type: GL_FLOAT, into: $0) }
        try Self.checkGL("reading back a \(frameWidth)x\(frameHeight) float frame with '\(shaderURL.relativePath)'")
    }

    /// The target's RGBA pixels of type `type` into `bytes`, row 0 at the bottom.
    private func readPixels(type: Int32, into bytes: UnsafeMutableRawBufferPointer) {
        glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), framebuffer)
        glPixelStorei(GLenum(GL_PACK_ALIGNMENT), 4)
        glReadPixels(0, 0, GLsizei(frameWidth), GLsizei(frameHeight), GLenum(GL_RGBA), GLenum(type), bytes.baseAddress)
    }

    /// Waits until the GL has finished all work (for timing the stages).
    func finish() { glFinish() }

    // MARK: - Setup

    private func resize(width: Int, height: Int) throws {
        guard width <= context.maxTextureSize, height <= context.maxTextureSize else {
            throw EmpathyError.invalidArgument(
                "frame \(width)x\(height) is larger than this GL's \(context.maxTextureSize)-pixel texture limit (\(context.renderer)); scale the footage down")
        }
        var textures = [frameTexture, targetTexture].filter { $0 != 0 }
        if !textures.isEmpty { glDeleteTextures(GLsizei(textures.count), &textures) }
        var created: [GLuint] = [0, 0]
        glGenTextures(2, &created)
        frameTexture = created[0]
        targetTexture = created[1]
        // Floating point renders into RGBA32F: the encoders round once, to
        // their own format (llvmpipe stores RGBA16F by truncation, and half
        // floats would cap a 16-bit PNG at 11 bits).
        let targetFormat = output == .unorm8 ? GL_RGBA8 : GL_RGBA32F
        for (texture, format) in zip(created, [GL_RGBA8, targetFormat]) {
            glBindTexture(GLenum(GL_TEXTURE_2D), texture)
            glTexStorage2D(GLenum(GL_TEXTURE_2D), 1, GLenum(format), GLsizei(width), GLsizei(height))
            Self.setNearest(GLenum(GL_TEXTURE_2D))
        }
        if framebuffer == 0 { glGenFramebuffers(1, &framebuffer) }
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), framebuffer)
        glFramebufferTexture2D(
            GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_TEXTURE_2D), targetTexture, 0)
        let status = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER))
        try Self.checkGL("allocating a \(width)x\(height) frame")
        guard status == GLenum(GL_FRAMEBUFFER_COMPLETE) else {
            throw EmpathyError.message(
                "cannot render into a \(width)x\(height) \(output == .unorm8 ? "RGBA8" : "RGBA32F") target on \(context.renderer) (framebuffer status 0x\(String(status, radix: 16)))")
        }
        frameWidth = width
        frameHeight = height
    }

    /// Texture buffers need OpenGL ES 3.2 and room for every entry; the
    /// cube's entry index is computed in float, exact up to 2^24 = 256³.
    private static func tablesFitInBuffers(_ lut: CubeLUT, context: RenderContext) -> Bool {
        let limit = context.maxTextureBufferSize
        guard limit > 0 else { return false }
        if let cube = lut.cube, cube.size * cube.size * cube.size > min(limit, 1 << 24) { return false }
        if let shaper = lut.shaper, shaper.size > limit { return false }
        return true
    }

    private static func validate(_ lut: CubeLUT, context: RenderContext, inBuffers: Bool) throws {
        let name = lut.title.map { "LUT '\($0)'" } ?? "the LUT"
        func checkDomain(_ low: SIMD3<Float>, _ high: SIMD3<Float>, _ table: String) throws {
            for c in 0..<3 where !(high[c] > low[c]) || !low[c].isFinite || !high[c].isFinite {
                throw EmpathyError.invalidArgument(
                    "\(name): the \(table) domain runs from \(low[c]) to \(high[c]) in channel \(c); DOMAIN_MAX must be above DOMAIN_MIN")
            }
        }
        if let cube = lut.cube {
            guard cube.size >= 2 else {
                throw EmpathyError.invalidArgument("\(name): a 3D table needs at least 2 entries per side, found \(cube.size)")
            }
            guard inBuffers || cube.size <= context.max3DTextureSize else {
                throw EmpathyError.invalidArgument(
                    "\(name): a 3D table of size \(cube.size) exceeds this GL's 3D texture limit of \(context.max3DTextureSize) (\(context.renderer)); resample it to a smaller size such as 65")
            }
            try checkDomain(cube.domainMin, cube.domainMax, "3D")
        }
        if let shaper = lut.shaper {
            guard shaper.size >= 2 else {
                throw EmpathyError.invalidArgument("\(name): a 1D shaper needs at least 2 entries, found \(shaper.size)")
            }
            let rowWidth = min(shaper.size, context.maxTextureSize)
            guard (shaper.size + rowWidth - 1) / rowWidth <= context.maxTextureSize else {
                throw EmpathyError.invalidArgument("\(name): a 1D shaper of \(shaper.size) entries is too large for this GL")
            }
            try checkDomain(shaper.domainMin, shaper.domainMax, "1D")
        }
    }

    /// RGB triplets → RGBA texels (alpha 1): RGBA32F fetches faster than
    /// RGB32F on llvmpipe.
    private static func rgbaTexels(_ rgb: [Float]) -> [Float] {
        let count = rgb.count / 3
        var rgba = [Float](repeating: 1, count: count * 4)
        rgb.withUnsafeBufferPointer { source in
            rgba.withUnsafeMutableBufferPointer { target in
                for k in 0..<count {
                    target[4 * k] = source[3 * k]
                    target[4 * k + 1] = source[3 * k + 1]
                    target[4 * k + 2] = source[3 * k + 2]
                }
            }
        }
        return rgba
    }

    /// A texture buffer of RGBA32F texels on texture unit `unit`.
    private func uploadBuffer(_ texels: [Float], unit: Int32, what: String) throws -> GLuint {
        var buffer: GLuint = 0
        glGenBuffers(1, &buffer)
        tableBuffers.append(buffer)
        glBindBuffer(GLenum(GL_TEXTURE_BUFFER), buffer)
        texels.withUnsafeBytes { bytes in
            glBufferData(GLenum(GL_TEXTURE_BUFFER), bytes.count, bytes.baseAddress, GLenum(GL_STATIC_DRAW))
        }
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glActiveTexture(GLenum(GL_TEXTURE0 + unit))
        glBindTexture(GLenum(GL_TEXTURE_BUFFER), texture)
        glTexBuffer(GLenum(GL_TEXTURE_BUFFER), GLenum(GL_RGBA32F), buffer)
        glBindBuffer(GLenum(GL_TEXTURE_BUFFER), 0)
        try Self.checkGL("uploading \(what)")
        return texture
    }

    private static func uploadCube(_ texels: [Float], size: Int) throws -> GLuint {
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glActiveTexture(GLenum(GL_TEXTURE1))
        glBindTexture(GLenum(GL_TEXTURE_3D), texture)
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 4)
        let side = GLsizei(size)
        texels.withUnsafeBytes { bytes in
            glTexImage3D(
                GLenum(GL_TEXTURE_3D), 0, GL_RGBA32F, side, side, side, 0,
                GLenum(GL_RGBA), GLenum(GL_FLOAT), bytes.baseAddress)
        }
        setNearest(GLenum(GL_TEXTURE_3D))
        glTexParameteri(GLenum(GL_TEXTURE_3D), GLenum(GL_TEXTURE_WRAP_R), GL_CLAMP_TO_EDGE)
        try checkGL("uploading a \(size)³ 3D LUT")
        return texture
    }

    private static func uploadShaper(_ texels: [Float], size: Int, rowWidth: Int) throws -> GLuint {
        let rows = (size + rowWidth - 1) / rowWidth
        var padded = texels
        padded.append(contentsOf: repeatElement(0, count: (rows * rowWidth - size) * 4))
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glActiveTexture(GLenum(GL_TEXTURE2))
        glBindTexture(GLenum(GL_TEXTURE_2D), texture)
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 4)
        padded.withUnsafeBytes { bytes in
            glTexImage2D(
                GLenum(GL_TEXTURE_2D), 0, GL_RGBA32F, GLsizei(rowWidth), GLsizei(rows), 0,
                GLenum(GL_RGBA), GLenum(GL_FLOAT), bytes.baseAddress)
        }
        setNearest(GLenum(GL_TEXTURE_2D))
        try checkGL("uploading a \(size)-entry 1D shaper")
        return texture
    }

    private static func setNearest(_ target: GLenum) {
        glTexParameteri(target, GLenum(GL_TEXTURE_MIN_FILTER), GL_NEAREST)
        glTexParameteri(target, GLenum(GL_TEXTURE_MAG_FILTER), GL_NEAREST)
        glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_S), GL_CLAMP_TO_EDGE)
        glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_T), GL_CLAMP_TO_EDGE)
    }

    /// A GLSL `vec3` literal that reads back as exactly `value` (9 significant
    /// digits round-trip a Float).
    static func glslVector(_ value: SIMD3<Float>) -> String {
        func literal(_ x: Float) -> String {
            let text = String(format: "%.9g", Double(x))
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        }
        return "vec3(\(literal(value.x)), \(literal(value.y)), \(literal(value.z)))"
    }

    static func checkGL(_ operation: String) throws {
        let error = glGetError()
        guard error == GLenum(GL_NO_ERROR) else {
            // Drain any further queued errors so the next check starts clean.
            while glGetError() != GLenum(GL_NO_ERROR) {}
            let hint = error == GLenum(GL_OUT_OF_MEMORY) ? "; free memory or use a smaller LUT or frame" : ""
            throw EmpathyError.message("OpenGL ES failed while \(operation) (\(RenderContext.glErrorName(error)))\(hint)")
        }
    }
}
