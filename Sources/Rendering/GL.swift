import CEGL
import EmpathyCore
import Foundation

/// The GL helpers every pass uses: the GLSL version, the full-screen
/// triangle, one error check, sampling, and reading pixels back. Building a
/// program from source is in GLProgram.swift.
public enum GL {
    /// The GLSL ES version for `context`: 3.20 on an OpenGL ES 3.2 context,
    /// else 3.00 (shipped shaders keep their 3.2-only parts behind defines).
    public static func glslVersion(_ context: RenderContext) -> String {
        context.contextVersion == "3.2" ? "320 es" : "300 es"
    }

    /// The full-screen triangle every pass draws; `isf_FragNormCoord` runs
    /// 0…1 over the picture with y up.
    public static func fullScreenVertexSource(version: String) -> String {
        """
        #version \(version)
        out vec2 isf_FragNormCoord;
        void main() {
            vec2 position = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
            isf_FragNormCoord = position * 0.5 + 0.5;
            gl_Position = vec4(position, 0.0, 1.0);
        }
        """
    }

    /// A program that copies `inputImage` texel for texel, upside down with
    /// `flipRows` (nearest sampling at texel centres: exact).
    public static func linkCopyProgram(_ context: RenderContext, flipRows: Bool) throws -> GLuint {
        let version = glslVersion(context)
        let coordinate = flipRows ? "vec2(isf_FragNormCoord.x, 1.0 - isf_FragNormCoord.y)" : "isf_FragNormCoord"
        return try link(
            vertex: fullScreenVertexSource(version: version), vertexPath: "built-in full-screen vertex shader",
            fragment: """
                #version \(version)
                precision highp float;
                uniform sampler2D inputImage;
                in vec2 isf_FragNormCoord;
                out vec4 fragColor;
                void main() { fragColor = texture(inputImage, \(coordinate)); }
                """, fragmentPath: flipRows ? "built-in flip shader" : "built-in copy shader")
    }

    /// Draws `texture` through a program from `linkCopyProgram` into
    /// `framebuffer`: one full-screen triangle, the texture on unit 0.
    public static func drawCopy(_ program: GLuint, from texture: GLuint, into framebuffer: GLuint, width: Int, height: Int,
                                vertexArray: GLuint) {
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), framebuffer)
        glViewport(0, 0, GLsizei(width), GLsizei(height))
        glUseProgram(program)
        glActiveTexture(GLenum(GL_TEXTURE0))
        glBindTexture(GLenum(GL_TEXTURE_2D), texture)
        glUniform1i(glGetUniformLocation(program, "inputImage"), 0)
        glBindVertexArray(vertexArray)
        glDrawArrays(GLenum(GL_TRIANGLES), 0, 3)
    }

    public static func setSampling(_ target: GLenum, linear: Bool) {
        let filter = GLint(linear ? GL_LINEAR : GL_NEAREST)
        glTexParameteri(target, GLenum(GL_TEXTURE_MIN_FILTER), filter)
        glTexParameteri(target, GLenum(GL_TEXTURE_MAG_FILTER), filter)
        glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_S), GLint(GL_CLAMP_TO_EDGE))
        glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_T), GLint(GL_CLAMP_TO_EDGE))
        if target == GLenum(GL_TEXTURE_3D) { glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_R), GLint(GL_CLAMP_TO_EDGE)) }
    }

    /// Throws when the GL has recorded an error, naming it and what was
    /// being done; drains further queued errors so the next check starts clean.
    public static func check(_ doing: String) throws {
        let error = glGetError()
        guard error == GLenum(GL_NO_ERROR) else {
            while glGetError() != GLenum(GL_NO_ERROR) {}
            if error == GLenum(GL_CONTEXT_LOST) {
                throw EmpathyError.transient("the GPU's OpenGL ES context was lost while \(doing) (a GPU reset); run again")
            }
            let hint = error == GLenum(GL_OUT_OF_MEMORY) ? "; free memory or use a smaller LUT or frame" : ""
            throw EmpathyError.message("OpenGL ES failed while \(doing) (\(RenderContext.glErrorName(error)))\(hint)")
        }
    }

    /// `texture`'s RGBA pixels of `type` (GL_UNSIGNED_BYTE or GL_FLOAT) into
    /// `bytes`, row 0 at the bottom, through a framebuffer made for the read.
    public static func readPixels(_ texture: GLuint, width: Int, height: Int, type: Int32,
                                  into bytes: UnsafeMutableRawBufferPointer) {
        var framebuffer: GLuint = 0
        glGenFramebuffers(1, &framebuffer)
        defer { glDeleteFramebuffers(1, &framebuffer) }
        glBindFramebuffer(GLenum(GL_READ_FRAMEBUFFER), framebuffer)
        glFramebufferTexture2D(GLenum(GL_READ_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_TEXTURE_2D), texture, 0)
        glPixelStorei(GLenum(GL_PACK_ALIGNMENT), 4)
        glReadPixels(0, 0, GLsizei(width), GLsizei(height), GLenum(GL_RGBA), GLenum(type), bytes.baseAddress)
    }
}

