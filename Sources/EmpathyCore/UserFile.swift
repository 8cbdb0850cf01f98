import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reading a file a user named (a LUT, a look, a track, a session, a
/// profile): the one place its errno becomes a message, so a folder reads
/// as EISDIR and a missing file as ENOENT whatever the reader, and a device
/// or pipe (`/dev/zero`) or a file over `maximumBytes` is refused instead of
/// read without end.
public enum UserFile {
    public static let maximumBytes = 1 << 30

    /// The whole file; `what` names it in messages ("look": "cannot read look 'x': …").
    public static func bytes(_ path: String, what: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EmpathyError.io(path: path, operation: "read \(what)", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EmpathyError.io(path: path, operation: "read \(what)", errno: errno) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw EmpathyError.io(path: path, operation: "read \(what)", errno: EISDIR)
        default: throw EmpathyError.badFile(path: path, line: nil, message: "is a device or a pipe, not a file; name a regular file")
        }
        guard Int(info.st_size) <= maximumBytes else {
            throw EmpathyError.badFile(path: path, line: nil, message: "is \(info.st_size / (1 << 20)) MiB, over the 1 GiB a \(what) file may be; is it the right file?")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= maximumBytes {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw EmpathyError.io(path: path, operation: "read \(what)", errno: errno)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
        throw EmpathyError.badFile(path: path, line: nil, message: "grew past 1 GiB while being read; is another program writing it?")
    }

    /// The file as text (invalid UTF-8 becomes U+FFFD; the parser then names the line).
    public static func text(_ path: String, what: String) throws -> String {
        String(decoding: try bytes(path, what: what), as: UTF8.self)
    }
}
