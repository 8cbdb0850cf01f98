import EmpathyCore
import Foundation

/// The JSON header of a pass shader, in the ISF 2.0 style: the leading
/// `/*{ … }*/` comment of the file.
///
/// Accepted keys: `DESCRIPTION`, `CREDIT`, `ISFVSN`, `VSN`, `CATEGORIES`,
/// `INPUTS`, `PASSES`, `IMPORTED` (rejected: images from files are not
/// supported), `RESET_INTERVAL` and `IDENTITY_WHEN_ZERO` (Empathy
/// extensions, see `feedbackResetFrames` and `identityWhenZero`). Unknown keys are kept out of the way, as ISF hosts do.
public struct ISFHeader: Sendable, Equatable {
    public enum InputType: String, Sendable, CaseIterable {
        case image, float, bool, long, color, point2D, event
    }

    public struct Input: Sendable, Equatable {
        public var name: String
        public var type: InputType
        /// Components of the default (1 for float/bool/long/event, 2 for
        /// point2D, 4 for color); empty for images.
        public var defaultValue: [Float]
        public var minimum: [Float]?
        public var maximum: [Float]?
    }

    public struct Pass: Sendable, Equatable {
        /// The buffer the pass writes; nil for the pass that writes the output.
        public var target: String?
        public var persistent: Bool
        /// A 16-bit float buffer instead of RGBA8.
        public var float: Bool
    }

    public var description: String?
    public var categories: [String]
    public var inputs: [Input]
    /// At least one; an ISF file without `PASSES` has one output pass.
    public var passes: [Pass]
    /// Persistent buffers are cleared to transparent black at every frame
    /// index that is a multiple of this, so that a frame depends on at most
    /// this many frames before it (and any frame range renders the same bytes
    /// however it is chunked). 0 when the shader has no persistent buffer.
    public var feedbackResetFrames: Int
    /// Float inputs that, all at 0, make the shader the identity: every
    /// output pixel, persistent buffer included, equals `inputImage` at the
    /// same pixel. The renderer then copies instead of running the shader
    /// (on a software rasterizer every branch of a shader runs, so an early
    /// return costs as much as the work it skips). The shader author states
    /// it; `ISFPassTests` checks it for the shipped shaders. Single-pass
    /// shaders only. Empty when not given.
    public var identityWhenZero: [String] = []

    public var hasInputImage: Bool { inputs.contains { $0.name == "inputImage" && $0.type == .image } }
    public var persistentTargets: [String] { passes.filter(\.persistent).compactMap(\.target) }

    public func input(named name: String) -> Input? { inputs.first { $0.name == name } }

    /// The default `RESET_INTERVAL` for shaders with persistent buffers.
    public static let defaultFeedbackResetFrames = 12

    /// Names the renderer declares itself (ISF built-ins and the biometric
    /// uniforms); an input may not reuse them.
    public static let reservedNames: Set<String> = Set(BuiltInUniforms.names + [
        "isf_FragNormCoord", "isf_FragColor", "main",
    ])

    /// The JSON text of a shader file's leading `/*{ … }*/` comment, nil
    /// when the file does not start with one.
    static func extractJSON(_ text: String, path: String) throws -> String? {
        let trimmed = text.drop(while: { $0.isWhitespace })
        guard trimmed.hasPrefix("/*") else { return nil }
        let afterOpen = trimmed.dropFirst(2).drop(while: { $0.isWhitespace })
        guard afterOpen.hasPrefix("{") else { return nil }
        guard let end = afterOpen.range(of: "*/") else {
            throw EmpathyError.badFile(path: path, line: 1, message: "the JSON header comment has no closing '*/'")
        }
        return String(afterOpen[afterOpen.startIndex..<end.lowerBound])
    }

