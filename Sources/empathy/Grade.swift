import ArgumentParser
import EmpathyCore
import Foundation
import ImageSequence
import Pipeline
import Rendering

extension FrameFormat: ExpressibleByArgument {}

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade clips through a LUT into PNG or OpenEXR sequences, one folder per clip.",
        discussion: """
            Each INPUT is a video file or an image-sequence pattern such as shot.%04d.png.
            Frames are written as OUT/<clip>/<clip>.0001.png (or .exr) …; frames already
            complete are skipped when a run is repeated (use --overwrite to redo them).
            --format png16 and exr grade in floating point end to end, so the output
            carries the LUT's precision instead of 8-bit steps. OpenEXR frames are
            half-float RGBA with Rec. 709 / D65 chromaticities, display-referred (the
            graded code values, 0-1) unless --linear asks for scene-linear values.
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

    @Option(help: ArgumentHelp("Frame files: png (8-bit), png16 (16-bit) or exr (OpenEXR half float).", valueName: "format"))
    var format: FrameFormat = .png

    @Flag(help: "With --format exr: scene-linear values (the sRGB transfer function undone) instead of display-referred.")
    var linear = false

    @OptionGroup var sequence: SequenceOptions

    func validate() throws {
        guard (0...1).contains(intensity) else {
            throw ValidationError("--intensity must be between 0 and 1, got \(intensity)")
        }
        if linear && format != .exr { throw ValidationError("--linear needs --format exr") }
    }

    func run() throws {
        try reportingErrors {
            let signals = stoppingBetweenFrames()
            defer { signals.forEach { $0.cancel() } }
            var config = GradeConfiguration(inputs: inputs, lut: lut, outputDirectory: outputDirectory)
            config.intensity = intensity
            config.format = format
            config.linear = linear
            sequence.apply(to: &config)
            let job = try GradeJob(configuration: config)
            let summary = try job.run(progress: makeProgressReporter(quiet: sequence.quiet))
            print(GradeReportFormatter.text(summary))
            // Each failed clip also gets its one error line on stderr, where logs and farm wrappers look.
            for clip in summary.clips {
                if let failure = clip.failure {
                    printError(failure)
                }
            }
            if summary.failed { throw failureExit(transient: summary.failedTransiently) }
        }
    }
}
