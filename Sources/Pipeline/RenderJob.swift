import EmpathyCore
import Effects
import Footage
import Foundation
import Fusion
import ImageSequence
import Rendering

/// What a render writes per frame: the picture (`shot.0001.png`) and, as
/// asked, the face matte beside it (`shot.matte.0001.png`, `FaceMatte`).
public enum RenderLayer: String, Sendable, CaseIterable {
    case beauty, matte
}

/// Where a render's emotion timeline comes from.
public enum EmotionTrackSource: Sendable {
    /// A timeline already in memory (a synthetic one, for benchmarks and tests).
    case timeline(any EmotionTimeline)
    /// A track written by `empathy analyze`, with its landmark sidecar when there is one.
    case file(String)
    /// Analyse the clip first with this job; its track (`trackPath`) is kept.
    case analyse(AnalyzeJob)
}

/// Everything an emotion render needs; checked by `RenderJob.init`.
public struct RenderConfiguration: Sendable {
    public var input: String
    /// A look name in `looks/` (`neon-noir`) or a `.json` path.
    public var look: String = LookLibrary.defaultName
    public var outputDirectory: String
    public var track: EmotionTrackSource
    public var frames: FrameSpec?
    /// The number of clip frame 1 in file names.
    public var startNumber: Int = 1
    public var padding: Int = 4
    public var overwrite = false
    public var png: PNGOptions = .default
    /// 8-bit PNG, or floating point end to end into 16-bit PNG or OpenEXR.
    public var format: FrameFormat = .png
    /// OpenEXR only: scene-linear values (the sRGB transfer function undone).
    public var linear = false
    /// The layers to write (at least one).
    public var layers: Set<RenderLayer> = [.beauty]
    /// Also write a contact sheet of every Nth rendered frame
    /// (`<out>/<stem>.preview.png`; 8-bit PNG beauty frames only).
    public var previewEvery: Int?
    /// Also write an H.264 MP4 of the rendered frames (`<out>/<stem>.preview.mp4`;
    /// 8-bit PNG beauty frames only).
    public var previewMovie = false
    public var platform: RenderContext.Platform = .automatic
    /// Wait for the GL after each pass to time it (slower; for benchmarks).
    public var timesPasses = false
    /// A frame whose passes run longer than this stops the render with one
    /// line (a shader that never finishes); see `FrameWatchdog`.
    public var frameTimeoutSeconds: Double = 120

    public init(input: String, outputDirectory: String, track: EmotionTrackSource) {
        self.input = input
        self.outputDirectory = outputDirectory
        self.track = track
    }

    public init(input: String, outputDirectory: String, timeline: any EmotionTimeline) {
        self.init(input: input, outputDirectory: outputDirectory, track: .timeline(timeline))
    }
}

public struct RenderSummary: Sendable {
    public var report: ClipReport
    /// Frames rendered only to rebuild feedback buffers before a chunk's first frame.
    public var warmUpFrames = 0
    public var passSeconds = 0.0
    public var readbackSeconds = 0.0
    /// Per step of the chain ("upload", then each pass), when `timesPasses`.
    public var passStageSeconds: [(name: String, seconds: Double)] = []
    public var renderer: String
    public var lookPath: String
    /// The contact sheet, when one was asked for and written.
    public var previewPath: String?
    /// The MP4 preview, when one was asked for and written.
    public var previewMoviePath: String?
}

/// Renders a clip through a look's pass chain with a per-frame emotion
/// state, into a PNG or OpenEXR sequence (`<out>/<stem>.0001.png`), with
/// the face matte beside it when asked (`<stem>.matte.0001.png`).
///
/// Like `GradeJob`: a decode thread feeds a bounded queue, the calling thread
/// (which owns the GL context) draws, and `SequenceWriter`'s encoders write.
/// Complete frames are skipped. A frame's bytes depend only on the clip, the
/// timeline, the look and the frame number: feedback buffers reset at fixed
/// frame indices, and before a chunk's first frame the job renders (without
/// writing) the frames back to the last reset.
public final class RenderJob {
    public let configuration: RenderConfiguration
    public let look: Look
    public let info: ClipInfo
    /// The decoder opened to check the clip, kept for the first run (opening
    /// probes the stream, tens of ms at 1080p).
    private var openedSource: (any FrameSource)?
    /// The timeline once known: at once from memory or a file, after the analysis otherwise.
    private var timeline: (any EmotionTimeline)?