    /// Parses and checks a header; errors name the file and the field.
    public static func parse(json: String, path: String) throws -> ISFHeader {
        func fail(_ message: String) -> EmpathyError {
            .badFile(path: path, line: 1, message: "header: \(message)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        } catch {
            throw fail("not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error.localizedDescription)); fix the /*{ … }*/ block")
        }
        guard let root = object as? [String: Any] else { throw fail("expected a JSON object in /*{ … }*/") }

        let description = root["DESCRIPTION"] as? String
        var categories: [String] = []
        if let raw = root["CATEGORIES"] {
            guard let list = raw as? [String] else { throw fail("CATEGORIES must be a list of strings") }
            categories = list
        }
        if root["IMPORTED"] != nil {
            throw fail("IMPORTED images are not supported; pass pictures as image INPUTS")
        }

        var inputs: [Input] = []
        if let raw = root["INPUTS"] {
            guard let list = raw as? [[String: Any]] else { throw fail("INPUTS must be a list of objects") }
            var seen = Set<String>()
            for (index, entry) in list.enumerated() {
                let field = "INPUTS[\(index)]"
                guard let name = entry["NAME"] as? String, !name.isEmpty else {
                    throw fail("\(field) has no NAME")
                }
                guard name.first.map({ $0.isLetter || $0 == "_" }) == true,
                    name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), name.allSatisfy(\.isASCII)
                else { throw fail("\(field).NAME '\(name)' is not a GLSL identifier") }
                guard !reservedNames.contains(name) else {
                    throw fail("\(field).NAME '\(name)' is a built-in uniform; rename the input")
                }
                guard seen.insert(name).inserted else { throw fail("\(field).NAME '\(name)' is declared twice") }
                guard let typeName = entry["TYPE"] as? String else { throw fail("\(field) '\(name)' has no TYPE") }
                guard let type = InputType(rawValue: typeName) else {
                    throw fail("\(field) '\(name)' has TYPE '\(typeName)'; use one of \(InputType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let width: Int
                switch type {
                case .image: width = 0
                case .float, .bool, .long, .event: width = 1
                case .point2D: width = 2
                case .color: width = 4
                }
                func numbers(_ key: String) throws -> [Float]? {
                    guard let value = entry[key] else { return nil }
                    if width == 0 { throw fail("\(field) '\(name)': an image input takes no \(key)") }
                    let list: [Any] = (value as? [Any]) ?? [value]
                    var result: [Float] = []
                    for item in list {
                        if isJSONBoolean(item), let bool = item as? Bool, type == .bool || type == .event {
                            result.append(bool ? 1 : 0)
                        } else if let number = item as? NSNumber, !isJSONBoolean(item) || type == .bool {
                            let float = number.floatValue
                            guard float.isFinite else { throw fail("\(field) '\(name)'.\(key) is not finite") }
                            result.append(float)
                        } else {
                            throw fail("\(field) '\(name)'.\(key) must be a number\(width > 1 ? " list of \(width)" : "")")
                        }
                    }
                    guard result.count == width else {
                        throw fail("\(field) '\(name)'.\(key) has \(result.count) numbers; a \(typeName) takes \(width)")
                    }
                    return result
                }
                let defaultValue = try numbers("DEFAULT") ?? [Float](repeating: 0, count: width)
                let minimum = try numbers("MIN")
                let maximum = try numbers("MAX")
                if let minimum, let maximum {
                    for c in 0..<width where minimum[c] > maximum[c] {
                        throw fail("\(field) '\(name)': MIN \(minimum[c]) is above MAX \(maximum[c])")
                    }
                    for c in 0..<width where defaultValue[c] < minimum[c] || defaultValue[c] > maximum[c] {
                        throw fail("\(field) '\(name)': DEFAULT \(defaultValue[c]) lies outside MIN…MAX \(minimum[c])…\(maximum[c])")
                    }
                }
                inputs.append(Input(name: name, type: type, defaultValue: defaultValue, minimum: minimum, maximum: maximum))
            }
        }

        var passes: [Pass] = []
        if let raw = root["PASSES"] {
            guard let list = raw as? [[String: Any]] else { throw fail("PASSES must be a list of objects") }
            var targets = Set<String>()
            for (index, entry) in list.enumerated() {
                let field = "PASSES[\(index)]"
                var target: String?
                if let value = entry["TARGET"] {
                    guard let name = value as? String, !name.isEmpty,
                        name.allSatisfy({ ($0.isLetter || $0.isNumber || $0 == "_") && $0.isASCII }),
                        name.first?.isNumber == false
                    else { throw fail("\(field).TARGET must be a GLSL identifier") }
                    guard !reservedNames.contains(name), !inputs.contains(where: { $0.name == name }) else {
                        throw fail("\(field).TARGET '\(name)' clashes with an input or built-in name")
                    }
                    target = name
                }
                if let target, !targets.insert(target).inserted {
                    throw fail("\(field).TARGET '\(target)' is written by an earlier pass; give each buffer one pass")
                }
                func flag(_ key: String) throws -> Bool {
                    guard let value = entry[key] else { return false }
                    if let bool = value as? Bool { return bool }
                    if let number = value as? NSNumber { return number.intValue != 0 }
                    throw fail("\(field).\(key) must be true or false")
                }
                let persistent = try flag("PERSISTENT")
                if persistent && target == nil {
                    throw fail("\(field) is PERSISTENT but has no TARGET; name the buffer it keeps")
                }
                for key in ["WIDTH", "HEIGHT"] where entry[key] != nil {
                    throw fail("\(field).\(key): buffers other than the frame size are not supported; remove \(key)")
                }
                passes.append(Pass(target: target, persistent: persistent, float: try flag("FLOAT")))
            }
            if let last = passes.last, last.target != nil {
                // ISF: the last pass draws the output even when it names a
                // target. A persistent last pass keeps its buffer, which is
                // then both the output and next frame's feedback (ISF's
                // one-step motion-blur form).
                if !last.persistent {
                    passes[passes.count - 1].target = nil
                } else if last.float {
                    throw fail("PASSES[\(passes.count - 1)] (the last pass) draws the 8-bit output and cannot be FLOAT; add a final pass that reads the buffer")
                }
            }
        }
        if passes.isEmpty { passes = [Pass(target: nil, persistent: false, float: false)] }

        var resetFrames = passes.contains(where: \.persistent) ? defaultFeedbackResetFrames : 0
        if let raw = root["RESET_INTERVAL"] {
            guard let number = raw as? NSNumber, !isJSONBoolean(raw), number.doubleValue == Double(number.intValue),
                (1...240).contains(number.intValue)
            else { throw fail("RESET_INTERVAL must be a whole number of frames from 1 to 240") }
            resetFrames = passes.contains(where: \.persistent) ? number.intValue : 0
        }
        var identity: [String] = []
        if let raw = root["IDENTITY_WHEN_ZERO"] {
            guard let names = raw as? [String], !names.isEmpty,
                  names.allSatisfy({ name in inputs.contains { $0.name == name && $0.type == .float } })
            else { throw fail("IDENTITY_WHEN_ZERO must list float inputs of this shader, e.g. [\"strength\"]") }
            guard passes.count == 1, inputs.contains(where: { $0.name == "inputImage" && $0.type == .image }) else {
                throw fail("IDENTITY_WHEN_ZERO needs a single-pass shader with an inputImage")
            }
            identity = names
        }
        return ISFHeader(description: description, categories: categories, inputs: inputs, passes: passes,
                         feedbackResetFrames: resetFrames, identityWhenZero: identity)
    }
}

/// True for JSON `true`/`false`. (On Linux, any NSNumber holding 0 or 1
/// casts to Bool, so `is Bool` cannot tell `1` from `true`.)
func isJSONBoolean(_ value: Any?) -> Bool {
    guard let number = value as? NSNumber else { return false }
    return String(cString: number.objCType) == "c"
}
