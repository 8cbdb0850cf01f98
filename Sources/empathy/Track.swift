import ArgumentParser
import EmpathyCore
import FaceAnalysis
import Foundation
import Pipeline

struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Work with emotion tracks.",
        subcommands: [TrackMergeCommand.self])
}

struct TrackMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the tracks of a clip analysed in pieces (analyze --frames) into the clip's track.",
        discussion: """
            Each piece's landmark sidecar must lie beside its track. Every frame from the
            first must be in a piece; a frame in two pieces must read the same in both.
            Brief expressions are found again over the whole track. Writes TRACK, its
            landmarks and plot, as 'empathy analyze' does.
              empathy analyze clip.mp4 --frames 1-1500 --out pieces/1.csv
              empathy analyze clip.mp4 --frames 1501-3000 --out pieces/2.csv
              empathy track merge pieces/1.csv pieces/2.csv --out clip.track.csv
            """)

    @Argument(help: ArgumentHelp("The pieces' tracks, in any order.", valueName: "piece"))
    var pieces: [String]

    @Option(name: .customLong("out"), help: ArgumentHelp("The merged track to write (.csv).", valueName: "track"))
    var track: String

    @Option(help: "The clip's frame rate (default: read from the tracks' frame times).")
    var fps: Double?

    func validate() throws {
        if let fps, !(fps.isFinite && fps > 0 && fps <= 1000) { throw ValidationError("--fps must be above 0 and at most 1000, got \(fps)") }
    }

    func run() throws {
        try reportingErrors {
            var job = TrackMergeJob(piecePaths: pieces, trackPath: track)
            job.framesPerSecond = fps
            let summary = try job.run()
            print(String(format: "%@: %d frame(s) from %d piece(s) at %g fps, face in %d%@", track, summary.frameCount, pieces.count,
                         summary.framesPerSecond, summary.faceFrameCount,
                         summary.sharedFrameCount > 0 ? ", \(summary.sharedFrameCount) frame(s) in two pieces read the same" : ""))
            print(MicroExpression.summary(summary.microExpressions))
            print("landmarks: \(summary.landmarksPath)")
            print("plot: \(summary.plotPath)")
        }
    }
}
