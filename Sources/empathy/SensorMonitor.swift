import ArgumentParser
import Biometrics
import Foundation

struct SensorMonitor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Show live heart rate, RMSSD, contact and reconnects; keeps going when the cable is pulled.")

    @OptionGroup var sensorOptions: SensorOptions

    func run() throws {
        try reportingErrors {
            let reader = sensorOptions.makeReader()
            let signals = stopReaderOnSignalOrTimeout(reader, duration: sensorOptions.duration)
            defer { signals.forEach { $0.cancel() } }
            var heart = LiveHeart()
            try reader.run { event in
                heart.consume(event)
                switch event {
                case let .connected(path, firmware, format, gap, _):
                    let after = gap.map { String(format: " after a %.1f s gap", $0) } ?? ""
                    print("connected to \(path): \(firmware ?? "no banner") (\(format?.rawValue ?? "unknown format"))\(after)")
                case let .disconnected(_, reason, _):
                    print("gap: \(reason); waiting for it to come back")
                case let .line(line):
                    guard case let .accepted(messages, _) = line.verdict,
                          messages.contains(where: { if case .beat = $0 { return true } else { return false } })
                    else { return }
                    let t = line.hostTimeSeconds
                    let counts = reader.counts
                    let bpm = heart.heartRateBPM(at: t).map { String(format: "%5.1f", $0) } ?? "    -"
                    let rmssd = heart.rmssdMs(at: t).map { String(format: "%5.1f", $0) } ?? "    -"
                    let contact = heart.contact.map { $0 ? "yes" : "NO " } ?? " - "
                    print(String(format: "%8.2f s", t)
                          + "  BPM \(bpm)  RMSSD \(rmssd) ms  contact \(contact)"
                          + "  rejected \(counts.rejectedTotal)  reconnects \(counts.reconnects)")
                }
                fflush(nil)  // all streams: stdout is line-buffered only on a terminal
            }
        }
    }
}