    /// Checks the look, the clip and a given track; the look first, so a
    /// misspelt name fails before a long analysis.
    public init(configuration: RenderConfiguration) throws {
        self.configuration = configuration
        look = try Look.load(try LookLibrary.resolve(configuration.look))
        let source = try FrameSources.open(configuration.input)
        info = source.info
        let frames = try info.frames(in: configuration.frames, for: "a batch render")
        try source.requireFrames(frames)
        let stem = GradeJob.stem(of: configuration.input)
        for layer in configuration.layers {
            let naming = Self.naming(layer == .matte ? stem + ".matte" : stem, configuration)
            try source.requireNotOverwritten(frames: frames) {
                URL(fileURLWithPath: configuration.outputDirectory)
                    .appendingPathComponent(naming.fileName(number: configuration.startNumber + $0 - 1)).path
            }
        }
        openedSource = source
        switch configuration.track {
        case .timeline(let given): timeline = try checked(given, from: "the emotion timeline")
        case .file(let path):
            timeline = try checked(TrackTimeline.read(path: path, width: info.width, height: info.height), from: "the emotion track '\(path)'")
        case .analyse: timeline = nil
        }
    }

    /// A layer's file names (`<stem>.0001.png`, `<stem>.matte.0001.png`).
    private static func naming(_ stem: String, _ configuration: RenderConfiguration) -> SequenceNaming {
        SequenceNaming(stem: stem, padding: configuration.padding, startNumber: configuration.startNumber,
                       fileExtension: configuration.format.fileExtension)
    }

    /// The timeline to render with, analysing the clip first when asked (its progress reported as the render's).
    private func loadTimeline(progress: any ProgressReporter) throws -> any EmotionTimeline {
        if let timeline { return timeline }
        guard case .analyse(let analysis) = configuration.track else { preconditionFailure("a given track is read in init") }
        _ = try analysis.run(progress: progress)
        let analysed = try checked(TrackTimeline.read(path: analysis.trackPath, width: info.width, height: info.height),
                                   from: "the emotion track '\(analysis.trackPath)'")
        timeline = analysed
        return analysed
    }

    /// `timeline`, once it is known to fit the clip.
    private func checked(_ timeline: any EmotionTimeline, from what: String) throws -> any EmotionTimeline {
        let frameCount = try info.requireFrameCount(for: "a batch render")
        guard timeline.frameCount == frameCount else {
            throw EmpathyError.invalidArgument(
                "\(what) has \(timeline.frameCount.map(String.init) ?? "no end of") frames but '\(configuration.input)' has \(frameCount); analyse this clip again (is the track from another clip?)")
        }
        guard abs(timeline.framesPerSecond - info.framesPerSecond) < 0.01 else {
            throw EmpathyError.invalidArgument(
                "\(what) runs at \(timeline.framesPerSecond) fps but '\(configuration.input)' at \(info.framesPerSecond) fps; analyse this clip again")
        }
        return timeline
    }

