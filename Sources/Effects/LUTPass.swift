import CEGL
import EmpathyCore
import Foundation
import Grading
import Rendering

/// The colour grade of one `.cube` file (shaders/passes/lut.frag): what
/// `empathy grade` runs, and the `lut` pass of a look.
///
/// Per pixel, with x the input RGB as code / 255:
/// g = cube(shaper(x)); y = x + (g - x) * intensity;
/// out = clamp(floor(y * 255 + 0.5), 0, 255). Alpha passes through.
/// In floating point the buffer is RGBA32F and out = y unrounded, read back
/// as floats; each encoder rounds once, to its own format.
/// The 3D table uses tetrahedral interpolation and the shaper linear
/// interpolation, both read from RGBA32F tables with `texelFetch`, so the
/// result matches `CubeLUT.grade` (the CPU reference) within ±1 code value.
/// The tables live in texture buffers on OpenGL ES 3.2 (fastest on llvmpipe)
/// and in a 3D / 2D texture on OpenGL ES 3.0 or when a table is too large
/// for a buffer. A LUT is fixed for the pass's life, so its size and domain
/// mapping are compiled in as constants (uniforms cost llvmpipe ~30% more
/// instructions per pixel); intensity, which can change per frame, stays a
/// uniform.
public final class LUTPass: PointwisePass {
    public let name = "lut"
    public let feedbackResetFrames = 0
    public var context: RenderContext { isf.context }
    private let isf: ISFPass
    /// True when the LUT tables are texture buffers, false for 3D/2D textures.
    let tablesInBuffers: Bool
    private var cubeTexture: GLuint = 0
    private var shaperTexture: GLuint = 0
    /// Buffer objects behind the tables when `tablesInBuffers`.
    private var tableBuffers: [GLuint] = []
    private static let cubeUnit: Int32 = 5, shaperUnit: Int32 = 6

    public var parameterRanges: [String: ClosedRange<Float>?] { isf.parameterRanges }

    /// `format`: the buffer the pass draws into (RGBA32F keeps the LUT's
    /// precision for 16-bit PNG and OpenEXR).
    /// `allowTextureBuffers: false` forces the OpenGL ES 3.0 table layout.
    public init(context: RenderContext, lut: CubeLUT, shaderURL: URL, format: PixelFormat = .rgba8,
                allowTextureBuffers: Bool = true) throws {
        try context.makeCurrent()
        let inBuffers = allowTextureBuffers && Self.tablesFitInBuffers(lut, context: context)
        try Self.validate(lut, context: context, inBuffers: inBuffers)
        tablesInBuffers = inBuffers
        let defines = Self.defines(lut, inBuffers: inBuffers)
        isf = try ISFPass(context: context, shader: try ISFShader.load(shaderURL),
                          hostCode: defines.map { "#define \($0)" }.joined(separator: "\n"), format: format)
        try uploadTables(lut)
        isf.beforeDraw = { [cubeTexture, shaperTexture, inBuffers] _ in
            for (texture, unit, texture3D) in [(cubeTexture, Self.cubeUnit, true), (shaperTexture, Self.shaperUnit, false)]
            where texture != 0 {
                glActiveTexture(GLenum(GL_TEXTURE0 + unit))
                glBindTexture(GLenum(inBuffers ? GL_TEXTURE_BUFFER : texture3D ? GL_TEXTURE_3D : GL_TEXTURE_2D), texture)
            }
        }
    }

    deinit {
        guard (try? isf.context.makeCurrent()) != nil else { return }
        var textures = [cubeTexture, shaperTexture].filter { $0 != 0 }
        glDeleteTextures(GLsizei(textures.count), &textures)
        if !tableBuffers.isEmpty { glDeleteBuffers(GLsizei(tableBuffers.count), tableBuffers) }
    }

    /// `intensity`, 0…1 (clamped); NaN or infinity is an error.
    public func setParameter(_ name: String, _ value: Float) throws { try isf.setParameter(name, value) }

