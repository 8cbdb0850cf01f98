import Foundation

/// Turns one framed line into a verdict: accepted messages, or a named reason
/// for ignoring or rejecting it.
///
/// The parser locks onto the first format it accepts a line of (a sensor
/// speaks one), so that noise resembling another format (`S12`) is not
/// mistaken for data; `$EMP` lines, which carry checksums, are always
/// accepted. `reset()` unlocks it (after a reconnect).
public struct LineParser: Sendable {
    public static let protocolVersion = 1

    public private(set) var format: SensorFormat?
    private var lastPlotterInterval: Int?
    private var lastVisualizerBPM: Double?

    /// `format` nil means detect it from the lines.
    public init(format: SensorFormat? = nil) {
        self.format = format
    }

    public mutating func reset() {
        format = nil
        lastPlotterInterval = nil
        lastVisualizerBPM = nil
    }

    public mutating func parse(_ bytes: [UInt8]) -> LineVerdict {
        for byte in bytes where !(byte == 0x09 || (byte >= 0x20 && byte < 0x7F)) {
            return .rejected(.notText)
        }
        var text = String(decoding: bytes, as: UTF8.self)
        text = text.trimmingSpaces()
        if text.isEmpty { return .ignored(.empty) }
        if let start = text.range(of: "$EMP,", options: .backwards) {
            return parseEmpathy(String(text[start.lowerBound...]))
        }
        if format == .empathy { return .ignored(.otherFormat) }
        if let verdict = parseVisualizer(text) {
            if case .accepted = verdict, format == nil { format = .pulseSensorVisualizer }
            if format == .pulseSensorPlotter { return .ignored(.otherFormat) }
            return verdict
        }
        if let verdict = parsePlotter(text) {
            if case .accepted = verdict, format == nil { format = .pulseSensorPlotter }
            if format == .pulseSensorVisualizer { return .ignored(.otherFormat) }
            return verdict
        }
        return .rejected(.unrecognised)
    }

    // MARK: $EMP lines

    /// NMEA-style checksum: XOR of the bytes between `$` and `*`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt8 where Bytes.Element == UInt8 {
        bytes.reduce(0, ^)
    }

    /// Formats a protocol line (without its line ending), e.g. for tests and replay.
    public static func empathyLine(_ fields: [String]) -> String {
        let body = (["EMP"] + fields).joined(separator: ",")
        let sum = checksum(Array(body.utf8))
        let hex = String(sum, radix: 16, uppercase: true)
        return "$" + body + "*" + (sum < 16 ? "0" : "") + hex
    }

    private mutating func parseEmpathy(_ text: String) -> LineVerdict {
        let utf8 = Array(text.utf8)
        guard let star = utf8.lastIndex(of: UInt8(ascii: "*")), utf8.count == star + 3,
              let expected = UInt8(String(decoding: utf8[(star + 1)...], as: UTF8.self), radix: 16)
        else { return .rejected(.malformed) }
        guard Self.checksum(utf8[1..<star]) == expected else { return .rejected(.badChecksum) }
        let fields = String(decoding: utf8[1..<star], as: UTF8.self)
            .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2 else { return .rejected(.malformed) }
        let values = Array(fields.dropFirst(2))
        let message: SensorMessage
        switch fields[1] {
        case "HELLO":
            guard values.count >= 3, let version = Int(values[0]), let rate = Int(values[2]) else {
                return .rejected(.malformed)
            }
            guard version == Self.protocolVersion else { return .rejected(.unsupportedVersion) }
            message = .hello(protocolVersion: version, firmware: values[1], sampleRateHz: rate)
        case "B":
            guard values.count == 4, let time = UInt32(values[0]), let ibi = UInt16(values[1]),
                  let tenths = UInt32(values[2]), let amplitude = UInt16(values[3])
            else { return .rejected(.malformed) }
            message = .beat(
                deviceTimeMs: time, interBeatIntervalMs: Int(ibi), heartRateBPM: Double(tenths) / 10,
                amplitude: Int(amplitude))
        case "Q":
            guard values.count == 3, let time = UInt32(values[0]), let contact = UInt8(values[1]),
                  contact <= 1, let amplitude = UInt16(values[2])
            else { return .rejected(.malformed) }
            message = .quality(deviceTimeMs: time, contact: contact == 1, amplitude: Int(amplitude))
        case "S":
            guard values.count >= 3, let time = UInt32(values[0]), let interval = UInt16(values[1]) else {
                return .rejected(.malformed)
            }
            var samples: [Int] = []
            for value in values.dropFirst(2) {
                guard let sample = UInt16(value), sample <= 1023 else { return .rejected(.malformed) }
                samples.append(Int(sample))
            }
            message = .samples(deviceTimeMs: time, intervalMs: Int(interval), values: samples)
        default:
            return .ignored(.unknownType)
        }
        format = .empathy
        return .accepted([message], .empathy)
    }

    // MARK: PulseSensor Playground

    /// `S<signal>`, `B<bpm>`, `Q<ibi>`; nil when the line is not of this shape.
    private mutating func parseVisualizer(_ text: String) -> LineVerdict? {
        guard let tag = text.first, "SBQ".contains(tag) else { return nil }
        guard let value = Int(text.dropFirst()) else { return nil }
        switch tag {
        case "S":
            guard (0...1023).contains(value) else { return .rejected(.malformed) }
            return .accepted([.samples(deviceTimeMs: nil, intervalMs: nil, values: [value])], .pulseSensorVisualizer)
        case "B":
            guard (0...300).contains(value) else { return .rejected(.malformed) }
            lastVisualizerBPM = Double(value)
            return .accepted([.heartRate(bpm: Double(value))], .pulseSensorVisualizer)
        default:
            guard (1...65535).contains(value) else { return .rejected(.malformed) }
            let bpm = lastVisualizerBPM ?? 60000 / Double(value)
            lastVisualizerBPM = nil
            return .accepted(
                [.beat(deviceTimeMs: nil, interBeatIntervalMs: value, heartRateBPM: bpm, amplitude: nil)],
                .pulseSensorVisualizer)
        }
    }

    /// `<bpm>,<ibi>,<signal>`: the plotter repeats the latest beat on every
    /// sample line, so a beat is reported when the interval changes (two equal
    /// intervals in a row are, unavoidably, one beat to this format).
    private mutating func parsePlotter(_ text: String) -> LineVerdict? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let numbers = parts.map { Int($0.trimming(" ")) }
        guard let bpm = numbers[0], let ibi = numbers[1], let signal = numbers[2] else { return .rejected(.malformed) }
        guard (0...300).contains(bpm), (0...65535).contains(ibi), (0...1023).contains(signal) else {
            return .rejected(.malformed)
        }
        var messages: [SensorMessage] = [.samples(deviceTimeMs: nil, intervalMs: nil, values: [signal])]
        if ibi > 0 && ibi != lastPlotterInterval {
            messages.insert(
                .beat(deviceTimeMs: nil, interBeatIntervalMs: ibi, heartRateBPM: Double(bpm), amplitude: nil), at: 0)
        }
        lastPlotterInterval = ibi
        return .accepted(messages, .pulseSensorPlotter)
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String { trimming(" \t") }

    func trimming(_ set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
