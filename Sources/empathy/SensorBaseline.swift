import ArgumentParser
import Biometrics
import EmpathyCore
import Foundation

struct SensorBaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Measure resting heart rate and RMSSD from a session recorded at rest (for a calibration profile).")

    @Argument(help: ArgumentHelp("A session recorded with 'empathy sensor record' while resting.", valueName: "session.csv"))
    var sessionPath: String

    func run() throws {
        try reportingErrors {
            let session = try SensorSession.load(path: sessionPath)
            guard let baseline = HeartBaseline.measure(session.beats) else {
                throw EmpathyError.badFile(
                    path: sessionPath, line: nil,
                    message: "fewer than 10 clean beat intervals: record at least 30 s at rest")
            }
            print(String(format: "{\"restingHeartRateBPM\": %.1f, \"restingRMSSDMs\": %.1f}",
                         baseline.restingHeartRateBPM, baseline.restingRMSSDMs))
        }
    }
}