/// How a pass stores a frame: 8-bit (the PNG path, rounded per pass),
/// half float (the float chain of `render`), or 32-bit float (the grade,
/// whose one pass must keep a LUT's precision for 16-bit PNG: llvmpipe
/// stores half floats by truncation, which would cap it at 11 bits).
public enum PixelFormat: String, Sendable {
    case rgba8 = "RGBA8", rgba16f = "RGBA16F", rgba32f = "RGBA32F"

    public var isFloat: Bool { self != .rgba8 }

    var internalFormat: GLenum {
        switch self {
        case .rgba8: return GLenum(GL_RGBA8)
        case .rgba16f: return GLenum(GL_RGBA16F)
        case .rgba32f: return GLenum(GL_RGBA32F)
        }
    }
}

/// A frame-sized colour buffer: a texture and the framebuffer that draws
/// into it. Row 0 is the bottom of the picture.
public final class RenderTarget {
    public let texture: GLuint
    public let framebuffer: GLuint
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int, format: PixelFormat = .rgba8) throws {
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glBindTexture(GLenum(GL_TEXTURE_2D), texture)
        glTexStorage2D(GLenum(GL_TEXTURE_2D), 1, format.internalFormat, GLsizei(width), GLsizei(height))
        GL.setSampling(GLenum(GL_TEXTURE_2D), linear: false)
        var framebuffer: GLuint = 0
        glGenFramebuffers(1, &framebuffer)
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), framebuffer)
        glFramebufferTexture2D(GLenum(GL_FRAMEBUFFER), GLenum(GL_COLOR_ATTACHMENT0), GLenum(GL_TEXTURE_2D), texture, 0)
        self.texture = texture
        self.framebuffer = framebuffer
        self.width = width
        self.height = height
        let status = glCheckFramebufferStatus(GLenum(GL_FRAMEBUFFER))
        guard status == GLenum(GL_FRAMEBUFFER_COMPLETE) else {
            throw EmpathyError.message(
                "cannot render into a \(width)x\(height) \(format.rawValue) buffer (framebuffer status 0x\(String(status, radix: 16)))")
        }
        try GL.check("allocating a \(width)x\(height) \(format.rawValue) buffer")
    }

    /// Transparent black, as ISF hosts start every buffer.
    public func clear() {
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), framebuffer)
        glViewport(0, 0, GLsizei(width), GLsizei(height))
        glClearColor(0, 0, 0, 0)
        glClear(GLbitfield(GL_COLOR_BUFFER_BIT))
    }

    /// Only call with the owning context current.
    public func delete() {
        var texture = texture
        glDeleteTextures(1, &texture)
        var framebuffer = framebuffer
        glDeleteFramebuffers(1, &framebuffer)
    }
}
