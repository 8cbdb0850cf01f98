import ArgumentParser
import FaceAnalysis
import Pipeline

extension DetectorKind: ExpressibleByArgument {}

/// How faces are found and read: the options every command that reads a
/// performer's face shares (analyze, calibrate, render). Left out, each
/// takes the default its help names; `given` lists the ones that were set.
struct FaceReadingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("dlib 68-point shape predictor (.dat; default \(LandmarkPredictor.defaultModelPath)).",
                               valueName: "file"))
    var landmarkModel: String?

    @Option(help: ArgumentHelp(
        "Appearance expression model: an ONNX file (contract in models/README.md), 'default' for the shipped one, or 'none' for landmark AUs alone.",
        valueName: "file"))
    var expressionModel: String?

    @Option(help: ArgumentHelp("Face detector: hog (dlib, default) or cascade (OpenCV LBP cascade, faster; new faces confirmed by dlib).", valueName: "kind"))
    var detector: DetectorKind?

    @Option(help: ArgumentHelp("OpenCV cascade file for --detector cascade.", valueName: "file"))
    var cascade: String?

    @Option(help: ArgumentHelp("Run the face detector every N frames (default 12); landmarks carry the face between.", valueName: "n"))
    var detectEvery: Int?

    @Option(help: ArgumentHelp("Resize factor for video detection, 0.01 to 4 (default: fit the frame in 640 px; stills are detected at full size).", valueName: "factor"))
    var detectScale: Double?

    func validate() throws {
        if let detectEvery, detectEvery < 1 { throw ValidationError("--detect-every must be 1 or more, got \(detectEvery)") }
        if let detectScale, !(0.01...4).contains(detectScale) {
            throw ValidationError("--detect-scale must be between 0.01 and 4, got \(detectScale)")
        }
        if cascade != nil && detector != .cascade { throw ValidationError("--cascade needs --detector cascade") }
    }

    /// The flags that were set, by name.
    var given: [String] {
        namesSet([("--landmark-model", landmarkModel), ("--expression-model", expressionModel), ("--detector", detector),
                  ("--cascade", cascade), ("--detect-every", detectEvery), ("--detect-scale", detectScale)])
    }

    var landmarkModelPath: String { landmarkModel ?? LandmarkPredictor.defaultModelPath }
    var expressionModelChoice: ExpressionModelChoice { ExpressionModelChoice(argument: expressionModel ?? "default") }

    /// Sets an analysis's models and detector from these options.
    func apply(to job: inout AnalyzeJob) {
        job.modelPath = landmarkModelPath
        job.cascadePath = cascade
        job.expressionModel = expressionModelChoice
        apply(to: &job.options.tracker)
    }

    /// Copies the detector settings into a tracker's options.
    func apply(to tracker: inout TrackerOptions) {
        if let detector { tracker.detector = detector }
        if let detectEvery { tracker.detectEveryFrames = detectEvery }
        tracker.detectionScale = detectScale
    }
}

/// What `analyze` and `render` (without --track) analyse a clip with: how
/// the face is read, whose neutral face it is measured against, and the
/// sensor session whose heart goes into the track.
struct AnalysisOptionGroup: ParsableArguments {
    @OptionGroup var reading: FaceReadingOptions

    @Option(help: ArgumentHelp(
        "Neutral-face profile: a name in calibration/ (see 'empathy calibrate'), 'default', or a .json file. Without it the analysis starts from population defaults and learns the performer's neutral face from frames the model and the landmarks both read as neutral.",
        valueName: "name"))
    var calibration: String?

    @Option(help: ArgumentHelp("Follow this face ID instead of the largest face.", valueName: "id"))
    var face: Int?

    @Option(help: ArgumentHelp(
        "A recorded sensor session (empathy sensor record): adds heart rate, RMSSD, beat phase and fused arousal.",
        valueName: "session.csv"))
    var sensor: String?

    @Option(help: ArgumentHelp(
        "Session time, in seconds, at the clip's first frame (default: the offset stored in the session).",
        valueName: "seconds"))
    var sensorOffset: Double?

    func validate() throws {
        if let face, face < 1 { throw ValidationError("--face must be a face ID from 1 up, got \(face)") }
        if sensorOffset != nil && sensor == nil { throw ValidationError("--sensor-offset needs --sensor") }
        if let sensorOffset, !sensorOffset.isFinite { throw ValidationError("--sensor-offset must be a number of seconds") }
    }

    /// The flags that were set, by name.
    var given: [String] {
        reading.given + namesSet([("--calibration", calibration), ("--face", face), ("--sensor", sensor),
                                  ("--sensor-offset", sensorOffset)])
    }

    /// Reads the calibration profile `name` (none when nil) into `job`.
    static func calibrate(_ job: inout AnalyzeJob, with name: String?) throws {
        guard let name else { return }
        let path = CalibrationLibrary.path(forName: name)
        job.profile = try NeutralProfile.read(path: path)
        job.profilePath = path
    }

    /// An analysis of `input` into `trackPath` with these options (reads the calibration profile).
    func job(input: String, trackPath: String) throws -> AnalyzeJob {
        var job = AnalyzeJob(inputPath: input, trackPath: trackPath)
        reading.apply(to: &job)
        job.options.performerID = face
        try Self.calibrate(&job, with: calibration)
        job.sensorSessionPath = sensor
        job.sensorOffsetSeconds = sensorOffset
        return job
    }
}

/// The names of the options that hold a value.
private func namesSet(_ options: [(name: String, value: Any?)]) -> [String] {
    options.filter { $0.value != nil }.map(\.name)
}
