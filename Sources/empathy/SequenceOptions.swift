import ArgumentParser
import EmpathyCore
import Pipeline
import Rendering

extension RenderContext.Platform: ExpressibleByArgument {}

/// The options every command that writes a PNG sequence shares.
struct SequenceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Frames to process, counted from 1: A-B, N, A-B:S (every S-th), lists of them (1-10,12) as OpenJD writes them, or A- and -B.",
                               valueName: "A-B"))
    var frames: FrameSpec?

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

    /// Copies these options into a job's configuration.
    func apply(to settings: inout some SequenceSettings) {
        settings.frames = frames
        settings.startNumber = startNumber
        settings.padding = padding
        settings.overwrite = overwrite
        settings.platform = egl
    }

    func validate() throws {
        // Bounded so that a frame's file number (N + f − 1) cannot overflow.
        guard (0...999_999_999).contains(startNumber) else {
            throw ValidationError("--start-number must be from 0 to 999999999, got \(startNumber)")
        }
        guard (1...9).contains(padding) else { throw ValidationError("--padding must be 1 to 9, got \(padding)") }
    }
}
