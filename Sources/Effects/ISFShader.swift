import EmpathyCore
import Foundation
import Rendering

/// A pass shader file: its ISF header and GLSL, and the source handed to the
/// compiler.
///
/// Two forms are accepted. Empathy passes (`shaders/passes/*.frag`) carry a
/// `#version 320 es` line and declare `out vec4 fragColor;` themselves.
/// Plain ISF files (`*.fs`, as other ISF hosts take them) have no `#version`
/// and write `gl_FragColor`; the host adds the version and an output
/// (`gl_FragColor` is renamed `isf_FragColor`). Either way the host declares
/// the ISF built-ins, the biometric uniforms, one uniform per `INPUTS` entry
/// and one sampler per `PASSES` target, then a `#line` directive, so compile
/// errors carry the file's own line numbers.
public struct ISFShader: Sendable {
    public let path: String
    public let text: String
    public let header: ISFHeader
    /// 0-based index of the `#version` line, nil for plain ISF.
    let versionLineIndex: Int?

    public static func load(_ url: URL) throws -> ISFShader {
        let path = url.relativePath
        guard let text = String(bytes: try UserFile.bytes(path, what: "shader"), encoding: .utf8) else {
            throw EmpathyError.badFile(path: path, line: nil, message: "not UTF-8 text; save the shader as UTF-8")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> ISFShader {
        let text = EditedText.normalized(text)
        guard let json = try ISFHeader.extractJSON(text, path: path) else {
            throw EmpathyError.badFile(
                path: path, line: 1, message: "no ISF header; start the file with a /*{ \"INPUTS\": [ … ] }*/ comment")
        }
        let header = try ISFHeader.parse(json: json, path: path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let versionLineIndex = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#version") }
        return ISFShader(path: path, text: text, header: header, versionLineIndex: versionLineIndex)
    }

    /// The declarations the host inserts: precision, built-ins, inputs,
    /// buffers, the ISF macros, and `extra` (host code of built-in passes).
    func prelude(extra: String) -> String {
        var lines = [
            "precision highp float;", "precision highp int;", "precision highp sampler2D;",
            "in vec2 isf_FragNormCoord;", BuiltInUniforms.glsl,
        ]
        for input in header.inputs {
            let type: String
            switch input.type {
            case .image: type = "sampler2D"
            case .float: type = "float"
            case .bool, .event: type = "bool"
            case .long: type = "int"
            case .color: type = "vec4"
            case .point2D: type = "vec2"
            }
            lines.append("uniform \(type) \(input.name);")
        }
        for target in Set(header.passes.compactMap(\.target)).sorted() {
            lines.append("uniform sampler2D \(target);")
        }
        lines += [
            "#define IMG_NORM_PIXEL(image, normCoord) texture(image, normCoord)",
            "#define IMG_PIXEL(image, pixelCoord) texture(image, (pixelCoord) / vec2(textureSize(image, 0)))",
            "#define IMG_THIS_PIXEL(image) texture(image, isf_FragNormCoord)",
            "#define IMG_THIS_NORM_PIXEL(image) texture(image, isf_FragNormCoord)",
            "#define IMG_SIZE(image) vec2(textureSize(image, 0))",
            "#define texture2D texture",
        ]
        if usesFragColorBuiltIn { lines.append("out vec4 isf_FragColor;") }
        if !extra.isEmpty { lines.append(extra) }
        return lines.joined(separator: "\n")
    }

    var usesFragColorBuiltIn: Bool { text.contains("gl_FragColor") }

    /// The source with a pointwise pass folded in (`ISFPass.fold`): the
    /// shader's output gets location 0, `isf_folded` location 1, the shader's
    /// `main` is renamed by the preprocessor and a new `main` calls it, then
    /// writes `isf_fold(output)`. Line numbers are kept. Nil when the output
    /// is not one plain `out vec4 NAME;` line (or `gl_FragColor`).
    func foldableText(version: String, extra: String, foldCode: String) -> String? {
        var output = "isf_FragColor"
        var text = self.text
        if !usesFragColorBuiltIn {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let declarations = lines.indices.filter { index in
                let words = lines[index].trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " || $0 == "\t" })
                return words.first == "out" && words.contains("vec4")
            }
            guard declarations.count == 1 else { return nil }
            let line = lines[declarations[0]].trimmingCharacters(in: .whitespaces)
            var words = line.dropLast(line.hasSuffix(";") ? 1 : 0).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.last == ";" { words.removeLast() }
            guard line.hasSuffix(";"), (3...4).contains(words.count), words[words.count - 2] == "vec4",
                  words.count == 3 || ["highp", "mediump", "lowp"].contains(words[1]),
                  let name = words.last, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            else { return nil }
            output = name
            lines[declarations[0]] = "layout(location = 0) " + line
            text = lines.joined(separator: "\n")
        }
        let shader = ISFShader(path: path, text: text, header: header, versionLineIndex: versionLineIndex)
        let hostCode = [extra, "layout(location = 1) out vec4 isf_folded;", foldCode, "#define main isf_host_main"]
            .filter { !$0.isEmpty }.joined(separator: "\n")
        var compiled = shader.compilableText(version: version, extra: hostCode)
        if usesFragColorBuiltIn {
            compiled = compiled.replacingOccurrences(of: "out vec4 isf_FragColor;", with: "layout(location = 0) out vec4 isf_FragColor;")
        }
        // Only the last pass's draw has the second attachment (and the folded
        // pass's table bound); earlier passes skip the work.
        let last = header.passes.count - 1
        return compiled + "\n#undef main\nvoid main() {\n    isf_host_main();\n"
            + "    if (PASSINDEX == \(last)) isf_folded = isf_fold(\(output));\n}\n"
    }

    /// The source handed to the compiler (see the type's comment).
    func compilableText(version: String, extra: String = "") -> String {
        var body = text
        if usesFragColorBuiltIn { body = body.replacingOccurrences(of: "gl_FragColor", with: "isf_FragColor") }
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let inserted = prelude(extra: extra)
        if let versionLineIndex {
            lines[versionLineIndex] = "#version \(version)"
            // After `#line n` the next line is line n (GLSL ES 3.00 and later).
            lines.insert(inserted + "\n#line \(versionLineIndex + 2)", at: versionLineIndex + 1)
            return lines.joined(separator: "\n")
        }
        return "#version \(version)\n\(inserted)\n#line 1\n" + lines.joined(separator: "\n")
    }
}

/// What `empathy shaders check` reports for a shader that passed.
public struct ShaderCheckReport: Sendable {
    public var path: String
    public var header: ISFHeader
    public var renderer: String

    /// Parses the header and compiles and links the shader headlessly as a
    /// pass; any error names the file (and the line where there is one).
    public static func check(_ url: URL, context: RenderContext) throws -> ShaderCheckReport {
        let shader = try ISFShader.load(url)
        // A registered pass's shader is compiled with the declarations its
        // Swift code gives it (a table, constants).
        let owner = PassRegistry.all.first { type in type.shader.map { url.standardized.path.hasSuffix("/" + $0.path) } ?? false }
        let hostCode = owner?.shader?.hostCode ?? ""
        _ = try ISFPass(context: context, shader: shader, hostCode: hostCode)
        return ShaderCheckReport(path: shader.path, header: shader.header, renderer: context.renderer)
    }

    public var summary: String {
        let inputs = header.inputs.map { input -> String in
            var text = "\(input.name) (\(input.type.rawValue)"
            if let low = input.minimum, let high = input.maximum {
                text += " \(low.map { "\($0)" }.joined(separator: ","))…\(high.map { "\($0)" }.joined(separator: ","))"
            }
            return text + ")"
        }
        var lines = ["\(path): OK on \(renderer)", "  inputs: \(inputs.joined(separator: ", "))",
                     "  passes: \(header.passes.count)"]
        if !header.persistentTargets.isEmpty {
            lines.append("  persistent: \(header.persistentTargets.joined(separator: ", ")) (reset every \(header.feedbackResetFrames) frames)")
        }
        return lines.joined(separator: "\n")
    }
}
