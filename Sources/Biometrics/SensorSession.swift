import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A recorded sensor session (CSV), as written by `SessionRecorder` and read
/// by `SensorSession.load`:
///
/// ```
/// # empathy sensor session v1
/// # started_utc=2026-11-21T05:41:00.000Z
/// # source=/dev/ttyACM0
/// # footage_offset_s=0
/// host_time_s,event,device_time_ms,interval_ms,bpm,contact,amplitude,raw
/// 1.234000,beat,1218,819,73.3,,201,"$EMP,B,1218,819,733,201*08"
/// ```
///
/// `host_time_s` is seconds since the recording started (monotonic clock).
/// `event` is one of connected, disconnected, hello, beat, quality, samples,
/// heart-rate, ignored, rejected; `raw` is the line as received (or the
/// message of a connection event), quoted CSV-style. `footage_offset_s` lines
/// the session up with footage: session time = footage time + offset.
public enum SessionFormat {
    public static let header = "host_time_s,event,device_time_ms,interval_ms,bpm,contact,amplitude,raw"
    public static let magic = "# empathy sensor session v1"
}

/// Writes a session while it is recorded. Rows go to a hidden partial file
/// beside `path`, renamed into place by `finish()`, so `path` is never half
/// written. Rows reach the partial file at least every `flushSeconds`, so a
/// recording that is killed outright (kill -9, power cut) loses at most that
/// much: the next recording into `path` keeps it (`keepInterruptedTakes`).
/// Used from the reader's thread only.
public final class SessionRecorder {
    public let path: String
    private let partialPath: String
    private let handle: FileHandle
    private var pending = ""
    private var lastFlush = DispatchTime.now().uptimeNanoseconds
    /// A tuning choice: half a second of a take at most is lost to a kill.
    static let flushSeconds = 0.5

    private let source: String
    private let startDate: Date
    /// nil until known: rows wait in memory, and the header is written with the first flush after it is set.
    private var footageOffsetSeconds: Double?
    private var headerWritten = false

    /// `footageOffsetSeconds` nil: set it with `setFootageOffset` once known
    /// (a live take knows it when its first frame is captured).
    public init(path: String, source: String, startDate: Date, footageOffsetSeconds: Double? = 0) throws {
        self.path = path
        self.source = source
        self.startDate = startDate
        self.footageOffsetSeconds = footageOffsetSeconds
        // Per process, so two recorders aimed at one path cannot truncate each other's file.
        partialPath = AtomicFile.temporaryPath(for: path)
        guard FileManager.default.createFile(atPath: partialPath, contents: nil) else {
            throw EmpathyError.io(path: path, operation: "create the session file", errno: errno == 0 ? EACCES : errno)
        }
        guard let handle = FileHandle(forWritingAtPath: partialPath) else {
            throw EmpathyError.io(path: path, operation: "open the session file", errno: errno)
        }
        self.handle = handle
    }

    /// Session time at footage time 0, for a recorder made without it.
    public func setFootageOffset(_ seconds: Double) { footageOffsetSeconds = seconds }

    private func header(offset: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return """
            \(SessionFormat.magic)
            # started_utc=\(formatter.string(from: startDate))
            # source=\(source)
            # footage_offset_s=\(offset)
            \(SessionFormat.header)

            """
    }

