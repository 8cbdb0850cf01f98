import ArgumentParser
import EmpathyCore
import Foundation
import Pipeline
import Rendering

extension RenderContext.Platform: ExpressibleByArgument {}

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade clips through a LUT into PNG sequences, one folder per clip.",
        discussion: """
            Each INPUT is a video file or an image-sequence pattern such as shot.%04d.png.
            Frames are written as OUT/<clip>/<clip>.0001.png …; frames already complete
            are skipped when a run is repeated (use --overwrite to redo them).
            """)

    @Argument(help: ArgumentHelp("Clips to grade.", valueName: "input"))
    var inputs: [String]

    @Option(help: ArgumentHelp(
        "A look name (midnight, neon-noir/midnight; see 'empathy luts') or a .cube file.", valueName: "name|file.cube"))
    var lut: String

    @Option(name: .customLong("out"), help: ArgumentHelp("Output folder.", valueName: "dir"))
    var outputDirectory = "graded"

    @Option(help: "How much of the look to apply, 0 to 1.")
    var intensity: Float = 1

    @Option(help: ArgumentHelp("Frames to grade, counted from 1: A-B, A-, -B or N.", valueName: "A-B"))
    var frames: FrameRange?

    @Option(help: "File number of the clip's first frame (frame f is written as N+f-1).")
    var startNumber = 1

    @Option(help: "Digits in frame numbers.")
    var padding = 4

    @Flag(help: "Rewrite frames that already exist.")
    var overwrite = false

    @Option(help: ArgumentHelp("EGL platform: auto, device (GPU) or surfaceless (Mesa).", valueName: "platform"))
    var egl: RenderContext.Platform = .automatic

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard (0...1).contains(intensity) else {
            throw ValidationError("--intensity must be between 0 and 1, got \(intensity)")
        }
        guard startNumber >= 0 else { throw ValidationError("--start-number must be 0 or more, got \(startNumber)") }
        guard (1...9).contains(padding) else { throw ValidationError("--padding must be 1 to 9, got \(padding)") }
    }

    func run() throws {
        try reportingErrors {
            var config = GradeConfiguration(inputs: inputs, lut: lut, outputDirectory: outputDirectory)
            config.intensity = intensity
            config.frames = frames
            config.startNumber = startNumber
            config.padding = padding
            config.overwrite = overwrite
            config.platform = egl
            let job = try GradeJob(configuration: config)
            let summary = try job.run(progress: makeProgressReporter(quiet: quiet))
            print(GradeReportFormatter.text(summary))
            // Each failed clip also gets its one error line on stderr, where logs and farm wrappers look.
            for clip in summary.clips {
                if let failure = clip.failure {
                    FileHandle.standardError.write(Data("empathy: error: \(failure)\n".utf8))
                }
            }
            if summary.failed { throw ExitCode.failure }
        }
    }
}
