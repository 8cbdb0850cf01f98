import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A serial port in raw mode: 115200 baud (or as given), 8 data bits, no
/// parity, 1 stop bit, no flow control, opened with `O_NOCTTY` so it never
/// becomes the controlling terminal, and non-blocking (reads wait in `poll`).
///
/// Opening a USB Arduino raises DTR and resets it; the banner follows. Input
/// already queued is kept (a simulator's banner waits in its pty).
/// Used from one thread at a time.
public final class SerialPort {
    public let path: String
    private var descriptor: Int32

    public init(path: String, baudRate: Int = 115200) throws {
        self.path = path
        let fd = try retryingEINTR(path: path, operation: "open") {
            open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        }
        descriptor = fd
        do {
            try configure(baudRate: baudRate)
        } catch {
            Glibc.close(fd)
            descriptor = -1
            throw error
        }
    }

    deinit { close() }

    private func configure(baudRate: Int) throws {
        var st = stat()
        try retryingEINTR(path: path, operation: "inspect") { fstat(descriptor, &st) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SerialPortError.notATerminal(path: path) }
        guard isatty(descriptor) == 1 else { throw SerialPortError.notATerminal(path: path) }
        var options = termios()
        try retryingEINTR(path: path, operation: "read the settings of") { tcgetattr(descriptor, &options) }
        cfmakeraw(&options)
        options.c_cflag &= ~tcflag_t(CSIZE | PARENB | CSTOPB)
        options.c_cflag &= ~tcflag_t(CRTSCTS)
        options.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        options.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        // VMIN = 0, VTIME = 0: reads return what is there; poll does the waiting.
        withUnsafeMutableBytes(of: &options.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        let speed: speed_t
        switch baudRate {
        case 9600: speed = speed_t(B9600)
        case 57600: speed = speed_t(B57600)
        case 115200: speed = speed_t(B115200)
        case 230400: speed = speed_t(B230400)
        default: throw SerialPortError.system(path: path, operation: "set \(baudRate) baud on", errno: EINVAL)
        }
        try retryingEINTR(path: path, operation: "set the speed of") { cfsetispeed(&options, speed) }
        try retryingEINTR(path: path, operation: "set the speed of") { cfsetospeed(&options, speed) }
        try retryingEINTR(path: path, operation: "configure") { tcsetattr(descriptor, TCSANOW, &options) }
    }

    /// Waits up to `timeoutMs` for bytes and returns them ([] on timeout).
    /// Throws `.gone` when the device hung up (read 0, EIO, ENXIO, POLLHUP).
    public func read(timeoutMs: Int32) throws -> [UInt8] {
        guard descriptor >= 0 else { throw SerialPortError.gone(path: path, errno: EBADF) }
        var pfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = try retryingEINTR(path: path, operation: "wait for") { poll(&pfd, 1, timeoutMs) }
        if ready == 0 { return [] }
        let events = Int32(pfd.revents)
        if events & Int32(POLLIN) != 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { raw in
                // EAGAIN is not an error here: poll woke us spuriously.
                while true {
                    let n = Glibc.read(descriptor, raw.baseAddress, raw.count)
                    if n == -1 && errno == EINTR { continue }
                    if n == -1 && errno == EAGAIN { return 0 - 2 }
                    return n
                }
            }
            if count == -2 { return [] }
            if count == 0 { throw SerialPortError.gone(path: path, errno: 0) }
            if count < 0 { throw SerialPortError(errno: errno, path: path, operation: "read from") }
            return Array(buffer[0..<count])
        }
        if events & Int32(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw SerialPortError.gone(path: path, errno: 0)
        }
        return []
    }

    /// Writes all of `bytes` (a command to the firmware).
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = try bytes.withUnsafeBytes { raw in
                try retryingEINTR(path: path, operation: "write to") {
                    Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                }
            }
            offset += n
        }
    }

    public func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}