    public func record(_ event: SensorEvent) throws {
        switch event {
        case let .connected(path, firmware, format, gap, time):
            let note = "\(path) \(firmware ?? "no banner") \(format?.rawValue ?? "")" + (gap.map { " after a \(String(format: "%.3f", $0)) s gap" } ?? "")
            row(time, "connected", raw: note)
        case let .disconnected(_, reason, time):
            row(time, "disconnected", raw: reason)
        case let .line(line):
            switch line.verdict {
            case let .accepted(messages, _):
                for message in messages { row(for: message, line: line) }
            case .ignored:
                row(line.hostTimeSeconds, "ignored", raw: line.text)
            case let .rejected(reason):
                row(line.hostTimeSeconds, "rejected", raw: "\(reason.rawValue): \(line.text)")
            }
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if pending.utf8.count > 4096 || Double(now - lastFlush) / 1e9 >= Self.flushSeconds { try flush() }
    }

    private func row(for message: SensorMessage, line: SensorLine) {
        let t = line.hostTimeSeconds
        switch message {
        case .hello:
            row(t, "hello", raw: line.text)
        case let .beat(device, ibi, bpm, amplitude):
            row(t, "beat", device: device, interval: "\(ibi)", bpm: String(format: "%.1f", bpm),
                amplitude: amplitude.map(String.init) ?? "", raw: line.text)
        case let .quality(device, contact, amplitude):
            row(t, "quality", device: device, contact: contact ? "1" : "0", amplitude: "\(amplitude)", raw: line.text)
        case let .samples(device, _, _):
            row(t, "samples", device: device, raw: line.text)
        case let .heartRate(bpm):
            row(t, "heart-rate", bpm: String(format: "%.1f", bpm), raw: line.text)
        }
    }

    private func row(_ time: Double, _ event: String, device: UInt32? = nil, interval: String = "", bpm: String = "",
                     contact: String = "", amplitude: String = "", raw: String) {
        let quoted = "\"" + raw.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        pending += String(format: "%.6f", time) + ",\(event),\(device.map(String.init) ?? ""),\(interval),\(bpm),\(contact),\(amplitude),\(quoted)\n"
    }

    public func flush() throws {
        lastFlush = DispatchTime.now().uptimeNanoseconds
        guard let offset = footageOffsetSeconds else { return }
        if !headerWritten {
            pending = header(offset: offset) + pending
            headerWritten = true
        }
        guard !pending.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data(pending.utf8))
        } catch {
            throw EmpathyError.io(path: path, operation: "write the session file", errno: errno == 0 ? EIO : errno)
        }
        pending = ""
    }

    /// Writes what is left and moves the session into place.
    public func finish() throws {
        if footageOffsetSeconds == nil { footageOffsetSeconds = 0 }
        try flush()
        try? handle.synchronize()
        try? handle.close()
        guard rename(partialPath, path) == 0 else {
            throw EmpathyError.io(path: path, operation: "move the session into place", errno: errno)
        }
    }

    /// Drops the partial file (recording failed).
    public func abandon() {
        try? handle.close()
        unlink(partialPath)
    }

    /// Keeps what recordings into `path` that were killed outright had
    /// written: each partial file of a process that no longer runs is cut
    /// after its last complete row and moved to `<stem>.interrupted-<n>.csv`
    /// beside `path` (a file `SensorSession.load` reads); one with no rows
    /// is removed. Returns the kept files.
    public static func keepInterruptedTakes(for path: String) throws -> [String] {
        try AtomicFile.staleTemporaries(for: path).compactMap { partial in
            let destination = AtomicFile.freeInterruptedName(for: path)
            return try AtomicFile.keepCompleteLines(of: partial, as: destination, hasRows: hasRows) ? destination : nil
        }
    }

    /// Whether whole lines of a session hold a row below the header.
    static func hasRows(_ lines: ArraySlice<UInt8>) -> Bool {
        let rows = lines.split(separator: UInt8(ascii: "\n"))
        guard let header = rows.firstIndex(where: { String(decoding: $0, as: UTF8.self) == SessionFormat.header }) else { return false }
        return header + 1 < rows.endIndex
    }
}

/// A recorded session, on its own time line (seconds since recording began),
/// queried at footage times: session time = footage time + `offsetSeconds`.
///
/// Beat times come from the device clock where the format has one: within
/// each connection, device time d maps to session time d + o(d), where o is
/// a line under the points (device time, host arrival − device time) of the
/// lines in a window of 2 × `clockWindowSeconds` around d (slid inwards at the
/// ends of the connection): the edge of their lower convex hull above the
/// window's mean device time, which is the line under all the points that is
/// closest to them on average — the least-delayed lines set it. So beats keep
/// the board's 1 ms precision instead of the USB/serial arrival jitter, and
/// the line follows the drift of an Uno's ceramic resonator (up to 0.5 %,
/// 50 ms per 10 s). A device clock running more than 2 % off the host's (a
/// simulation faster than real time, a replay) is kept as is, anchored at its
/// first line.
public struct SensorSession: Sendable {
    public static let clockWindowSeconds = 15.0

    public var startedUTC: String?
    public var source: String?
    public var offsetSeconds: Double
    public private(set) var beats: [HeartBeat] = []
    public private(set) var filtered: [FilteredBeat] = []
    /// Spans (session seconds) with no device connected.
    public private(set) var gaps: [ClosedRange<Double>] = []
    /// Quality reports: (session seconds, contact).
    public private(set) var contact: [(timeSeconds: Double, contact: Bool)] = []
    public private(set) var durationSeconds: Double = 0

    struct Row {
        var hostTime: Double
        var event: String
        var deviceTimeMs: Double?
        var intervalMs: Double?
        var contact: Bool?
    }

    /// Reads a session file; a bad row is reported with its line number.
    public static func load(path: String, offsetSeconds: Double? = nil) throws -> SensorSession {
        try parse(UserFile.text(path, what: "the sensor session"), path: path, offsetSeconds: offsetSeconds)
    }

