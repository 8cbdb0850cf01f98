import ArgumentParser
import EmpathyCore
import FaceAnalysis
import Foundation
import Pipeline

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
            A long clip can be analysed in pieces (--frames, one per farm chunk) and the
            pieces' tracks merged: empathy track merge piece-*.csv --out clip.csv.
            The landmark model (Debian libdlib-data) was trained on the iBUG 300-W
            data set, whose licence excludes commercial use; see docs/emotion-track.md.
            """)

    @Argument(help: ArgumentHelp("Clip, image sequence or still photo.", valueName: "input"))
    var input: String

    @Option(name: .customLong("out"), help: ArgumentHelp("The emotion track to write (.csv).", valueName: "track"))
    var track: String

    @Option(help: ArgumentHelp("Folder for check frames with landmarks and scores drawn.", valueName: "dir"))
    var overlay: String?

    @Option(help: ArgumentHelp("Only these frames, counted from 1, as render's --frames takes them (a farm chunk); merge the pieces with 'empathy track merge'.",
                               valueName: "A-B"))
    var frames: FrameSpec?

    @Option(help: ArgumentHelp("With --frames: seconds analysed before each run of frames and not written, so the tracker and filters have settled.",
                               valueName: "seconds"))
    var warmUp = 2.0

    @OptionGroup var analysis: AnalysisOptionGroup

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard warmUp.isFinite, (0...600).contains(warmUp) else { throw ValidationError("--warm-up must be from 0 to 600 seconds, got \(warmUp)") }
    }

    func run() throws {
        try reportingErrors {
            let signals = stoppingBetweenFrames()
            defer { signals.forEach { $0.cancel() } }
            var job = try analysis.job(input: input, trackPath: track)
            job.overlayDirectory = overlay
            job.frames = frames
            job.warmUpSeconds = warmUp
            let summary = try job.run(progress: makeProgressReporter(quiet: quiet))
            printSummary(summary, profile: job.profile)
            if frames != nil && job.profile == nil {
                print("note: without --calibration this piece learnt the performer's neutral face from its own warm-up only, so its scores "
                      + "can differ from a whole-clip analysis; give --calibration (a profile, or 'default') for pieces that merge into exactly that")
            }
        }
    }

    private func printSummary(_ summary: AnalyzeJob.Summary, profile: NeutralProfile?) {
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
        if let heart = summary.heart {
            print(String(format: "heart: %d beats from %@ (offset %.2f s), resting %.0f BPM / %.0f ms RMSSD%@",
                         heart.session.beats.count, analysis.sensor ?? "", heart.session.offsetSeconds,
                         heart.baseline.restingHeartRateBPM, heart.baseline.restingRMSSDMs,
                         profile?.restingHeartRateBPM == nil ? " (population defaults)" : ""))
        }
        print("landmarks: \(summary.landmarksPath)")
        print("plot: \(summary.plotPath)")
    }
}

func perFrameMs(_ seconds: Double, _ frames: Int) -> Double { frames > 0 ? 1000 * seconds / Double(frames) : 0 }
