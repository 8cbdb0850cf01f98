import ArgumentParser
import Biometrics
import EmpathyCore
import Foundation

struct SensorRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a sensor session (timestamped raw lines and parsed beats) to a CSV file.",
        discussion: """
            The file appears when recording stops (Ctrl-C or --duration). A recording that was killed \
            outright is kept, up to its last half second, as <name>.interrupted-<n>.csv by the next \
            recording into the same file. See firmware/README.md.
            """)

    @OptionGroup var sensorOptions: SensorOptions

    @Option(name: .customLong("out"), help: ArgumentHelp("The session file to write.", valueName: "session.csv"))
    var outputPath: String

    @Option(help: ArgumentHelp(
        "Session time at footage time 0, in seconds (stored in the file; analyze can override it).", valueName: "seconds"))
    var footageOffset = 0.0

    func validate() throws {
        guard footageOffset.isFinite else { throw ValidationError("--footage-offset must be a number of seconds") }
    }

    func run() throws {
        try reportingErrors {
            // Checked before the take, not when it ends; a killed take into the same file is kept first.
            for kept in try SessionRecorder.keepInterruptedTakes(for: outputPath) {
                print("kept an interrupted recording as \(kept)")
            }
            try AtomicFile.prepareOutput(outputPath, what: "sensor session")
            let reader = sensorOptions.makeReader()
            let recorder = try SessionRecorder(
                path: outputPath, source: sensorOptions.sensor, startDate: reader.startDate,
                footageOffsetSeconds: footageOffset)
            let signals = stopReaderOnSignalOrTimeout(reader, duration: sensorOptions.duration)
            defer { signals.forEach { $0.cancel() } }
            var beats = 0
            var writeError: Error?
            do {
                try reader.run { event in
                    if case let .line(line) = event, case let .accepted(messages, _) = line.verdict {
                        beats += messages.filter { if case .beat = $0 { return true } else { return false } }.count
                    }
                    if case let .disconnected(_, reason, _) = event { print("gap: \(reason)") }
                    if case let .connected(path, firmware, _, _, _) = event { print("recording \(path) (\(firmware ?? "no banner"))") }
                    guard writeError == nil else { return }
                    do { try recorder.record(event) } catch {
                        writeError = error
                        reader.stop()
                    }
                }
            } catch {
                recorder.abandon()
                throw error
            }
            if let writeError {
                recorder.abandon()
                throw writeError
            }
            try recorder.finish()
            let counts = reader.counts
            print("recorded \(beats) beats, \(counts.rejectedTotal) rejected lines, \(counts.reconnects) reconnects in "
                  + String(format: "%.1f s", reader.hostTimeSeconds) + " to \(outputPath)")
        }
    }
}
