import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where to read a sensor from: a device path, or the first known USB device.
public enum SensorSource: Sendable, Equatable, CustomStringConvertible {
    case path(String)
    case auto

    public init(argument: String) {
        self = argument == "auto" ? .auto : .path(argument)
    }

    public var description: String {
        switch self {
        case let .path(path): return path
        case .auto: return "auto"
        }
    }
}

public struct SensorReaderOptions: Sendable {
    /// How long to wait for the banner (or, for PulseSensor Playground
    /// sensors, three good lines) after opening; `?` is sent half-way.
    public var bannerTimeoutSeconds = 4.0
    /// Keep running after the device goes, reconnecting when it returns.
    public var reconnect = true
    /// Reconnect attempts start after this delay and double up to the maximum.
    public var initialBackoffSeconds = 0.05
    public var maximumBackoffSeconds = 2.0
    public var baudRate = 115200

    public init() {}
}

/// A line as received, with the host time it arrived and what it meant.
public struct SensorLine: Sendable, Equatable {
    public var hostTimeSeconds: Double
    public var text: String
    public var verdict: LineVerdict

    public init(hostTimeSeconds: Double, text: String, verdict: LineVerdict) {
        self.hostTimeSeconds = hostTimeSeconds
        self.text = text
        self.verdict = verdict
    }
}

public enum SensorEvent: Sendable, Equatable {
    /// The device answered. `gapSeconds` is the time since it went away (nil
    /// on the first connection).
    case connected(path: String, firmware: String?, format: SensorFormat?, gapSeconds: Double?, hostTimeSeconds: Double)
    case line(SensorLine)
    /// The device went away; a gap starts.
    case disconnected(path: String, reason: String, hostTimeSeconds: Double)
}

/// How many lines were accepted, ignored and rejected (by reason), and how
/// often the device went away and came back.
public struct SensorReaderCounts: Sendable, Equatable {
    public var accepted = 0
    public var ignored = 0
    public var rejected: [RejectReason: Int] = [:]
    public var disconnects = 0
    public var reconnects = 0

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
}

/// Reads a pulse sensor over serial, surviving unplugging: when the device
/// goes (read 0, EIO, ENXIO, POLLHUP) it reports a gap, then tries to reopen
/// it with exponential backoff (woken early by udev where a udev daemon
/// runs) until `stop()`.
///
/// Shared across threads (`stop()` and `counts` from any thread, `run` on one):
/// `lock` guards `stopRequested` and `countsStorage`.
public final class SensorReader: @unchecked Sendable {
    public let source: SensorSource
    public let options: SensorReaderOptions
    /// Wall-clock time of host time 0.
    public let startDate: Date

    private let lock = NSLock()
    private var stopRequested = false
    private var countsStorage = SensorReaderCounts()
    private let startMonotonicSeconds: Double

    public init(source: SensorSource, options: SensorReaderOptions = SensorReaderOptions()) {
        self.source = source
        self.options = options
        startDate = Date()
        startMonotonicSeconds = Self.monotonicSeconds()
    }

