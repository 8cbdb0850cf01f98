/// The serial formats the reader understands.
public enum SensorFormat: String, Sendable, CaseIterable {
    /// This project's firmware: `$EMP,…*CS` lines with checksums (firmware/PROTOCOL.md).
    case empathy
    /// PulseSensor Playground's Processing visualiser lines: `S<signal>`, `B<bpm>`, `Q<ibi ms>`.
    case pulseSensorVisualizer = "pulsesensor-visualizer"
    /// PulseSensor Playground's serial-plotter lines: `<bpm>,<ibi ms>,<signal>`.
    case pulseSensorPlotter = "pulsesensor-plotter"
}

/// One piece of information a sensor line carries. Device times are the
/// sensor's own clock in ms (nil for formats that carry none); amplitudes and
/// sample values are 10-bit ADC counts (0–1023, 4.9 mV each at 5 V).
public enum SensorMessage: Sendable, Equatable {
    case hello(protocolVersion: Int, firmware: String, sampleRateHz: Int)
    /// `interBeatIntervalMs` is 0 when the sensor does not know it (first beat
    /// after contact was regained).
    case beat(deviceTimeMs: UInt32?, interBeatIntervalMs: Int, heartRateBPM: Double, amplitude: Int?)
    case quality(deviceTimeMs: UInt32?, contact: Bool, amplitude: Int)
    case samples(deviceTimeMs: UInt32?, intervalMs: Int?, values: [Int])
    /// A heart rate without a beat (PulseSensor `B` lines precede their `Q`).
    case heartRate(bpm: Double)
}

/// Why a line was set aside without being an error.
public enum IgnoreReason: String, Sendable, Equatable, CaseIterable {
    case empty = "empty line"
    case unknownType = "well-formed line of an unknown type"
    case otherFormat = "line of another format than the one this sensor speaks"
    case noChange = "plotter line repeating the previous interval"
}

/// Why a line was refused; each is counted by the reader.
public enum RejectReason: String, Sendable, Equatable, CaseIterable {
    case badChecksum = "checksum does not match"
    case malformed = "malformed fields"
    case tooLong = "line longer than 120 bytes"
    case notText = "bytes that are not text (wrong baud rate or noise)"
    case unsupportedVersion = "protocol version this reader does not speak"
    case unrecognised = "matches no known format"
}

/// What the parser made of one line.
public enum LineVerdict: Sendable, Equatable {
    case accepted([SensorMessage], SensorFormat)
    case ignored(IgnoreReason)
    case rejected(RejectReason)
}
