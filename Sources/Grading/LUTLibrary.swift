import EmpathyCore
import Foundation
import Grading

/// Resolves what users type after `--lut`: a path to a `.cube` file, or the
/// name of a shipped look — `midnight`, `neon-noir/midnight` — looked up in
/// `shaders/luts/<set>/<name>.cube`.
public enum LUTLibrary {
    public struct Entry: Sendable, Equatable {
        /// `set/name`, e.g. `neon-noir/midnight`.
        public let qualifiedName: String
        public let path: String
    }

    /// Every shipped `.cube` file, sorted by qualified name.
    public static func shipped() throws -> [Entry] {
        let root = try ResourceLocator.lutsDirectory()
        let fm = FileManager.default
        var entries: [Entry] = []
        let sets = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        for set in sets.sorted() {
            let dir = root.appendingPathComponent(set)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let files = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            for file in files.sorted() where file.lowercased().hasSuffix(".cube") {
                let name = String(file.dropLast(5))
                entries.append(Entry(qualifiedName: "\(set)/\(name)", path: dir.appendingPathComponent(file).path))
            }
        }
        return entries
    }

    /// The path of the `.cube` file that `reference` names.
    public static func resolve(_ reference: String) throws -> String {
        let fm = FileManager.default
        let looksLikePath = reference.lowercased().hasSuffix(".cube") || reference.hasPrefix("/")
            || reference.hasPrefix("./") || reference.hasPrefix("../")
        if looksLikePath {
            guard fm.fileExists(atPath: reference) else {
                throw EmpathyError.invalidArgument(
                    "LUT file '\(reference)' does not exist; pass a .cube file or a look name (see 'empathy luts')")
            }
            return reference
        }
        let entries = try shipped()
        let wanted = reference.lowercased()
        let matches = entries.filter {
            $0.qualifiedName.lowercased() == wanted
                || $0.qualifiedName.lowercased().split(separator: "/").last.map(String.init) == wanted
        }
        if matches.count == 1 { return matches[0].path }
        if matches.count > 1 {
            throw EmpathyError.invalidArgument(
                "look '\(reference)' is ambiguous: \(matches.map(\.qualifiedName).joined(separator: ", ")); name the set too")
        }
        if fm.fileExists(atPath: reference) { return reference }
        let names = entries.map(\.qualifiedName).joined(separator: ", ")
        throw EmpathyError.invalidArgument(
            "unknown look '\(reference)'; choose one of: \(names), or pass a .cube file")
    }
}
