import ArgumentParser
import EmpathyCore
import Foundation
import Pipeline

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Write the review page of a rendered shot: the render over its source, the emotion curves and the markers.",
        discussion: """
            SHOT_DIR is a render's --out folder. The page (SHOT_DIR/review/index.html)
            opens from file:// in any browser with no server: an H.264 preview of the
            render with the source beside it under a wipe, valence, arousal, the seven
            categories and the heart rate with its beats on one time axis with a
            playhead, and the markers on that axis (click one to seek). Keys: space
            play/pause, J K L shuttle, ← → a frame (shift: 10), ↑ ↓ the markers.
            The folder also holds the markers as markers.otio and markers.edl (see
            'empathy markers'). The clip, look, track and session come from the
            render's manifest (<clip>.render.json); the options below replace them.
            """)

    @Argument(help: ArgumentHelp("A render's output folder.", valueName: "shot-dir"))
    var shotDirectory: String

    @Option(name: .customLong("out"), help: ArgumentHelp("The page's folder (default SHOT_DIR/review).", valueName: "dir"))
    var outputDirectory: String?

    @Option(help: ArgumentHelp("The render's clip name, when the folder holds several renders.", valueName: "stem"))
    var stem: String?

    @Option(help: ArgumentHelp("The emotion track (default: the one the render used).", valueName: "track.csv"))
    var track: String?

    @Option(help: ArgumentHelp("The source clip for the wipe (default: the one the render used).", valueName: "clip"))
    var clip: String?

    @Option(help: ArgumentHelp("The page's movies are scaled down to at most this wide.", valueName: "pixels"))
    var movieWidth = 1280

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @OptionGroup var timing: MarkerTimingOptions

    @OptionGroup(title: "Marker rules") var rules: MarkerRuleOptions

    func validate() throws {
        guard (16...8192).contains(movieWidth) else { throw ValidationError("--movie-width must be from 16 to 8192, got \(movieWidth)") }
    }

    func run() throws {
        try reportingErrors {
            let signals = stoppingBetweenFrames()
            defer { signals.forEach { $0.cancel() } }
            var job = ReviewJob(shotDirectory: shotDirectory)
            job.outputDirectory = outputDirectory
            job.stem = stem
            job.trackPath = track
            job.sessionPath = timing.session
            job.sessionOffsetSeconds = timing.sensorOffset
            job.clipPath = clip
            job.startTimecode = timing.startTimecode
            job.movieWidth = movieWidth
            job.rules = try rules.rules()
            try ReviewOutput.run(job, quiet: quiet)
        }
    }
}

/// Runs a review job and says what it made (also for render --review).
enum ReviewOutput {
    static func run(_ job: ReviewJob, quiet: Bool) throws {
        let result = try job.run { step in
            if !quiet { FileHandle.standardError.write(Data("review: \(step)\n".utf8)) }
        }
        result.notes.forEach { FileHandle.standardError.write(Data("empathy: note: \($0)\n".utf8)) }
        if !quiet {
            print("Review page: \(URL(fileURLWithPath: result.pagePath).standardizedFileURL.path) (\(result.frameCount) frames, \(result.markerCount) markers)")
        }
    }
}
