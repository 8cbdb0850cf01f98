import CEGL
import EmpathyCore
import Foundation

/// Building a program from source. Compile errors name the file and the
/// line the driver reported; sources that insert code before the file's own
/// text carry a `#line` directive, so it is the file's own line.
extension GL {
    /// Compiles both stages and links them. A compile error names the stage's
    /// path and the line the driver reported (sources that insert code carry
    /// `#line`, so it is the file's own line); a link error names `fragmentPath`.
    /// Every program in the project is built here.
    public static func link(vertex: String, vertexPath: String, fragment: String, fragmentPath: String) throws -> GLuint {
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
            throw EmpathyError.badFile(path: fragmentPath, line: nil, message: "does not link: \(firstLine(log))")
        }
        return program
    }

    private static func compile(_ kind: GLenum, _ source: String, path: String) throws -> GLuint {
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

    /// The first error of a driver's compile log, with its line when the log
    /// gives one. Mesa writes `0:42(5): error: …`; others `ERROR: 0:42: …`.
    public static func parseCompileLog(_ log: String) -> (line: Int?, message: String) {
        let lines = log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let first = lines.first(where: { $0.localizedCaseInsensitiveContains("error") }) ?? lines.first ?? "compile failed with no log"
        var rest = Substring(first)
        if rest.hasPrefix("ERROR: ") { rest = rest.dropFirst(7) }
        // "<string>:<line>[(<column>)]:<message>"
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

    private static func firstLine(_ log: String) -> String {
        log.split(separator: "\n").first.map(String.init) ?? "no log"
    }
}
