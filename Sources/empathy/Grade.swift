import ArgumentParser
import EmpathyCore
import Foundation
import Pipeline
import Rendering

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

    @OptionGroup var sequence: SequenceOptions

    func validate() throws {
        guard (0...1).contains(intensity) else {
            throw ValidationError("--intensity must be between 0 and 1, got \(intensity)")
        }
    }

    func run() throws {
        try reportingErrors {
            var config = GradeConfiguration(inputs: inputs, lut: lut, outputDirectory: outputDirectory)
            config.intensity = intensity
            sequence.apply(to: &config)
            let job = try GradeJob(configuration: config)
            let summary = try job.run(progress: makeProgressReporter(quiet: sequence.quiet))
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
