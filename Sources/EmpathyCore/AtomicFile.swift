import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader never sees a half-written one: the bytes go
/// to a hidden temporary file in the same folder, which is then renamed over
/// the destination (rename is atomic within a file system). There is no
/// fsync: after a power cut a frame may be missing or empty, and a re-run
/// redoes it (complete frames are recognised by their IEND chunk).
public enum AtomicFile {
    /// The temporary name used while `path` is being written.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return dir + "/." + url.lastPathComponent + ".\(getpid()).tmp"
    }

    /// For a temporary name `.<file>.<pid>.tmp[.<n>]` (see `temporaryPath`),
    /// the file it stands for and the process writing it; nil for any other name.
    public static func parseTemporaryName(_ name: String) -> (file: String, pid: pid_t)? {
        guard name.hasPrefix(".") else { return nil }
        var parts = name.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 4, parts[parts.count - 2] == "tmp", UInt64(parts[parts.count - 1]) != nil {
            parts.removeLast()
        }
        guard parts.count >= 3, parts[parts.count - 1] == "tmp", let pid = pid_t(parts[parts.count - 2]), pid > 0
        else { return nil }
        let file = parts[..<(parts.count - 2)].joined(separator: ".")
        return file.isEmpty ? nil : (file, pid)
    }

    /// True when no process `pid` runs on this machine.
    public static func isGone(_ pid: pid_t) -> Bool {
        pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes the temporary files of `path` left by processes that no longer
    /// run (a `kill -9`, a power cut); another live run's are kept.
    public static func removeStaleTemporaries(for path: String) {
        staleTemporaries(for: path).forEach(removeRegularFile)
    }

    /// The temporary files of `path` left by processes that no longer run, sorted.
    public static func staleTemporaries(for path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let target = url.lastPathComponent
        return staleTemporaries(in: url.deletingLastPathComponent().path) { $0 == target }
    }

    /// The temporary files in `folder` of the files `isTarget` names, left by processes that no longer run, sorted.
    public static func staleTemporaries(in folder: String, of isTarget: (String) -> Bool) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.sorted().compactMap { name in
            guard let (file, pid) = parseTemporaryName(name), isTarget(file), isGone(pid) else { return nil }
            return folder + "/" + name
        }
    }

    /// Keeps a killed writer's rows: `partial` (a file written line by line)
    /// is cut after its last newline and moved to `destination`, unless
    /// `hasRows` finds nothing worth keeping in what is left, when it is removed.
    /// True when it was kept.
    public static func keepCompleteLines(of partial: String, as destination: String,
                                         hasRows: (ArraySlice<UInt8>) -> Bool) throws -> Bool {
        let bytes = try UserFile.bytes(partial, what: "interrupted recording")
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")), hasRows(bytes[...end]) else {
            removeRegularFile(partial)
            return false
        }
        guard truncate(partial, off_t(end + 1)) == 0 else {
            throw EmpathyError.io(path: partial, operation: "cut the interrupted recording", errno: errno)
        }
        guard rename(partial, destination) == 0 else {
            throw EmpathyError.io(path: partial, operation: "keep the interrupted recording as '\(destination)'", errno: errno)
        }
        return true
    }

    /// `<stem>.interrupted-<n>.csv` beside `path` (`<stem>.csv`), the first `n`
    /// for which no file of `paths(candidate)` exists yet.
    public static func freeInterruptedName(for path: String, alongside paths: (String) -> [String] = { [$0] }) -> String {
        let stem = path.hasSuffix(".csv") ? String(path.dropLast(4)) : path
        var n = 1
        while paths("\(stem).interrupted-\(n).csv").contains(where: FileManager.default.fileExists(atPath:)) { n += 1 }
        return "\(stem).interrupted-\(n).csv"
    }

    /// Unlinks `path` if it is a plain file (never a link's target or a folder).
    public static func removeRegularFile(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
        unlink(path)
    }

    /// Calls `body` with a temporary path, then renames it to `path`. If `body`
    /// throws, the temporary file is removed and `path` is left untouched.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let tmp = temporaryPath(for: path) + ".\(UInt32.random(in: 0...UInt32.max))"
        do {
            try body(tmp)
            guard rename(tmp, path) == 0 else {
                throw EmpathyError.io(path: path, operation: "rename into place", errno: errno)
            }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: [UInt8], to path: String) throws {
        try write(to: path) { tmp in try create(tmp, with: data, reportingAs: path) }
    }

    /// Creates (or truncates) the file `file` and writes `data` to it; errors
    /// name `reportingAs` (the final path when `file` is a temporary one).
    public static func create(_ file: String, with data: [UInt8], reportingAs path: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EmpathyError.io(path: path, operation: "create", errno: errno) }
        defer { close(fd) }
        var written = 0
        try data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress!.advanced(by: written), raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw EmpathyError.io(path: path, operation: "write", errno: errno)
                }
                written += n
            }
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// `mkdir -p`: creates `path` and its missing parents.
    public static func makeDirectories(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw EmpathyError.message(
                    "cannot write into '\(path)': it is a file, not a folder; choose another output folder")
            }
            return
        }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) == 0 { continue }
            var code = errno
            var info = stat()
            if code == EEXIST, stat(prefix, &info) == 0 {
                if (info.st_mode & S_IFMT) == S_IFDIR { continue }
                code = ENOTDIR  // a file stands where a parent folder should be
            }
            let failure = EmpathyError.io(path: path, operation: "create output folder", errno: code)
            throw EmpathyError.message("\(failure) at '\(prefix)'; choose an output folder you can write to")
        }
    }

    /// Checks, before a long job, that `path` can be written when it ends:
    /// not a folder, its folder made (`makeDirectories`) and writable; and
    /// removes temporary files a killed run left for it.
    /// `what` names the file in messages ("emotion track").
    public static func prepareOutput(_ path: String, what: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw EmpathyError.message("cannot write the \(what) to '\(path)': it is a folder; name a file, e.g. '\(path)/out.csv'")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try makeDirectories(folder)
        guard access(folder, W_OK) == 0 else {
            throw EmpathyError.io(path: folder, operation: "write the \(what) into", errno: errno)
        }
        removeStaleTemporaries(for: path)
    }
}