    public func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        try isf.render(input: input, source: source, frame: frame, width: width, height: height)
    }

    /// The table's size and domain mapping as constants, and the layout.
    private static func defines(_ lut: CubeLUT, inBuffers: Bool) -> [String] {
        var defines: [String] = []
        if let shaper = lut.shaper {
            defines += ["HAS_SHAPER 1", "SHAPER_SIZE \(shaper.size)",
                        "SHAPER_SCALE \(glslVector(shaper.latticeScale))", "SHAPER_OFFSET \(glslVector(shaper.latticeOffset))"]
        }
        if let cube = lut.cube {
            defines += ["HAS_CUBE 1", "CUBE_SIZE \(cube.size)",
                        "CUBE_SCALE \(glslVector(cube.latticeScale))", "CUBE_OFFSET \(glslVector(cube.latticeOffset))"]
        }
        if inBuffers { defines.append("TABLES_IN_BUFFERS 1") }
        return defines
    }

    /// Uploads the tables and points the program's samplers at their units.
    private func uploadTables(_ lut: CubeLUT) throws {
        try context.makeCurrent()
        if let cube = lut.cube {
            let texels = Self.rgbaTexels(cube.values)
            cubeTexture = tablesInBuffers
                ? try uploadBuffer(texels, what: "a \(cube.size)³ 3D LUT") : try Self.uploadCube(texels, size: cube.size)
        }
        var rowWidth = 0
        if let shaper = lut.shaper {
            let texels = Self.rgbaTexels(shaper.values)
            rowWidth = min(shaper.size, context.maxTextureSize)
            shaperTexture = tablesInBuffers
                ? try uploadBuffer(texels, what: "a \(shaper.size)-entry 1D shaper")
                : try Self.uploadShaper(texels, size: shaper.size, rowWidth: rowWidth)
        }
        glUseProgram(isf.program)
        glUniform1i(glGetUniformLocation(isf.program, "cubeTable"), Self.cubeUnit)
        glUniform1i(glGetUniformLocation(isf.program, "shaperTable"), Self.shaperUnit)
        glUniform1i(glGetUniformLocation(isf.program, "shaperRowWidth"), GLint(rowWidth))
        try GL.check("uploading the tables of '\(isf.shader.path)'")
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

    /// A texture buffer of RGBA32F texels.
    private func uploadBuffer(_ texels: [Float], what: String) throws -> GLuint {
        var buffer: GLuint = 0
        glGenBuffers(1, &buffer)
        tableBuffers.append(buffer)
        glBindBuffer(GLenum(GL_TEXTURE_BUFFER), buffer)
        texels.withUnsafeBytes { bytes in
            glBufferData(GLenum(GL_TEXTURE_BUFFER), bytes.count, bytes.baseAddress, GLenum(GL_STATIC_DRAW))
        }
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glBindTexture(GLenum(GL_TEXTURE_BUFFER), texture)
        glTexBuffer(GLenum(GL_TEXTURE_BUFFER), GLenum(GL_RGBA32F), buffer)
        glBindBuffer(GLenum(GL_TEXTURE_BUFFER), 0)
        try GL.check("uploading \(what)")
        return texture
    }

    private static func uploadCube(_ texels: [Float], size: Int) throws -> GLuint {
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glBindTexture(GLenum(GL_TEXTURE_3D), texture)
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 4)
        let side = GLsizei(size)
        texels.withUnsafeBytes { bytes in
            glTexImage3D(
                GLenum(GL_TEXTURE_3D), 0, GL_RGBA32F, side, side, side, 0,
                GLenum(GL_RGBA), GLenum(GL_FLOAT), bytes.baseAddress)
        }
        GL.setSampling(GLenum(GL_TEXTURE_3D), linear: false)
        try GL.check("uploading a \(size)³ 3D LUT")
        return texture
    }

    private static func uploadShaper(_ texels: [Float], size: Int, rowWidth: Int) throws -> GLuint {
        let rows = (size + rowWidth - 1) / rowWidth
        var padded = texels
        padded.append(contentsOf: repeatElement(0, count: (rows * rowWidth - size) * 4))
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glBindTexture(GLenum(GL_TEXTURE_2D), texture)
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 4)
        padded.withUnsafeBytes { bytes in
            glTexImage2D(
                GLenum(GL_TEXTURE_2D), 0, GL_RGBA32F, GLsizei(rowWidth), GLsizei(rows), 0,
                GLenum(GL_RGBA), GLenum(GL_FLOAT), bytes.baseAddress)
        }
        GL.setSampling(GLenum(GL_TEXTURE_2D), linear: false)
        try GL.check("uploading a \(size)-entry 1D shaper")
        return texture
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
}

extension PassType {
    static let lut = PassType(
        name: "lut", summary: "one .cube LUT (a 1D shaper and/or a 3D table), mixed with the picture by intensity",
        fields: [("lut", "a LUT name as for grade --lut (\"neon-noir/midnight\") or a .cube file")],
        shader: ("passes/lut.frag", "#define HAS_CUBE 1\n#define CUBE_SIZE 33\n#define CUBE_SCALE vec3(32.0)\n#define CUBE_OFFSET vec3(0.0)"),
        validate: { fields in _ = try fields.string("lut", example: "\"neon-noir/midnight\"") },
        make: { fields, build in
            try LUTPass(context: build.context, lut: try fields.lut("lut"),
                        shaderURL: build.shadersDirectory.appendingPathComponent("passes/lut.frag"), format: build.format)
        })
}