    public func stop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
    }

    public var counts: SensorReaderCounts {
        lock.lock()
        defer { lock.unlock() }
        return countsStorage
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    private func updateCounts(_ body: (inout SensorReaderCounts) -> Void) {
        lock.lock()
        body(&countsStorage)
        lock.unlock()
    }

    /// Seconds since this reader was created (monotonic clock).
    public var hostTimeSeconds: Double { Self.monotonicSeconds() - startMonotonicSeconds }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Reads until `stop()` (or, without `reconnect`, until the device goes),
    /// calling `handler` on this thread. Throws when the first connection
    /// fails; later failures only delay reconnection.
    public func run(_ handler: (SensorEvent) -> Void) throws {
        var port: SerialPort, framer: LineFramer, parser: LineParser
        do {
            (port, framer, parser) = try connect(handler: handler, gapStart: nil)
        } catch is Stopped {
            return
        }
        while !isStopped {
            do {
                let bytes = try port.read(timeoutMs: 100)
                deliver(bytes, framer: &framer, parser: &parser, handler: handler)
            } catch let error as SerialPortError {
                port.close()
                let goneAt = hostTimeSeconds
                updateCounts { $0.disconnects += 1 }
                handler(.disconnected(path: port.path, reason: error.description, hostTimeSeconds: goneAt))
                guard options.reconnect, let next = reconnect(handler: handler, gapStart: goneAt) else { return }
                (port, framer, parser) = next
                updateCounts { $0.reconnects += 1 }
            }
        }
        port.close()
    }

    private func deliver(_ bytes: [UInt8], framer: inout LineFramer, parser: inout LineParser,
                         handler: (SensorEvent) -> Void) {
        guard !bytes.isEmpty else { return }
        let now = hostTimeSeconds
        for piece in framer.append(bytes) {
            let line = classify(piece, parser: &parser, hostTime: now)
            handler(.line(line))
        }
    }

    private func classify(_ piece: LineFramer.Piece, parser: inout LineParser, hostTime: Double) -> SensorLine {
        let verdict: LineVerdict
        let text: String
        switch piece {
        case let .line(bytes):
            verdict = parser.parse(bytes)
            text = String(decoding: bytes.map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        case .tooLong:
            verdict = .rejected(.tooLong)
            text = ""
        }
        updateCounts { counts in
            switch verdict {
            case .accepted: counts.accepted += 1
            case .ignored: counts.ignored += 1
            case let .rejected(reason): counts.rejected[reason, default: 0] += 1
            }
        }
        return SensorLine(hostTimeSeconds: hostTime, text: text, verdict: verdict)
    }

    /// `stop()` was called while waiting for a banner.
    private struct Stopped: Error {}

    private func resolvePath() throws -> String {
        switch source {
        case let .path(path): return path
        case .auto:
            guard let path = try SensorDiscovery.firstCandidate() else {
                throw SerialPortError.noneFound
            }
            return path
        }
    }

    /// Opens the port and waits for the banner; lines seen meanwhile are
    /// delivered after the `.connected` event.
    private func connect(handler: (SensorEvent) -> Void, gapStart: Double?) throws
        -> (SerialPort, LineFramer, LineParser)
    {
        let path = try resolvePath()
        let port = try SerialPort(path: path, baudRate: options.baudRate)
        var framer = LineFramer()
        var parser = LineParser()
        var early: [SensorLine] = []
        var firmware: String?
        var goodLines = 0
        let opened = hostTimeSeconds
        let askAt = opened + options.bannerTimeoutSeconds / 2
        var asked = false
        do {
            while firmware == nil {
                if isStopped { throw Stopped() }
                let now = hostTimeSeconds
                if now - opened > options.bannerTimeoutSeconds {
                    throw SerialPortError.noBanner(path: path, waitedSeconds: options.bannerTimeoutSeconds)
                }
                if !asked && (now >= askAt || (goodLines > 0 && parser.format == .empathy)) {
                    asked = true
                    try port.write(Array("?\n".utf8))
                }
                let bytes = try port.read(timeoutMs: 50)
                let arrived = hostTimeSeconds
                for piece in framer.append(bytes) {
                    let line = classify(piece, parser: &parser, hostTime: arrived)
                    early.append(line)
                    if case let .accepted(messages, _) = line.verdict {
                        goodLines += 1
                        for case let .hello(_, name, _) in messages { firmware = name }
                    }
                }
                // PulseSensor Playground sensors send no banner: three good lines will do.
                if firmware == nil, goodLines >= 3, parser.format != nil, parser.format != .empathy { break }
            }
        } catch {
            port.close()
            throw error
        }
        let gap = gapStart.map { hostTimeSeconds - $0 }
        handler(.connected(path: path, firmware: firmware, format: parser.format, gapSeconds: gap,
                           hostTimeSeconds: early.first?.hostTimeSeconds ?? hostTimeSeconds))
        for line in early { handler(.line(line)) }
        return (port, framer, parser)
    }

    private func reconnect(handler: (SensorEvent) -> Void, gapStart: Double) -> (SerialPort, LineFramer, LineParser)? {
        var delay = options.initialBackoffSeconds
        let hotplug = HotplugMonitor()
        while !isStopped {
            let delayMs = Int32(delay * 1000)
            if let hotplug {
                _ = hotplug.waitForAdd(timeoutMs: delayMs)
            } else {
                // No udev daemon: poll by retrying on the backoff timer.
                var remaining = delayMs
                while remaining > 0 && !isStopped {
                    usleep(UInt32(min(remaining, 100)) * 1000)
                    remaining -= 100
                }
            }
            if isStopped { return nil }
            if let connection = try? connect(handler: handler, gapStart: gapStart) { return connection }
            delay = min(delay * 2, options.maximumBackoffSeconds)
        }
        return nil
    }
}
