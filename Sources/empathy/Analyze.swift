import ArgumentParser
import Biometrics
import EmpathyCore
import FaceAnalysis
import Foundation
import Fusion
import Pipeline

extension DetectorKind: ExpressibleByArgument {}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the performer's face in every frame and write an emotion track.",
        discussion: """
            INPUT is a video file, an image-sequence pattern (shot.%04d.png) or a still
            photo (a one-row track). Writes TRACK (CSV, one row per frame; columns in
            docs/emotion-track.md), TRACK's landmarks beside it (X.landmarks.csv) and a
            plot (X.plot.png). Frames without a face are marked face_found=0 and the
            scores relax toward neutral.
            Expressions are read from the face's appearance (an ONNX network run with
            OpenCV, models/expression-fer2013.onnx, built by 'make models') fused with
            landmark AUs; no calibration is needed. Brief expressions (1/25 to 1/2 s)
            are marked in the micro_expression column and listed in the summary.
            The landmark model (Debian libdlib-data) was trained on the iBUG 300-W
            data set, whose licence excludes commercial use; see docs/emotion-track.md.
            """)

    @Argument(help: ArgumentHelp("Clip, image sequence or still photo.", valueName: "input"))
    var input: String

    @Option(name: .customLong("out"), help: ArgumentHelp("The emotion track to write (.csv).", valueName: "track"))
    var track: String

    @Option(help: ArgumentHelp(
        "Neutral-face profile: a name in calibration/ (see 'empathy calibrate'), 'default', or a .json file. Without it the analysis starts from population defaults and learns the performer's neutral face from frames the model and the landmarks both read as neutral.",
        valueName: "name"))
    var calibration: String?

    @Option(help: ArgumentHelp("Folder for check frames with landmarks and scores drawn.", valueName: "dir"))
    var overlay: String?

    @Option(help: ArgumentHelp("dlib 68-point shape predictor (.dat).", valueName: "file"))
    var landmarkModel: String = LandmarkPredictor.defaultModelPath

    @Option(help: ArgumentHelp(
        "Appearance expression model: an ONNX file (contract in models/README.md), 'default' for the shipped one, or 'none' for landmark AUs alone.",
        valueName: "file"))
    var expressionModel: String = "default"

    @Option(help: ArgumentHelp("Face detector: hog (dlib, default) or cascade (OpenCV LBP cascade, faster; new faces confirmed by dlib).", valueName: "kind"))
    var detector: DetectorKind = .hog

    @Option(help: ArgumentHelp("OpenCV cascade file for --detector cascade.", valueName: "file"))
    var cascade: String?

    @Option(help: ArgumentHelp("Run the face detector every N frames; landmarks carry the face between.", valueName: "n"))
    var detectEvery = 12

    @Option(help: ArgumentHelp("Resize factor for video detection, 0.01 to 4 (default: fit the frame in 640 px; stills are detected at full size).", valueName: "factor"))
    var detectScale: Double?

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

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard detectEvery >= 1 else { throw ValidationError("--detect-every must be 1 or more, got \(detectEvery)") }
        if let detectScale, !(0.01...4).contains(detectScale) {
            throw ValidationError("--detect-scale must be between 0.01 and 4, got \(detectScale)")
        }
        if let face, face < 1 { throw ValidationError("--face must be a face ID from 1 up, got \(face)") }
        if cascade != nil && detector != .cascade { throw ValidationError("--cascade needs --detector cascade") }
        if sensorOffset != nil && sensor == nil { throw ValidationError("--sensor-offset needs --sensor") }
        if let sensorOffset, !sensorOffset.isFinite { throw ValidationError("--sensor-offset must be a number of seconds") }
    }

    func run() throws {
        try reportingErrors {
            var job = AnalyzeJob(inputPath: input, trackPath: track)
            job.overlayDirectory = overlay
            job.modelPath = landmarkModel
            job.cascadePath = cascade
            job.expressionModel = ExpressionModelChoice(argument: expressionModel)
            job.options.tracker.detector = detector
            job.options.tracker.detectEveryFrames = detectEvery
            job.options.tracker.detectionScale = detectScale
            job.options.performerID = face
            if let calibration {
                let path = CalibrationLibrary.path(forName: calibration)
                job.profile = try NeutralProfile.read(path: path)
                job.profilePath = path
            }
            var fusion: HeartFusion?
            if let sensor {
                // Read before the long analysis, so a bad session fails at once.
                let session = try SensorSession.load(path: sensor, offsetSeconds: sensorOffset)
                let heart = HeartFusion(session: session, baseline: HeartFusion.baseline(from: job.profile))
                job.completeRows = { heart.complete($0) }
                fusion = heart
            }
            // The same progress as grade: a bar on a terminal, JSON lines otherwise.
            let reporter = makeProgressReporter(quiet: quiet)
            defer { reporter.finish() }
            let started = Date()
            let clipName = URL(fileURLWithPath: input).lastPathComponent
            let summary = try job.run { done, total in
                reporter.update(.measured(clipName: clipName, framesDone: done, framesTotal: total, processed: done, since: started))
            }
            func fps(_ seconds: Double) -> String {
                seconds > 0 ? String(format: "%.1f", Double(summary.frameCount) / seconds) : "-"
            }
            print("\(track): \(summary.frameCount) frame(s), face in \(summary.faceFrameCount), face IDs \(summary.faceIDs.map(String.init).joined(separator: " ")), \(summary.detectionCount) detection(s)")
            print("speed: analysis \(fps(summary.analysisSeconds)) fps, decode \(fps(summary.decodeSeconds)) fps (own thread), overall \(fps(summary.wallSeconds)) fps")
            print(String(format: "stages (ms per frame): decode %.2f (own thread), detect %.2f, landmarks %.2f, model %.2f, scores %.2f",
                         perFrameMs(summary.decodeSeconds, summary.frameCount), perFrameMs(summary.detectSeconds, summary.frameCount),
                         perFrameMs(summary.landmarkSeconds, summary.frameCount), perFrameMs(summary.modelSeconds, summary.frameCount),
                         perFrameMs(summary.scoreSeconds, summary.frameCount)))
            print(MicroExpression.summary(summary.microExpressions))
            if let fusion {
                print(String(format: "heart: %d beats from %@ (offset %.2f s), resting %.0f BPM / %.0f ms RMSSD%@",
                             fusion.session.beats.count, sensor ?? "", fusion.session.offsetSeconds,
                             fusion.baseline.restingHeartRateBPM, fusion.baseline.restingRMSSDMs,
                             job.profile?.restingHeartRateBPM == nil ? " (population defaults)" : ""))
            }
            print("landmarks: \(summary.landmarksPath)")
            print("plot: \(summary.plotPath)")
        }
    }
}

func perFrameMs(_ seconds: Double, _ frames: Int) -> Double { frames > 0 ? 1000 * seconds / Double(frames) : 0 }
