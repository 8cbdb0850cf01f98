import Effects
import EmpathyCore
import Footage
import Foundation
import Grading
import ImageSequence
import Rendering

/// Everything `empathy grade` needs; built by the command, checked by `GradeJob.init`.
public struct GradeConfiguration: Sendable {
    public var inputs: [String]
    /// A look name (`midnight`, `neon-noir/midnight`) or a `.cube` path.
    public var lut: String
    public var outputDirectory: String
    /// 0 leaves the picture as it is, 1 applies the look fully.
    public var intensity: Float = 1
    public var frames: FrameSpec?
    /// The number of clip frame 1 in file names (frame f is written as startNumber + f - 1).
    public var startNumber: Int = 1
    public var padding: Int = 4
    public var overwrite = false
    public var png: PNGOptions = .default
    /// 8-bit PNG, or floating point end to end into 16-bit PNG or OpenEXR.
    public var format: FrameFormat = .png
    /// OpenEXR only: scene-linear values (the sRGB transfer function undone).
    public var linear = false
    public var platform: RenderContext.Platform = .automatic

    public init(inputs: [String], lut: String, outputDirectory: String) {
        self.inputs = inputs
        self.lut = lut
        self.outputDirectory = outputDirectory
    }
}

/// What happened to one clip.
public struct ClipReport: Sendable {
    public var input: String
    public var outputDirectory: String
    public var firstFileName: String
    public var framesPlanned = 0
    public var framesWritten = 0
    public var framesSkipped = 0
    public var bytesWritten = 0
    public var wallSeconds = 0.0
    public var decodeSeconds = 0.0
    public var renderSeconds = 0.0
    public var encodeSeconds = 0.0
    /// Set when the clip could not be finished; frames written before it are complete.
    public var failure: String?
    /// The failure may clear by itself (`EmpathyError.isTransient`): a farm runs the job again.
    public var failureIsTransient = false

    /// Records the first failure.
    public mutating func fail(_ error: any Error) {
        guard failure == nil else { return }
        failure = "\(error)"
        failureIsTransient = isTransientFailure(error)
    }
}

public struct GradeSummary: Sendable {
    public var clips: [ClipReport]
    public var wallSeconds: Double
    public var renderer: String
    public var lutPath: String

    public var failed: Bool { clips.contains { $0.failure != nil } }
    /// Every failure may clear by itself.
    public var failedTransiently: Bool { failed && clips.allSatisfy { $0.failure == nil || $0.failureIsTransient } }
    public var framesWritten: Int { clips.reduce(0) { $0 + $1.framesWritten } }
}

/// Grades clips through one look into PNG sequences, one sub-folder per clip.
///
/// Frames flow decode thread → bounded queue → GPU pass on the calling thread
/// (which owns the GL context) → a pool of PNG encoders, so decoding, shading
/// and compression overlap. Every input, the look and the output folder are
/// checked before any frame is rendered, so a typo in the last clip does not
/// cost the work on the first.
public final class GradeJob {
    public let configuration: GradeConfiguration
    public let lutPath: String
    private let lut: CubeLUT
    private var sources: [(input: String, info: ClipInfo, stem: String)] = []
    /// The first clip's decoder, opened while checking the inputs and kept
    /// for the run: opening probes the stream (tens of ms at 1080p), and its
    /// first frames decode while the shader compiles.
    private var firstSource: (any FrameSource)?

    public init(configuration: GradeConfiguration) throws {
        guard !configuration.inputs.isEmpty else {
            throw EmpathyError.invalidArgument("no input clips; pass one or more video files or image-sequence patterns")
        }
        guard (0...1).contains(configuration.intensity) else {
            throw EmpathyError.invalidArgument("--intensity must be between 0 and 1, got \(configuration.intensity)")
        }
        self.configuration = configuration
        lutPath = try LUTLibrary.resolve(configuration.lut)
        lut = try CubeFile.read(path: lutPath)
        var stems = Set<String>()
        for input in configuration.inputs {
            let source = try FrameSources.open(input)
            let frames = try source.info.frames(in: configuration.frames, for: "grading")
            try source.requireFrames(frames)
            let stem = GradeJob.stem(of: input)
            let folder = URL(fileURLWithPath: configuration.outputDirectory).appendingPathComponent(stem)
            let naming = Self.naming(stem: stem, configuration)
            try source.requireNotOverwritten(frames: frames) {
                folder.appendingPathComponent(naming.fileName(number: configuration.startNumber + $0 - 1)).path
            }
            guard stems.insert(stem).inserted else {
                throw EmpathyError.invalidArgument(
                    "two inputs would write to the same folder '\(stem)'; grade them in separate runs or rename one")
            }
            sources.append((input, source.info, stem))
            if firstSource == nil { firstSource = source }
        }
    }

    /// The folder and file stem for an input: `reel/scene12.mp4` → `scene12`,
    /// `shots/take.%04d.png` → `take`.
    public static func stem(of input: String) -> String {
        var name = URL(fileURLWithPath: input).lastPathComponent
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        if let pct = name.firstIndex(of: "%") { name = String(name[..<pct]) }
        while name.hasSuffix(".") || name.hasSuffix("_") || name.hasSuffix("-") { name.removeLast() }
        return name.isEmpty ? "clip" : name
    }