    public static func parse(_ text: String, path: String, offsetSeconds: Double? = nil) throws -> SensorSession {
        var session = SensorSession(offsetSeconds: 0)
        var fileOffset = 0.0
        var rows: [Row] = []
        var sawHeader = false
        for (index, rawLine) in EditedText.normalized(text).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            if index == 0 && line != SessionFormat.magic {
                throw EmpathyError.badFile(path: path, line: 1, message: "not a sensor session: expected '\(SessionFormat.magic)' (record one with `empathy sensor record --out FILE.csv`)")
            }
            if line.hasPrefix("#") {
                let setting = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if let value = setting.value(of: "started_utc") { session.startedUTC = value }
                if let value = setting.value(of: "source") { session.source = value }
                if let value = setting.value(of: "footage_offset_s") {
                    guard let offset = Double(value), offset.isFinite else {
                        throw EmpathyError.badFile(path: path, line: lineNumber, message: "footage_offset_s '\(value)' is not a number of seconds")
                    }
                    fileOffset = offset
                }
                continue
            }
            if !sawHeader {
                guard line == SessionFormat.header else {
                    throw EmpathyError.badFile(path: path, line: lineNumber, message: "expected the column header '\(SessionFormat.header)'")
                }
                sawHeader = true
                continue
            }
            let fields = line.split(separator: ",", maxSplits: 7, omittingEmptySubsequences: false)
            guard fields.count == 8 else {
                throw EmpathyError.badFile(path: path, line: lineNumber, message: "expected 8 columns, found \(fields.count)")
            }
            guard let hostTime = Double(fields[0]), hostTime.isFinite else {
                throw EmpathyError.badFile(path: path, line: lineNumber, message: "host_time_s '\(fields[0])' is not a number")
            }
            if let previous = rows.last, hostTime < previous.hostTime {
                throw EmpathyError.badFile(path: path, line: lineNumber, message:
                    "host_time_s \(fields[0]) goes back in time (previous row: \(previous.hostTime)); rows must be in recording order")
            }
            func number(_ column: Int, _ name: String) throws -> Double? {
                if fields[column].isEmpty { return nil }
                guard let value = Double(fields[column]), value.isFinite else {
                    throw EmpathyError.badFile(path: path, line: lineNumber, message: "\(name) '\(fields[column])' is not a number")
                }
                return value
            }
            rows.append(Row(hostTime: hostTime, event: String(fields[1]), deviceTimeMs: try number(2, "device_time_ms"),
                            intervalMs: try number(3, "interval_ms"), contact: try number(5, "contact").map { $0 != 0 }))
        }
        guard sawHeader else {
            throw EmpathyError.badFile(path: path, line: nil, message: "no column header: the file is truncated")
        }
        session.offsetSeconds = offsetSeconds ?? fileOffset
        session.build(from: rows)
        return session
    }

    private mutating func build(from rows: [Row]) {
        // Split into connections; map device time to session time per connection.
        var segments: [[Row]] = [[]]
        var gapStart: Double?
        for row in rows {
            durationSeconds = max(durationSeconds, row.hostTime)
            switch row.event {
            case "connected":
                if let start = gapStart { gaps.append(start...row.hostTime); gapStart = nil }
                segments.append([])
            case "disconnected":
                gapStart = row.hostTime
                segments.append([])
            default:
                segments[segments.count - 1].append(row)
            }
        }
        if let start = gapStart { gaps.append(start...max(start, durationSeconds)) }
        for segment in segments {
            // (device s, host − device s) for every line with a device time.
            // Sorted by device time, so the lines near each one are found by bisection.
            let observed = segment.compactMap { row in row.deviceTimeMs.map { ($0 / 1000, row.hostTime - $0 / 1000) } }
                .sorted { $0.0 < $1.0 }
            // A device clock more than 2 % off the host's is no real-time board
            // (a simulation or a replay): keep its clock, anchored at its first line.
            var realTime = true
            if let first = observed.first, let last = observed.last, last.0 - first.0 > 5 {
                let hostSpan = (last.0 + last.1) - (first.0 + first.1)
                realTime = abs(hostSpan / (last.0 - first.0) - 1) <= 0.02
            }
            for row in segment {
                guard row.event == "beat" || row.event == "quality" else { continue }
                var time = row.hostTime
                if let device = row.deviceTimeMs.map({ $0 / 1000 }) {
                    let window = Self.clockWindowSeconds
                    if !realTime {
                        time = device + observed[0].1
                    } else {
                        // The lower convex hull of (device, arrival − device) in a 2w
                        // window around d (slid inwards at the ends of the connection),
                        // evaluated at d: the line under the least-delayed lines.
                        let firstTime = observed[0].0, lastTime = observed[observed.count - 1].0
                        let low = max(firstTime, min(device - window, lastTime - 2 * window))
                        var index = Self.firstIndex(in: observed, atOrAfter: low)
                        var hull: [(Double, Double)] = []
                        var windowSum = 0.0, windowCount = 0
                        while index < observed.count && observed[index].0 <= low + 2 * window {
                            let p = observed[index]
                            windowSum += p.0
                            windowCount += 1
                            while hull.count >= 2 {
                                let a = hull[hull.count - 2], b = hull[hull.count - 1]
                                // Drop b when it lies on or above the segment a–p.
                                if (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0) <= 0 { hull.removeLast() } else { break }
                            }
                            hull.append(p)
                            index += 1
                        }
                        // The hull edge over the window's mean device time is the line
                        // under every point closest to them on average (a linear
                        // programme's optimum); the end points, always on the hull, do
                        // not set it.
                        let meanTime = hull.isEmpty ? device : windowSum / Double(windowCount)
                        time = device + Self.line(under: hull, at: meanTime, evaluatedAt: device)
                    }
                }
                if row.event == "beat" {
                    // The interval is the device's own measurement; 0 (unknown,
                    // e.g. first beat after a reset) becomes nil.
                    let interval = (row.intervalMs ?? 0) > 0 ? row.intervalMs : nil
                    beats.append(HeartBeat(timeSeconds: time, interBeatIntervalMs: interval))
                } else if row.event == "quality", let c = row.contact {
                    contact.append((time, c))
                }
            }
        }
        beats.sort { $0.timeSeconds < $1.timeSeconds }
        filtered = HeartStatistics.filter(beats)
    }

    /// The line through the `hull` edge above `x`, evaluated at `at`.
    private static func line(under hull: [(Double, Double)], at x: Double, evaluatedAt at: Double) -> Double {
        guard hull.count >= 2 else { return hull.first?.1 ?? 0 }
        var i = 1
        while i < hull.count - 1 && hull[i].0 < x { i += 1 }
        let a = hull[i - 1], b = hull[i]
        return b.0 > a.0 ? a.1 + (b.1 - a.1) * (at - a.0) / (b.0 - a.0) : min(a.1, b.1)
    }

    /// The first index whose device time is ≥ `value` (binary search).
    private static func firstIndex(in sorted: [(Double, Double)], atOrAfter value: Double) -> Int {
        sorted.partitionIndex { $0.0 >= value }
    }

    // MARK: Queries at footage time (seconds)

    public func sessionTime(atFootageSeconds t: Double) -> Double { t + offsetSeconds }

    public func isInGap(atFootageSeconds t: Double) -> Bool {
        let s = sessionTime(atFootageSeconds: t)
        return gaps.contains { $0.contains(s) }
    }

    /// Heart rate over the 10 s before `t`; nil in a gap or without beats.
    public func heartRateBPM(atFootageSeconds t: Double, windowSeconds: Double = 10) -> Double? {
        isInGap(atFootageSeconds: t) ? nil
            : HeartStatistics.heartRateBPM(filtered, at: sessionTime(atFootageSeconds: t), windowSeconds: windowSeconds)
    }

    /// RMSSD over the 60 s before `t`; nil in a gap.
    public func rmssdMs(atFootageSeconds t: Double, windowSeconds: Double = 60) -> Double? {
        isInGap(atFootageSeconds: t) ? nil
            : HeartStatistics.rmssdMs(filtered, at: sessionTime(atFootageSeconds: t), windowSeconds: windowSeconds)
    }

    /// SDNN over the 60 s before `t`; nil in a gap.
    public func sdnnMs(atFootageSeconds t: Double, windowSeconds: Double = 60) -> Double? {
        isInGap(atFootageSeconds: t) ? nil
            : HeartStatistics.sdnnMs(filtered, at: sessionTime(atFootageSeconds: t), windowSeconds: windowSeconds)
    }

    /// Beat phase 0…1 between the recorded beats around `t` (see `BeatPhase`).
    public func beatPhase(atFootageSeconds t: Double) -> Double? {
        let s = sessionTime(atFootageSeconds: t)
        guard !isInGap(atFootageSeconds: t) else { return nil }
        // The first beat after s; the one before it is the last at or before s.
        let low = beats.partitionIndex { $0.timeSeconds > s }
        guard low > 0 else { return nil }
        let last = beats[low - 1].timeSeconds
        let next = low < beats.count ? beats[low].timeSeconds : nil
        let expected = HeartStatistics.heartRateBPM(filtered, at: s).map { 60000 / $0 }
        return BeatPhase.phase(at: s, lastBeatSeconds: last, nextBeatSeconds: next, expectedIntervalMs: expected)
    }
}

extension StringProtocol {
    fileprivate func value(of key: String) -> String? {
        hasPrefix(key + "=") ? String(dropFirst(key.count + 1)) : nil
    }
}
