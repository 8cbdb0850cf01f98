import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong with a sensor's serial port. Every errno the port code
/// sees becomes one of these in `SerialPortError.init(errno:path:operation:)`,
/// the only place that maps them; the C name stays in the message.
public enum SerialPortError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The device node does not exist (`ENOENT`): not plugged in, or a typo.
    case notFound(path: String)
    /// `--sensor auto` found no USB device with a known VID:PID.
    case noneFound
    /// `EACCES` / `EPERM`: the user may not open the device.
    case permissionDenied(path: String)
    /// The path is not a terminal (`ENOTTY` from `tcgetattr`, `EISDIR`).
    case notATerminal(path: String)
    /// Another program holds the port (`EBUSY`).
    case busy(path: String)
    /// The device went away: read returned 0, `EIO`, `ENXIO`, `ENODEV` or poll
    /// reported `POLLHUP` / `POLLERR` (`errno` 0 when no errno was involved).
    case gone(path: String, errno: Int32)
    /// The device answered, but no banner or known line came in time.
    case noBanner(path: String, waitedSeconds: Double)
    /// Any other failing system call.
    case system(path: String, operation: String, errno: Int32)

    /// The one place that turns an errno into a typed error.
    public init(errno code: Int32, path: String, operation: String) {
        switch code {
        case ENOENT: self = .notFound(path: path)
        case EACCES, EPERM: self = .permissionDenied(path: path)
        case ENOTTY, EISDIR: self = .notATerminal(path: path)
        case EBUSY: self = .busy(path: path)
        case EIO, ENXIO, ENODEV: self = .gone(path: path, errno: code)
        default: self = .system(path: path, operation: operation, errno: code)
        }
    }

    /// True when waiting and retrying may help (the device may come back).
    public var isTransient: Bool {
        switch self {
        case .notFound, .noneFound, .gone, .busy: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case let .notFound(path):
            return "no sensor at '\(path)' (ENOENT): plug it in, or run `empathy sensor list` to see what is connected"
        case .noneFound:
            return "no pulse sensor found: --sensor auto looks for USB boards and USB-serial chips (Arduino 2341/2a03, CH340 1a86, FTDI 0403:6001, CP210x 10c4:ea60, Adafruit 239a); plug one in, or pass the device path"
        case let .permissionDenied(path):
            return "cannot open sensor '\(path)': permission denied (EACCES): add the user to the 'dialout' group (`sudo usermod -aG dialout $USER`) and log in again"
        case let .notATerminal(path):
            return "'\(path)' is not a serial port (ENOTTY): pass a tty such as /dev/ttyACM0, or --sensor auto"
        case let .busy(path):
            return "sensor '\(path)' is busy (EBUSY): close the other program using it (a serial monitor?)"
        case let .gone(path, code):
            let cause = code == 0 ? "hung up" : "\(String(cString: strerror(code))) (\(Self.errnoName(code)))"
            return "sensor '\(path)' went away: \(cause): check the cable"
        case let .noBanner(path, waited):
            return "sensor '\(path)' sent no banner or pulse data in \(String(format: "%.1f", waited)) s: is it a pulse sensor at 115200 baud running firmware/empathy_pulse (make -C firmware upload)?"
        case let .system(path, operation, code):
            return "cannot \(operation) sensor '\(path)': \(String(cString: strerror(code))) (\(Self.errnoName(code)))"
        }
    }

    public var errorDescription: String? { description }

    static func errnoName(_ code: Int32) -> String { EmpathyError.errnoName(code) }
}

/// Runs a system call, retrying while it fails with `EINTR`; any other
/// failure (a result of -1) becomes a `SerialPortError`.
@discardableResult
func retryingEINTR<Result: BinaryInteger>(
    path: String, operation: String, _ call: () -> Result
) throws -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SerialPortError(errno: code, path: path, operation: operation)
    }
}