    public func run(progress: any ProgressReporter) throws -> GradeSummary {
        let started = Date()
        // The GL first: without it nothing is written, not even a folder.
        let context = try RenderContext(platform: configuration.platform)
        let chain = try lutChain(context)

        // Plan every clip so progress knows the job's size.
        var plans: [(writer: SequenceWriter, frames: [Int], report: ClipReport)] = []
        for (input, info, stem) in sources {
            let directory = URL(fileURLWithPath: configuration.outputDirectory).appendingPathComponent(stem).path
            let naming = Self.naming(stem: stem, configuration)
            let planned = try info.frames(in: configuration.frames, for: "grading")
            // The file numbers this run writes: other runs (a farm's chunks) may write the rest meanwhile.
            let writer = try SequenceWriter(
                directory: directory, naming: naming, encoder: try configuration.format.encoder(pngOptions: configuration.png, linear: configuration.linear),
                overwrite: configuration.overwrite, numbers: planned.map { number(ofFrame: $0.lowerBound)...number(ofFrame: $0.upperBound) })
            var report = ClipReport(input: input, outputDirectory: directory,
                                    firstFileName: naming.fileName(number: configuration.startNumber))
            var frames: [Int] = []
            for frame in planned.joined() {
                if writer.isComplete(number: number(ofFrame: frame)) {
                    writer.noteSkipped()
                    report.framesSkipped += 1
                } else {
                    frames.append(frame)
                }
            }
            report.framesPlanned = planned.reduce(0) { $0 + $1.count }
            report.firstFileName = naming.fileName(number: number(ofFrame: planned.first?.lowerBound ?? 1))
            plans.append((writer, frames, report))
        }

        // The first clip's decoder, opened to check it, starts now, beside
        // the shader's compilation on its first draw.
        var firstDecoder: FramePrefetcher?
        if let source = firstSource, let first = plans.first, !first.frames.isEmpty {
            firstSource = nil
            firstDecoder = FramePrefetcher(source: source, frameNumbers: first.frames)
        }
        defer { firstDecoder?.cancel() }

        let jobTotal = plans.reduce(0) { $0 + $1.report.framesPlanned }
        var jobDone = plans.reduce(0) { $0 + $1.report.framesSkipped }
        var rendered = 0
        var reports: [ClipReport] = []
        for (index, plan) in plans.enumerated() {
            var report = plan.report
            let clipStart = Date()
            var clipDone = report.framesSkipped
            let clipName = URL(fileURLWithPath: report.input).lastPathComponent
            let clipFrames = report.framesPlanned
            let snapshot = { (done: Int) -> ProgressSnapshot in
                .measured(clipName: clipName, clipNumber: index + 1, clipCount: plans.count, framesDone: done,
                          framesTotal: clipFrames, jobFramesDone: jobDone, jobFramesTotal: jobTotal,
                          processed: rendered, since: started)
            }
            progress.update(snapshot(clipDone))
            do {
                let decoder = index == 0 ? firstDecoder : nil
                firstDecoder = nil
                try renderClip(plan.frames, input: report.input, decoder: decoder, writer: plan.writer, chain: chain,
                               report: &report) {
                    clipDone += 1; jobDone += 1; rendered += 1
                    progress.update(snapshot(clipDone))
                }
            } catch {
                report.fail(error)
            }
            let (stats, writeError) = plan.writer.finishCounting()
            report.framesWritten = stats.framesWritten
            report.bytesWritten = stats.bytesWritten
            report.encodeSeconds = stats.encodeSeconds
            if let writeError { report.fail(writeError) }
            report.wallSeconds = Date().timeIntervalSince(clipStart)
            reports.append(report)
        }
        progress.finish()
        return GradeSummary(clips: reports, wallSeconds: Date().timeIntervalSince(started),
                            renderer: context.renderer, lutPath: lutPath)
    }

    private func number(ofFrame frame: Int) -> Int { configuration.startNumber + frame - 1 }

    private static func naming(stem: String, _ configuration: GradeConfiguration) -> SequenceNaming {
        SequenceNaming(stem: stem, padding: configuration.padding, startNumber: configuration.startNumber,
                       fileExtension: configuration.format.fileExtension)
    }

    /// The grade as a one-pass chain: the LUT pass, pointwise, so frames go
    /// through in their decoded row order with one draw each. Floating point
    /// renders into RGBA32F to keep the LUT's precision.
    private func lutChain(_ context: RenderContext) throws -> PassChain {
        let float = configuration.format.isFloat
        let pass = try LUTPass(
            context: context, lut: lut, shaderURL: try ResourceLocator.shadersDirectory().appendingPathComponent("passes/lut.frag"),
            format: float ? .rgba32f : .rgba8)
        try pass.setParameter("intensity", configuration.intensity)
        return try PassChain(context: context, passes: [pass], floatOutput: float)
    }

    /// Decodes `frames` (1-based, ascending) on a helper thread (`started`,
    /// when one is already running for them) and renders each on this
    /// thread, which owns the GL context.
    private func renderClip(_ frames: [Int], input: String, decoder started: FramePrefetcher?, writer: SequenceWriter,
                            chain: PassChain, report: inout ClipReport, frameDone: () -> Void) throws {
        guard !frames.isEmpty else { return }
        let decoder = try started ?? FramePrefetcher(source: FrameSources.open(input), frameNumbers: frames)
        defer {
            decoder.cancel()
            report.decodeSeconds = decoder.decodeSeconds
        }
        while let (frame, image) = try decoder.nextNumbered() {
            try StopRequest.throwIfRequested()
            let t0 = Date()
            // A new output each frame: the last one is still being encoded.
            let output = try chain.renderFrame(image, inputs: FrameInputs(frameIndex: frame - 1, framesPerSecond: 1, state: EmotionState()))
            report.renderSeconds += Date().timeIntervalSince(t0)
            try writer.submit(output, number: number(ofFrame: frame))
            frameDone()
        }
    }
}
