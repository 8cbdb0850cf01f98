import CEGL
import EmpathyCore
import Foundation

/// A pass's fragment shader as stored in `shaders/*.frag`: an ISF-style JSON
/// header comment (`/*{ "DESCRIPTION": …, "INPUTS": [ … ] }*/`), then a
/// `#version` line and GLSL ES. See shaders/README.md.
public struct ShaderSource {
    let path: String
    let text: String
    /// The parsed JSON header, nil when the file has none.
    let header: [String: Any]?
    /// 0-based index of the `#version` line.
    let versionLineIndex: Int

    static func load(_ url: URL) throws -> ShaderSource {
        let path = url.relativePath
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw EmpathyError.io(path: path, operation: "read shader", errno: errno)
        }
        close(descriptor)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw EmpathyError.io(path: path, operation: "read shader", errno: EISDIR)
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EmpathyError.io(path: path, operation: "read shader", errno: EIO)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmpathyError.badFile(path: path, line: nil, message: "not UTF-8 text; save the shader as UTF-8")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws -> ShaderSource {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let versionLineIndex = lines.firstIndex(where: {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("#version")
        }) else {
            throw EmpathyError.badFile(path: path, line: nil, message: "no #version line; start the GLSL with '#version 320 es'")
        }

        var header: [String: Any]?
        let trimmed = text.drop(while: { $0.isWhitespace })
        if trimmed.hasPrefix("/*{") {
            guard let end = trimmed.range(of: "}*/") else {
                throw EmpathyError.badFile(path: path, line: 1, message: "the JSON header comment has no closing '}*/'")
            }
            let json = trimmed[trimmed.index(trimmed.startIndex, offsetBy: 2)..<trimmed.index(after: end.lowerBound)]
            do {
                header = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            } catch {
                throw EmpathyError.badFile(
                    path: path, line: 1, message: "the JSON header is not valid JSON (\(error.localizedDescription)); fix the /*{ … }*/ block")
            }
        }
        return ShaderSource(path: path, text: text, header: header, versionLineIndex: versionLineIndex)
    }

    /// The source handed to the compiler: the file with its `#version` line
    /// replaced by `version` when given, a `#define` for each define inserted
    /// after it (`NAME` becomes `#define NAME 1`; `NAME VALUE` is kept as
    /// written), and a `#line` directive so that compile errors keep the
    /// file's own line numbers.
    func compilableText(version: String? = nil, defines: [String]) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let version { lines[versionLineIndex] = "#version \(version)" }
        var inserted = defines.map { $0.contains(" ") ? "#define \($0)" : "#define \($0) 1" }
        // GLSL ES 3.00 and later: after `#line n`, the next line is line n.
        inserted.append("#line \(versionLineIndex + 2)")
        lines.insert(contentsOf: inserted, at: versionLineIndex + 1)
        return lines.joined(separator: "\n")
    }

    /// Compiles and links a program; a fragment compile error names
    /// `fragmentPath` and the line the driver reported.
    static func buildProgram(
        vertex: String, fragment: ShaderSource, version: String?, defines: [String], fragmentPath: String
    ) throws -> GLuint {
        try linkProgram(vertex: vertex, vertexPath: "built-in full-screen vertex shader",
                        fragment: fragment.compilableText(version: version, defines: defines), fragmentPath: fragmentPath)
    }

    /// Compiles both stages and links them. A compile error names the stage's
    /// path and the line the driver reported (sources that insert code carry
    /// `#line`, so it is the file's own line); a link error names `fragmentPath`.
    /// Every pass in the project builds its program here.
    public static func linkProgram(vertex: String, vertexPath: String, fragment: String, fragmentPath: String) throws -> GLuint {
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
