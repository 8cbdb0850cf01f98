import CEGL
import EmpathyCore
import Foundation
import Rendering

/// A frame-sized colour buffer: a texture and the framebuffer that draws
/// into it. Row 0 is the bottom of the picture.
final class RenderTarget {
    let texture: GLuint
    let framebuffer: GLuint
    let width: Int
    let height: Int

    init(width: Int, height: Int, float: Bool = false) throws {
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glBindTexture(GLenum(GL_TEXTURE_2D), texture)
        glTexStorage2D(GLenum(GL_TEXTURE_2D), 1, GLenum(float ? GL_RGBA16F : GL_RGBA8), GLsizei(width), GLsizei(height))
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
                "cannot render into a \(width)x\(height) \(float ? "RGBA16F" : "RGBA8") buffer (framebuffer status 0x\(String(status, radix: 16)))")
        }
    }

    /// Transparent black, as ISF hosts start every buffer.
    func clear() {
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), framebuffer)
        glViewport(0, 0, GLsizei(width), GLsizei(height))
        glClearColor(0, 0, 0, 0)
        glClear(GLbitfield(GL_COLOR_BUFFER_BIT))
    }

    /// Only call with the owning context current.
    func delete() {
        var texture = texture
        glDeleteTextures(1, &texture)
        var framebuffer = framebuffer
        glDeleteFramebuffers(1, &framebuffer)
    }
}

enum GL {
    /// The full-screen triangle every pass draws; `isf_FragNormCoord` runs
    /// 0…1 over the picture with y up.
    static func fullScreenVertexSource(version: String) -> String {
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

    static func setSampling(_ target: GLenum, linear: Bool) {
        let filter = GLint(linear ? GL_LINEAR : GL_NEAREST)
        glTexParameteri(target, GLenum(GL_TEXTURE_MIN_FILTER), filter)
        glTexParameteri(target, GLenum(GL_TEXTURE_MAG_FILTER), filter)
        glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_S), GLint(GL_CLAMP_TO_EDGE))
        glTexParameteri(target, GLenum(GL_TEXTURE_WRAP_T), GLint(GL_CLAMP_TO_EDGE))
    }

    static func check(_ doing: String) throws {
        let error = glGetError()
        guard error == GLenum(GL_NO_ERROR) else {
            throw EmpathyError.message("OpenGL error 0x\(String(error, radix: 16)) while \(doing)")
        }
    }

    static func link(vertex: String, vertexPath: String, fragment: String, fragmentPath: String) throws -> GLuint {
        try ShaderSource.linkProgram(vertex: vertex, vertexPath: vertexPath, fragment: fragment, fragmentPath: fragmentPath)
    }
}