    public func run(progress: any ProgressReporter) throws -> RenderSummary {
        let timeline = try loadTimeline(progress: progress)
        let started = Date()
        let context = try RenderContext(platform: configuration.platform)
        let renderer = try LookRenderer(
            context: context, look: look, timeline: timeline,
            shadersDirectory: try ResourceLocator.shadersDirectory(), floatOutput: configuration.format.isFloat)
        renderer.chain.timesStages = configuration.timesPasses
        let stem = GradeJob.stem(of: configuration.input)
        let format = configuration.format
        let plannedRuns = try info.frames(in: configuration.frames, for: "a batch render")
        // The file numbers this run writes: other runs (a farm's chunks) may write the rest meanwhile.
        let numbers = plannedRuns.map { (configuration.startNumber + $0.lowerBound - 1)...(configuration.startNumber + $0.upperBound - 1) }
        func layerWriter(_ stem: String, linear: Bool) throws -> SequenceWriter {
            try SequenceWriter(
                directory: configuration.outputDirectory,
                naming: Self.naming(stem, configuration),
                encoder: try format.encoder(pngOptions: configuration.png, linear: linear), overwrite: configuration.overwrite,
                numbers: numbers)
        }
        let writer = try layerWriter(stem, linear: configuration.linear)
        let naming = writer.naming
        // A matte is coverage, not colour: never linearised.
        let matteWriter = try configuration.layers.contains(.matte) ? layerWriter(stem + ".matte", linear: false) : nil
        let writesBeauty = configuration.layers.contains(.beauty)
        var report = ClipReport(input: configuration.input, outputDirectory: configuration.outputDirectory,
                                firstFileName: naming.fileName(number: configuration.startNumber))
        let planned = plannedRuns.flatMap { Array($0) }
        var needed: [Int] = []
        // A frame is done when every layer asked for is complete.
        func isComplete(_ number: Int) -> Bool {
            (!writesBeauty || writer.isComplete(number: number)) && (matteWriter?.isComplete(number: number) ?? true)
        }
        for frame in planned {
            if isComplete(configuration.startNumber + frame - 1) {
                writer.noteSkipped()
                report.framesSkipped += 1
            } else {
                needed.append(frame)
            }
        }
        report.framesPlanned = planned.count
        report.firstFileName = naming.fileName(number: configuration.startNumber + (planned.first ?? 1) - 1)
        // Frames to draw: each needed frame and the frames back to its
        // chain's last feedback reset (1-based frame = index + 1).
        var process = Set<Int>()
        for frame in needed {
            process.formUnion((renderer.warmUpStart(forFrameIndex: frame - 1) + 1)...frame)
        }
        let neededSet = Set(needed)
        var summary = RenderSummary(report: report, renderer: context.renderer, lookPath: look.path)
        summary.warmUpFrames = process.count - needed.count

        var done = report.framesSkipped
        var rendered = 0
        let clipName = URL(fileURLWithPath: configuration.input).lastPathComponent
        let total = report.framesPlanned
        let snapshot = { () -> ProgressSnapshot in
            .measured(clipName: clipName, framesDone: done, framesTotal: total, processed: rendered, since: started)
        }
        progress.update(snapshot())
        do {
            let look = configuration.look
            let watchdog = FrameWatchdog(seconds: configuration.frameTimeoutSeconds) { [timeout = configuration.frameTimeoutSeconds] frame in
                "frame \(frame) ran over \(Int(timeout)) s in the passes of look '\(look)' (a shader that never finishes?); stopped, complete frames are kept"
            }
            try decodeAndRender(process.sorted()) { frame, image in
                watchdog.arm(frame: frame)
                defer { watchdog.disarm() }
                let t0 = Date()
                let inputs = try renderer.prepare(frameIndex: frame - 1)
                let texture = try renderer.chain.draw(image, inputs: inputs)
                guard neededSet.contains(frame) else { return }
                renderer.chain.finish()
                let t1 = Date()
                let number = configuration.startNumber + frame - 1
                if writesBeauty { try writer.submit(try renderer.chain.readBackFrame(texture), number: number) }
                let t2 = Date()
                summary.passSeconds += t1.timeIntervalSince(t0)
                summary.readbackSeconds += t2.timeIntervalSince(t1)
                if let matteWriter {
                    let matte = FaceMatte.render(timeline.state(at: frame - 1), width: image.width, height: image.height)
                    try matteWriter.submit(format.isFloat ? .float(matte) : .rgba8(RGBAImage(matte)), number: number)
                }
                done += 1
                rendered += 1
                progress.update(snapshot())
            } decodeSeconds: { summary.report.decodeSeconds = $0 }
        } catch {
            summary.report.fail(error)
        }
        for layerWriter in [writesBeauty ? writer : nil, matteWriter].compactMap({ $0 }) {
            let (stats, writeError) = layerWriter.finishCounting()
            summary.report.framesWritten = max(summary.report.framesWritten, stats.framesWritten)
            summary.report.bytesWritten += stats.bytesWritten
            summary.report.encodeSeconds += stats.encodeSeconds
            if let writeError { summary.report.fail(writeError) }
        }
        summary.passStageSeconds = renderer.chain.stageSeconds
        summary.report.renderSeconds = summary.passSeconds + summary.readbackSeconds
        summary.report.wallSeconds = Date().timeIntervalSince(started)
        progress.finish()
        if summary.report.failure == nil {
            try manifest(renderer: context.renderer).write(to: RenderManifest.path(inDirectory: configuration.outputDirectory, stem: stem))
        }
        if let every = configuration.previewEvery, summary.report.failure == nil, !planned.isEmpty {
            summary.previewPath = try writePreview(frames: planned, every: every, naming: naming)
        }
        if configuration.previewMovie, summary.report.failure == nil, !planned.isEmpty {
            summary.previewMoviePath = try writePreviewMovie(frames: planned, naming: naming)
        }
        return summary
    }

