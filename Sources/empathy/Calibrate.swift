import ArgumentParser
import Biometrics
import EmpathyCore
import FaceAnalysis
import Foundation

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a performer's neutral face to calibration/NAME.json.",
        discussion: """
            CLIP should show the performer facing the camera with a relaxed face; the
            profile is the median of every frame where the face is found, with the
            appearance model's mean output on that face (so a resting face the model
            misreads is corrected). Use it with
            'empathy analyze INPUT --calibration NAME'.
            """)

    @Argument(help: ArgumentHelp("Clip, image sequence or still of the neutral face.", valueName: "clip"))
    var clip: String

    @Option(help: ArgumentHelp("Profile name (letters, digits, - _ .).", valueName: "name"))
    var name: String

    @Option(name: .customLong("out"), help: ArgumentHelp("Write here instead of calibration/NAME.json.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("dlib 68-point shape predictor (.dat).", valueName: "file"))
    var landmarkModel: String = LandmarkPredictor.defaultModelPath

    @Option(help: ArgumentHelp(
        "Appearance expression model whose output on the neutral face is recorded: an ONNX file, 'default', or 'none'.",
        valueName: "file"))
    var expressionModel: String = "default"

    @Option(help: ArgumentHelp(
        "A calm sensor recording (empathy sensor record): stores resting heart rate and RMSSD in the profile.",
        valueName: "session.csv"))
    var sensor: String?

    func validate() throws {
        guard CalibrationLibrary.isValidName(name) else {
            throw ValidationError("--name '\(name)' must be letters, digits, '-', '_' or '.', not starting with '.'")
        }
    }

    func run() throws {
        try reportingErrors {
            let path = output ?? CalibrationLibrary.path(forName: name)
            var job = CalibrateJob(clipPath: clip, name: name, outputPath: path)
            job.modelPath = landmarkModel
            job.expressionModel = ExpressionModelChoice(argument: expressionModel)
            if let sensor {
                let session = try SensorSession.load(path: sensor)
                guard let baseline = HeartBaseline.measure(session.beats) else {
                    throw EmpathyError.badFile(path: sensor, line: nil, message:
                        "has \(session.beats.count) beat(s); a resting baseline needs at least 10 clean intervals — record a calm minute")
                }
                job.restingHeartRateBPM = baseline.restingHeartRateBPM
                job.restingRMSSDMs = baseline.restingRMSSDMs
            }
            let profile = try job.run()
            var line = "\(path): neutral face of '\(name)' from \(profile.frameCount) frame(s)"
            if let bpm = profile.restingHeartRateBPM, let rmssd = profile.restingRMSSDMs {
                line += String(format: "; resting %.1f BPM, RMSSD %.1f ms", bpm, rmssd)
            }
            print(line)
        }
    }
}
