import ArgumentParser
import Effects
import EmpathyCore
import Foundation
import ImageSequence
import Pipeline
import Rendering

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a clip through an emotion-driven look into a PNG sequence.",
        discussion: """
            The emotion track (from 'empathy analyze') drives the look's passes:
            particles, glitch, the emotion grade. Without --track the clip is
            analysed first, with the analysis options as 'empathy analyze' takes
            them, and the track is written beside the frames (OUT/<clip>.track.csv).
            A frame's bytes depend only on the clip, the track, the look and the
            frame number, so ranges rendered on different machines (--frames) fit
            together; complete frames are skipped.
            --layers beauty,matte also writes the face matte beside each frame
            (OUT/<clip>.matte.0001.png: the face region from the landmarks as a soft
            alpha, for grading or protecting the face in compositing).
            """)

    @Argument(help: ArgumentHelp("The clip to render.", valueName: "clip"))
    var clip: String

    @Option(help: ArgumentHelp("The emotion track (empathy analyze --out).", valueName: "track.csv"))
    var track: String?

    @Option(help: ArgumentHelp("A look name (see 'empathy looks') or a look .json file.", valueName: "name"))
    var look: String = LookLibrary.defaultName

    @Option(name: .customLong("out"), help: ArgumentHelp("Output folder.", valueName: "dir"))
    var outputDirectory = "rendered"

    @OptionGroup var sequence: SequenceOptions

    @Option(help: ArgumentHelp("Frame files: png (8-bit), png16 (16-bit) or exr (OpenEXR half float, Rec. 709 / D65; display-referred unless --linear).",
                               valueName: "format"))
    var format: FrameFormat = .png

    @Option(help: ArgumentHelp("Stop with an error when one frame's passes take longer than this (a shader that never finishes).",
                               valueName: "seconds"))
    var frameTimeout: Double = 120

    @Flag(help: "With --format exr: scene-linear values (the sRGB transfer function undone) instead of display-referred.")
    var linear = false

    @Option(help: ArgumentHelp("Layers to write, comma-separated: beauty (the picture) and matte (the face matte).",
                               valueName: "beauty,matte"))
    var layers = "beauty"

    @Option(help: ArgumentHelp(
        "Also write previews, comma-separated: sheet (a contact sheet of every Nth frame, OUT/<clip>.preview.png) and mp4 (an H.264 movie of the frames, OUT/<clip>.preview.mp4).",
        valueName: "sheet,mp4"))
    var preview: String?

    @Option(help: ArgumentHelp("Frames between contact-sheet tiles.", valueName: "n"))
    var previewEvery = 12

    @Flag(help: "Also write the review page (OUT/review/index.html; see 'empathy review').")
    var review = false

    /// Without --track: what the clip is analysed with, as 'empathy analyze' takes it.
    @OptionGroup(title: "Analysis (without --track)") var analysis: AnalysisOptionGroup

    /// The --preview list, or nil when it names something else.
    var previewKinds: Set<String>? {
        guard let preview else { return [] }
        let names = preview.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return !names.isEmpty && names.allSatisfy(["sheet", "mp4"].contains) ? Set(names) : nil
    }

    /// The --layers list, or nil when it names something else.
    var layerSet: Set<RenderLayer>? {
        let names = layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = names.compactMap(RenderLayer.init(rawValue:))
        return parsed.count == names.count && !parsed.isEmpty ? Set(parsed) : nil
    }

    func validate() throws {
        guard layerSet != nil else {
            throw ValidationError("--layers '\(layers)' must list beauty and/or matte, e.g. 'beauty,matte'")
        }
        guard let kinds = previewKinds else {
            throw ValidationError("--preview '\(preview ?? "")' must list sheet and/or mp4, e.g. 'sheet,mp4'")
        }
        if !kinds.isEmpty && !(layerSet ?? []).contains(.beauty) {
            throw ValidationError("--preview needs the beauty layer in --layers")
        }
        if !kinds.isEmpty && format != .png { throw ValidationError("--preview reads 8-bit PNG frames; leave out --format or --preview") }
        if review && (format != .png || !(layerSet ?? []).contains(.beauty)) {
            throw ValidationError("--review reads 8-bit PNG beauty frames; leave out --format, or --review")
        }
        guard previewEvery >= 1 else { throw ValidationError("--preview-every must be 1 or more, got \(previewEvery)") }
        if linear && format != .exr { throw ValidationError("--linear needs --format exr") }
        guard frameTimeout.isFinite, frameTimeout >= 1 else { throw ValidationError("--frame-timeout must be at least 1 second, got \(frameTimeout)") }
        let given = analysis.given
        if track != nil && !given.isEmpty {
            throw ValidationError(
                "\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") when analysing; with --track, analyse with \(given.count == 1 ? "it" : "them") first ('empathy analyze') or leave out --track")
        }
    }

    func run() throws {
        try reportingErrors {
            let signals = stoppingBetweenFrames()
            defer { signals.forEach { $0.cancel() } }
            let stem = GradeJob.stem(of: clip)
            // Without --track the analysis's track is kept beside the frames.
            let trackPath = track ?? URL(fileURLWithPath: outputDirectory).appendingPathComponent("\(stem).track.csv").path
            let source: EmotionTrackSource = track != nil
                ? .file(trackPath) : .analyse(try analysis.job(input: clip, trackPath: trackPath))
            var config = RenderConfiguration(input: clip, outputDirectory: outputDirectory, track: source)
            config.look = look
            config.layers = layerSet ?? [.beauty]
            config.format = format
            config.linear = linear
            config.frameTimeoutSeconds = frameTimeout
            let kinds = previewKinds ?? []
            config.previewEvery = kinds.contains("sheet") ? previewEvery : nil
            config.previewMovie = kinds.contains("mp4")
            sequence.apply(to: &config)
            let job = try RenderJob(configuration: config)
            if case .analyse = config.track, !sequence.quiet {
                FileHandle.standardError.write(Data("analysing \(clip) first (no --track given)\n".utf8))
            }
            let summary = try job.run(progress: makeProgressReporter(quiet: sequence.quiet))
            printSummary(summary, trackPath: trackPath)
            if let failure = summary.report.failure {
                printError(failure)
                throw failureExit(transient: summary.report.failureIsTransient)
            }
            if let sheet = summary.previewPath { print("  preview: \(sheet)") }
            if let movie = summary.previewMoviePath { print("  preview: \(movie)") }
            if review { try ReviewOutput.run(ReviewJob(shotDirectory: outputDirectory), quiet: sequence.quiet) }
        }
    }

    private func printSummary(_ summary: RenderSummary, trackPath: String) {
        let r = summary.report
        let written = Double(max(r.framesWritten, 1))
        print(String(format: "Rendered %d frame%@ (%d skipped) of %@ with look '%@' in %.1f s (%.1f fps) on %@",
                     r.framesWritten, r.framesWritten == 1 ? "" : "s", r.framesSkipped, clip, look, r.wallSeconds,
                     r.wallSeconds > 0 ? Double(r.framesWritten) / r.wallSeconds : 0, summary.renderer))
        print(String(format: "  → %@/%@ (decode %.0f ms, passes %.0f ms, readback %.0f ms, encode %.0f ms per frame; track %@)",
                     outputDirectory, r.firstFileName, 1000 * r.decodeSeconds / written,
                     1000 * summary.passSeconds / written, 1000 * summary.readbackSeconds / written,
                     1000 * r.encodeSeconds / written, trackPath))
    }
}
