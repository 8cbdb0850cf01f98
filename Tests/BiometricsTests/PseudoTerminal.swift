import Biometrics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal pair: tests play the device on `master`; the reader
/// opens `slavePath` like a real serial port.
final class PseudoTerminal: @unchecked Sendable {  // fd is only closed once, from the test thread
    let master: Int32
    let slavePath: String

    init() throws {
        // posix_openpt/unlockpt/ptsname do not import into Swift here; these
        // are their Linux ioctls (TIOCSPTLCK = _IOW('T', 0x31, int),
        // TIOCGPTN = _IOR('T', 0x30, unsigned int)).
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw EmpathyTestError("cannot create a pseudo-terminal: errno \(errno)")
        }
        slavePath = "/dev/pts/\(number)"
    }

    deinit { closeMaster() }

    private var closed = false

    func closeMaster() {
        if !closed {
            closed = true
            close(master)
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Reads what the host wrote to the device (non-blocking after `timeoutMs`).
    func receive(timeoutMs: Int32) -> String {
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMs) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }
}

/// Runs a reader on its own thread; `finish()` stops it and returns its error.
final class BackgroundReader: @unchecked Sendable {  // `lock` guards `error`
    let reader: SensorReader
    let log = EventLog()
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var error: Error?

    init(_ reader: SensorReader) {
        self.reader = reader
        let thread = Thread { [self] in
            do {
                try reader.run { self.log.append($0) }
            } catch {
                lock.lock()
                self.error = error
                lock.unlock()
            }
            done.signal()
        }
        thread.start()
    }

    /// Waits until `condition` holds on the events, up to `timeoutSeconds`.
    func wait(timeoutSeconds: Double, for condition: (EventLog) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if condition(log) { return true }
            usleep(10_000)
        }
        return condition(log)
    }

    /// Waits for `run` to return by itself (up to `timeoutSeconds`).
    func waitForExit(timeoutSeconds: Double) -> (exited: Bool, error: Error?) {
        let exited = done.wait(timeout: .now() + timeoutSeconds) == .success
        if exited { done.signal() }
        lock.lock()
        defer { lock.unlock() }
        return (exited, error)
    }

    @discardableResult
    func finish() -> Error? {
        reader.stop()
        return waitForExit(timeoutSeconds: 10).error
    }
}

extension EventLog {
    var connections: [(gapSeconds: Double?, firmware: String?, format: SensorFormat?)] {
        events.compactMap {
            guard case let .connected(_, firmware, format, gap, _) = $0 else { return nil }
            return (gap, firmware, format)
        }
    }

    var disconnections: [String] {
        events.compactMap {
            guard case let .disconnected(_, reason, _) = $0 else { return nil }
            return reason
        }
    }
}
