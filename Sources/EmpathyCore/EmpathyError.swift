import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Errors shared by every module. Each message is one line that says what
/// failed, on what, and what to do; the command prints it as-is.
public enum EmpathyError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A system call failed on a file or device. The C error name stays
    /// findable in the message (e.g. `ENOENT`).
    case io(path: String, operation: String, errno: Int32)
    /// A file's contents are wrong. `line` is 1-based; nil when not line-based.
    case badFile(path: String, line: Int?, message: String)
    /// A user-supplied value is wrong.
    case invalidArgument(String)
    /// Anything else, already phrased for the user.
    case message(String)
    /// The run was asked to stop (Ctrl-C, SIGTERM); see `StopRequest`.
    case stopped(signal: Int32)
    /// A failure that may clear by itself (the GPU's context lost to a
    /// reset), phrased for the user; see `isTransient`.
    case transient(String)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            let name = EmpathyError.errnoName(code)
            return "cannot \(operation) '\(path)': \(String(cString: strerror(code))) (\(name))"
        case let .badFile(path, line, message):
            if let line { return "'\(path)' line \(line): \(message)" }
            return "'\(path)': \(message)"
        case let .invalidArgument(message), let .message(message), let .transient(message):
            return message
        case let .stopped(number):
            return "stopped by \(number == SIGINT ? "Ctrl-C" : number == SIGTERM ? "SIGTERM" : "signal \(number)"); complete frames are kept, run again to finish"
        }
    }

    public var errorDescription: String? { description }

    /// The C name of an errno value (`ENOENT`), for messages that keep the
    /// C error findable.
    public static func errnoName(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "ENOENT"
        case EACCES: return "EACCES"
        case EPERM: return "EPERM"
        case EEXIST: return "EEXIST"
        case ENOTDIR: return "ENOTDIR"
        case EISDIR: return "EISDIR"
        case ENOSPC: return "ENOSPC"
        case EROFS: return "EROFS"
        case EIO: return "EIO"
        case EINTR: return "EINTR"
        case ENXIO: return "ENXIO"
        case EBUSY: return "EBUSY"
        case ENODEV: return "ENODEV"
        case ENOTTY: return "ENOTTY"
        case EAGAIN: return "EAGAIN"
        case EINVAL: return "EINVAL"
        default: return "errno \(code)"
        }
    }
}

extension EmpathyError {
    /// The exit status of a failure worth retrying on a render farm
    /// (EX_TEMPFAIL in sysexits.h): the README's exit-code contract is 0 for
    /// success, this for transient failures, anything else permanent.
    public static let transientExitCode: Int32 = 75

    /// System errors that may clear without a change to the job: a full or
    /// over-quota disk, a shared file system that went away or stalled
    /// (stale handle, I/O error, network down, timed out).
    public static let transientErrnos: Set<Int32> = [ENOSPC, EDQUOT, ESTALE, EIO, ENOTCONN, ETIMEDOUT, EAGAIN, EHOSTDOWN,
                                                     EHOSTUNREACH, ENETDOWN, ENETUNREACH, ECONNRESET, ENOLINK, EREMOTEIO]

    /// Whether a farm should run the job again as it is.
    public var isTransient: Bool {
        switch self {
        case let .io(_, _, code): return Self.transientErrnos.contains(code)
        case .transient: return true
        default: return false
        }
    }
}

/// Whether `error` is one a farm should retry (`EmpathyError.isTransient`).
public func isTransientFailure(_ error: any Error) -> Bool {
    (error as? EmpathyError)?.isTransient ?? false
}
