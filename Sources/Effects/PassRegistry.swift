import EmpathyCore
import Foundation
import Grading
import Rendering
import Synchronization

/// A pass with Swift code that a look names (`"pass": "particles"`): its
/// name, the look fields it reads, and how it is checked and built.
///
/// Adding one is one new file (the pass and its `PassType`) plus one line in
/// `PassRegistry.builtIn`; a host can also `PassRegistry.register` its own.
public struct PassType: Sendable {
    public var name: String
    /// One line for `empathy looks`.
    public var summary: String
    /// Look fields the pass reads besides `pass` and `parameters`, with a
    /// line of help each.
    public var fields: [(name: String, help: String)]
    /// The shader under shaders/ the pass runs, if any, and the host code
    /// `shaders check` compiles it with.
    public var shader: (path: String, hostCode: String)?
    /// Checks the fields when the look is loaded, before any work.
    public var validate: @Sendable (PassFields) throws -> Void
    /// Builds the pass for a render.
    public var make: @Sendable (PassFields, PassBuild) throws -> any EffectPass

    public init(name: String, summary: String, fields: [(name: String, help: String)] = [],
                shader: (path: String, hostCode: String)? = nil,
                validate: @escaping @Sendable (PassFields) throws -> Void = { _ in },
                make: @escaping @Sendable (PassFields, PassBuild) throws -> any EffectPass) {
        self.name = name
        self.summary = summary
        self.fields = fields
        self.shader = shader
        self.validate = validate
        self.make = make
    }
}

/// What a render gives a pass to build itself with.
public struct PassBuild {
    public var context: RenderContext
    public var timeline: any EmotionTimeline
    public var shadersDirectory: URL
    /// The chain's buffers: RGBA8, or half float for 16-bit PNG and OpenEXR.
    public var format: PixelFormat
}

/// The passes a look can name, in the order `empathy looks` lists them.
public enum PassRegistry {
    /// The shipped passes with Swift code.
    static let builtIn: [PassType] = [.emotionGrade, .particles, .lut]

    private static let added = Mutex<[PassType]>([])

    public static var all: [PassType] { builtIn + added.withLock { $0 } }

    public static func type(named name: String) -> PassType? { all.first { $0.name == name } }

    /// Adds a pass type; a name already taken is refused.
    public static func register(_ type: PassType) throws {
        try added.withLock { list in
            guard !(builtIn + list).contains(where: { $0.name == type.name }) else {
                throw EmpathyError.invalidArgument("a pass named '\(type.name)' is already registered")
            }
            list.append(type)
        }
    }
}

/// A look's pass entry: the fields besides `pass` and `parameters`, as
/// parsed JSON, with readers whose errors name the look and the field.
public struct PassFields: Sendable, Equatable {
    /// Where the entry is, for messages: the look file and `passes[N]`.
    public var lookPath: String
    public var entry: String
    public var values: [String: JSONValue]

    public init(lookPath: String, entry: String, values: [String: JSONValue]) {
        self.lookPath = lookPath
        self.entry = entry
        self.values = values
    }

    public func fail(_ field: String, _ message: String) -> EmpathyError {
        .badFile(path: lookPath, line: nil, message: "field '\(entry).\(field)': \(message)")
    }

    public func string(_ field: String, example: String) throws -> String {
        guard case .string(let text)? = values[field], !text.isEmpty else {
            throw fail(field, "expected a string, e.g. \(example)")
        }
        return text
    }

    /// An object of strings (`{ "rage": "neon-noir/rage" }`), not empty.
    public func stringMap(_ field: String, example: String) throws -> [String: String] {
        guard case .object(let object)? = values[field], !object.isEmpty else { throw fail(field, "expected \(example)") }
        return try object.mapValues { value in
            guard case .string(let text) = value else { throw fail(field, "expected \(example)") }
            return text
        }
    }

    /// A whole number ≥ 0, or `fallback` when the field is absent.
    public func wholeNumber(_ field: String, default fallback: UInt64) throws -> UInt64 {
        switch values[field] {
        case nil: return fallback
        case .integer(let number)? where number >= 0: return UInt64(number)
        case .number(let number)? where number >= 0 && number < 0x1p63 && number == number.rounded(): return UInt64(number)
        default: throw fail(field, "must be a whole number ≥ 0")
        }
    }

    /// The LUT a field names: a shipped look (`midnight`,
    /// `neon-noir/midnight`) or a `.cube` file, resolved as `--lut` is.
    public func lut(_ field: String) throws -> CubeLUT {
        try lut(named: try string(field, example: "\"neon-noir/midnight\""), field: field)
    }

    public func lut(named reference: String, field: String) throws -> CubeLUT {
        let path: String
        do {
            path = try LUTLibrary.resolve(reference)
        } catch {
            throw fail(field, "\(error)")
        }
        return try CubeFile.read(path: path)
    }
}

/// A JSON value, kept as parsed so that look entries stay Sendable and Equatable.
public enum JSONValue: Sendable, Equatable {
    case null, bool(Bool), integer(Int64), number(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    /// From `JSONSerialization`'s objects.
    init(_ any: Any) {
        switch any {
        case let value as NSNumber where isJSONBoolean(value): self = .bool(value.boolValue)
        case let value as NSNumber where "qlisc".contains(String(cString: value.objCType)): self = .integer(value.int64Value)
        case let value as NSNumber: self = .number(value.doubleValue)
        case let value as String: self = .string(value)
        case let value as [Any]: self = .array(value.map(JSONValue.init))
        case let value as [String: Any]: self = .object(value.mapValues(JSONValue.init))
        default: self = .null
        }
    }
}

/// One thing a look can run, for `empathy looks` and `empathy shaders check`.
public struct PassListing: Sendable {
    /// What a look writes: `"pass": name`, or `"shader": path` for an example.
    public var name: String
    /// "built in (Swift)", or the shader file under shaders/.
    public var location: String
    public var summary: String
    /// The shader file to check, when there is one.
    public var shader: URL?
}

extension PassRegistry {
    /// The registered passes, then the shader files in shaders/passes (named
    /// with `"pass"`) and shaders/isf (examples, named with `"shader"`) that
    /// no registered pass owns; each folder sorted by name.
    public static func listing(shadersDirectory: URL) -> [PassListing] {
        let owned = Set(all.compactMap { $0.shader?.path })
        var entries = all.map { type in
            PassListing(name: type.name, location: "built in (Swift)" + (type.shader.map { ", shaders/\($0.path)" } ?? ""),
                        summary: type.summary, shader: type.shader.map { shadersDirectory.appendingPathComponent($0.path) })
        }
        for folder in ["passes", "isf"] {
            let directory = shadersDirectory.appendingPathComponent(folder)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".frag") || $0.hasSuffix(".fs") }.sorted()
            for file in files where !owned.contains("\(folder)/\(file)") {
                let url = directory.appendingPathComponent(file)
                let description = (try? ISFShader.load(url))?.header.description ?? "(header does not parse; run empathy shaders check)"
                let name = folder == "passes" ? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent : "isf/\(file)"
                entries.append(PassListing(name: name, location: "shaders/\(folder)/\(file)", summary: description, shader: url))
            }
        }
        return entries
    }
}