    /// What made these frames, with absolute paths (the page that reads it may be opened from anywhere).
    private func manifest(renderer: String) -> RenderManifest {
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        var track: String?, session: String?, offset: Double?
        switch configuration.track {
        case let .file(path): track = absolute(path)
        case let .analyse(job):
            track = absolute(job.trackPath)
            session = job.sensorSessionPath.map(absolute)
            offset = job.sensorOffsetSeconds
        case .timeline: break
        }
        return RenderManifest(
            clip: absolute(configuration.input), look: look.name, lookPath: absolute(look.path),
            passes: look.passes.map(\.kind.name), luts: RenderManifest.luts(of: look), track: track, session: session,
            sessionOffsetSeconds: offset, framesPerSecond: info.framesPerSecond, stem: GradeJob.stem(of: configuration.input),
            startNumber: configuration.startNumber, padding: configuration.padding, format: configuration.format.fileExtension,
            renderer: renderer)
    }

    /// An MP4 of `frames`, read back from the written frames
    /// (`<out>/<stem>.preview.mp4`).
    private func writePreviewMovie(frames: [Int], naming: SequenceNaming) throws -> String {
        guard configuration.format == .png, configuration.layers.contains(.beauty) else {
            throw EmpathyError.invalidArgument("an MP4 preview reads 8-bit PNG beauty frames; render --format png with the beauty layer")
        }
        let directory = URL(fileURLWithPath: configuration.outputDirectory)
        let paths = frames.map { directory.appendingPathComponent(naming.fileName(number: configuration.startNumber + $0 - 1)).path }
        let movie = directory.appendingPathComponent("\(GradeJob.stem(of: configuration.input)).preview.mp4").path
        try PreviewMovie.write(framePaths: paths, framesPerSecond: info.framesPerSecond, to: movie)
        return movie
    }

    /// A contact sheet of every `every`th frame of `frames`, read back from
    /// the written frames (`<out>/<stem>.preview.png`).
    private func writePreview(frames: [Int], every: Int, naming: SequenceNaming) throws -> String {
        guard configuration.format == .png, configuration.layers.contains(.beauty) else {
            throw EmpathyError.invalidArgument("a contact sheet reads 8-bit PNG beauty frames; render --format png with the beauty layer")
        }
        let picked = stride(from: 0, to: frames.count, by: max(1, every)).map { frames[$0] }
        let directory = URL(fileURLWithPath: configuration.outputDirectory)
        let paths = picked.map { directory.appendingPathComponent(naming.fileName(number: configuration.startNumber + $0 - 1)).path }
        let sheet = directory.appendingPathComponent("\(GradeJob.stem(of: configuration.input)).preview.png").path
        try ContactSheet.write(framePaths: paths, labels: picked.map { "\($0)" }, to: sheet)
        return sheet
    }

    /// Decodes `frames` (1-based, ascending) on a helper thread and hands
    /// each to `body` on this thread; long gaps seek. Rows are flipped beside
    /// the decoder, so the GPU thread uploads them the way GL stores them.
    private func decodeAndRender(
        _ frames: [Int], body: (Int, RGBAImage) throws -> Void, decodeSeconds: (Double) -> Void
    ) throws {
        guard !frames.isEmpty else { return }
        let source = try openedSource ?? FrameSources.open(configuration.input)
        openedSource = nil
        let decoder = FramePrefetcher(source: source, frameNumbers: frames, prepare: { PassChain.bottomUp($0) })
        defer {
            decoder.cancel()
            decodeSeconds(decoder.decodeSeconds)
        }
        while let (frame, image) = try decoder.nextNumbered() {
            try StopRequest.throwIfRequested()
            try body(frame, image)
        }
    }
}
