import ArgumentParser
import Biometrics
import Foundation

struct Sensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find, watch and record a pulse sensor (an Arduino running firmware/, or PulseSensor Playground).",
        discussion: """
            Flash a Uno with `make -C firmware upload` (firmware/README.md), then:
              empathy sensor list
              empathy sensor monitor --sensor auto
              empathy sensor record --sensor auto --out take3.csv
            """,
        subcommands: [SensorList.self, SensorMonitor.self, SensorRecord.self, SensorBaselineCommand.self])
}

/// `--sensor auto|PATH`, shared by the sensor commands.
struct SensorOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The sensor: a serial device such as /dev/ttyACM0, or auto (the first known USB board).", valueName: "auto|path"))
    var sensor = "auto"

    @Option(help: ArgumentHelp("Stop after this many seconds (default: run until Ctrl-C).", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Seconds to wait for the sensor's banner after opening it.", valueName: "seconds"))
    var bannerTimeout = 4.0

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be more than 0 seconds, got \(duration)") }
        guard bannerTimeout > 0 && bannerTimeout <= 60 else {
            throw ValidationError("--banner-timeout must be between 0 and 60 seconds, got \(bannerTimeout)")
        }
    }

    func makeReader() -> SensorReader {
        var options = SensorReaderOptions()
        options.bannerTimeoutSeconds = bannerTimeout
        return SensorReader(source: SensorSource(argument: sensor), options: options)
    }
}

/// Stops `reader` on Ctrl-C / SIGTERM and after `duration` seconds. Keep the
/// returned sources alive while the reader runs.
func stopReaderOnSignalOrTimeout(_ reader: SensorReader, duration: Double?) -> [DispatchSourceSignal] {
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { reader.stop() }
        source.resume()
        return source
    }
    if let duration {
        DispatchQueue.global().asyncAfter(deadline: .now() + duration) { reader.stop() }
    }
    return sources
}
