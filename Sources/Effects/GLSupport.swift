import CEGL
import EmpathyCore
import Foundation

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

    /// Compiles one shader; a compile error names `path` and the line the
    /// driver reported (the sources carry `#line` directives, so it is the
    /// file's own line).
    static func compile(_ kind: GLenum, _ source: String, path: String) throws -> GLuint {
        let shader = glCreateShader(kind)
        source.withCString { pointer in
            var sources: [UnsafePointer<GLchar>?] = [pointer]
            glShaderSource(shader, 1, &sources, nil)
        }
        glCompileShader(shader)
        var status: GLint = 0
        glGetShaderiv(shader, GLenum(GL_COMPILE_STATUS), &status)
        guard status == GL_TRUE else {
            let log = infoLog(shader, isProgram: false)
            glDeleteShader(shader)
            let (line, message) = parseCompileLog(log)
            throw EmpathyError.badFile(path: path, line: line, message: message)
        }
        return shader
    }

    static func link(vertex: String, vertexPath: String, fragment: String, fragmentPath: String) throws -> GLuint {
        let vertexShader = try compile(GLenum(GL_VERTEX_SHADER), vertex, path: vertexPath)
        defer { glDeleteShader(vertexShader) }
        let fragmentShader = try compile(GLenum(GL_FRAGMENT_SHADER), fragment, path: fragmentPath)
        defer { glDeleteShader(fragmentShader) }
        let program = glCreateProgram()
        glAttachShader(program, vertexShader)
        glAttachShader(program, fragmentShader)
        glLinkProgram(program)
        var status: GLint = 0
        glGetProgramiv(program, GLenum(GL_LINK_STATUS), &status)
        guard status == GL_TRUE else {
            let log = infoLog(program, isProgram: true)
            glDeleteProgram(program)
            let first = log.split(separator: "\n").first.map(String.init) ?? "no log"
            throw EmpathyError.badFile(path: fragmentPath, line: nil, message: "does not link: \(first)")
        }
        return program
    }

    /// The first error of a driver's compile log, with its line when the log
    /// gives one. Mesa writes `0:42(5): error: …`; others `ERROR: 0:42: …`.
    static func parseCompileLog(_ log: String) -> (line: Int?, message: String) {
        let lines = log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let first = lines.first(where: { $0.localizedCaseInsensitiveContains("error") }) ?? lines.first ?? "compile failed with no log"
        var rest = Substring(first)
        if rest.hasPrefix("ERROR: ") { rest = rest.dropFirst(7) }
        let parts = rest.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, Int(parts[0]) != nil {
            let lineField = parts[1].prefix(while: { $0.isNumber })
            if let line = Int(lineField) {
                let text = parts[2].trimmingCharacters(in: .whitespaces)
                return (line, text.isEmpty ? String(first) : text)
            }
        }
        return (nil, String(first))
    }

    private static func infoLog(_ object: GLuint, isProgram: Bool) -> String {
        var length: GLint = 0
        if isProgram {
            glGetProgramiv(object, GLenum(GL_INFO_LOG_LENGTH), &length)
        } else {
            glGetShaderiv(object, GLenum(GL_INFO_LOG_LENGTH), &length)
        }
        guard length > 0 else { return "" }
        var buffer = [GLchar](repeating: 0, count: Int(length) + 1)
        if isProgram {
            glGetProgramInfoLog(object, GLsizei(buffer.count), nil, &buffer)
        } else {
            glGetShaderInfoLog(object, GLsizei(buffer.count), nil, &buffer)
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
