import Effects
import EmpathyCore
import Foundation

/// What made a rendered sequence: `<out>/<stem>.render.json`, written beside
/// the frames when a render finishes, so the review page can name the clip,
/// the look, its LUTs, the track and the session, and find them again.
public struct RenderManifest: Codable, Sendable, Equatable {
    public var clip: String
    public var look: String
    public var lookPath: String
    public var passes: [String]
    public var luts: [String]
    public var track: String?
    public var session: String?
    public var sessionOffsetSeconds: Double?
    public var framesPerSecond: Double
    public var stem: String
    public var startNumber: Int
    public var padding: Int
    public var format: String
    public var renderer: String

    public static func path(inDirectory directory: String, stem: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("\(stem).render.json").path
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(String(decoding: try encoder.encode(self), as: UTF8.self) + "\n", to: path)
    }

    public static func read(path: String) throws -> RenderManifest {
        let text = try UserFile.text(path, what: "render manifest")
        do {
            return try JSONDecoder().decode(RenderManifest.self, from: Data(text.utf8))
        } catch {
            throw EmpathyError.badFile(path: path, line: nil, message:
                "is not a render manifest as 'empathy render' writes it (\(error.localizedDescription)); render the shot again")
        }
    }

    /// The LUTs a look's passes name (`lut`, `base` and each of `looks`), in pass order.
    public static func luts(of look: Look) -> [String] {
        look.passes.flatMap { pass -> [String] in
            guard case let .registered(_, fields) = pass.kind else { return [] }
            var names: [String] = []
            for key in ["lut", "base"] { if case let .string(name)? = fields.values[key] { names.append(name) } }
            if case let .object(looks)? = fields.values["looks"] {
                names += looks.keys.sorted().compactMap { if case let .string(name)? = looks[$0] { return name } else { return nil } }
            }
            return names
        }
    }
}
