import ArgumentParser
import FaceAnalysis
import Pipeline

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

    @OptionGroup var reading: FaceReadingOptions

    @Option(help: ArgumentHelp(
        "A calm sensor recording (empathy sensor record): stores resting heart rate and RMSSD in the profile.",
        valueName: "session.csv"))
    var sensor: String?

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard CalibrationLibrary.isValidName(name) else {
            throw ValidationError("--name '\(name)' must be letters, digits, '-', '_' or '.', not starting with '.'")
        }
    }

    func run() throws {
        try reportingErrors {
            let signals = stoppingBetweenFrames()
            defer { signals.forEach { $0.cancel() } }
            let path = output ?? CalibrationLibrary.path(forName: name)
            var job = CalibrateJob(clipPath: clip, name: name, outputPath: path)
            job.modelPath = reading.landmarkModelPath
            job.expressionModel = reading.expressionModelChoice
            job.cascadePath = reading.cascade
            reading.apply(to: &job.tracker)
            job.restingSessionPath = sensor
            let profile = try job.run(progress: makeProgressReporter(quiet: quiet))
            var line = "\(path): neutral face of '\(name)' from \(profile.frameCount) frame(s)"
            if let bpm = profile.restingHeartRateBPM, let rmssd = profile.restingRMSSDMs {
                line += String(format: "; resting %.1f BPM, RMSSD %.1f ms", bpm, rmssd)
            }
            print(line)
        }
    }
}
