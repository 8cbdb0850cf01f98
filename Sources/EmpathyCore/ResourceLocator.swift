import Foundation

/// Finds the folders that ship beside the code: `shaders/` (with the LUT sets
/// in `shaders/luts/`), `looks/`, `pages/` (the review page), `footage/` and
/// `calibration/`.
///
/// Search order: `$EMPATHY_HOME`; then upwards from the running executable
/// (so `.build/release/empathy` finds the checkout it was built in); then
/// `<prefix>/share/empathy` next to an installed binary; then upwards from
/// the current directory.
public enum ResourceLocator {
    public static func root() throws -> URL {
        let fm = FileManager.default
        func isRoot(_ url: URL) -> Bool {
            fm.fileExists(atPath: url.appendingPathComponent("shaders/luts").path)
        }
        if let home = ProcessInfo.processInfo.environment["EMPATHY_HOME"], !home.isEmpty {
            let url = URL(fileURLWithPath: home)
            guard isRoot(url) else {
                throw EmpathyError.message(
                    "EMPATHY_HOME='\(home)' has no shaders/luts folder; point it at the Empathy Engine checkout or share/empathy")
            }
            return url
        }
        var starts: [URL] = []
        // The running binary itself (/proc/self/exe), not argv[0], which is a
        // bare name when the command was found on PATH.
        let exePath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        let exe = URL(fileURLWithPath: exePath).resolvingSymlinksInPath()
        starts.append(exe.deletingLastPathComponent())
        starts.append(exe.deletingLastPathComponent().appendingPathComponent("../share/empathy").standardized)
        starts.append(URL(fileURLWithPath: fm.currentDirectoryPath))
        for start in starts {
            var dir = start
            for _ in 0..<8 {
                if isRoot(dir) { return dir }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw EmpathyError.message(
            "cannot find the shaders/ folder; run from the Empathy Engine checkout or set EMPATHY_HOME")
    }

    public static func shadersDirectory() throws -> URL {
        try root().appendingPathComponent("shaders")
    }

    public static func lutsDirectory() throws -> URL {
        try root().appendingPathComponent("shaders/luts")
    }
}
