import Biometrics
import Effects
import EmpathyCore
import FaceAnalysis
import Footage
import Foundation
import Fusion
import ImageSequence
import Rendering

/// Where a live take's frames come from.
public enum LiveInput: Sendable, Equatable {
    /// A clip delivered at its own rate as a camera delivers: frame n is
    /// ready at n / fps whether or not the take is ready for it. `loop`
    /// starts it again at the end; without it the take ends with the clip.
    case play(path: String, loop: Bool)
    /// A V4L2 camera (`/dev/videoN`), asked for a size and rate (nil: its
    /// current mode): frames are taken as the camera delivers them.
    case camera(device: String, width: Int?, height: Int?, framesPerSecond: Double?)
}

public struct LiveConfiguration: Sendable {
    public var input: LiveInput
    public var look = LookLibrary.defaultName
    /// The pulse sensor, read live (reconnecting after an unplug); nil for none.
    public var sensor: SensorSource?
    public var sensorOptions = SensorReaderOptions()
    /// The face analysis (models, detector, calibration); its input and track paths are not used.
    public var analysis: AnalyzeJob
    public var durationSeconds: Double?
    /// The take's folder: rendered frames, source frames, track, session. nil: nothing is recorded.
    public var outputDirectory: String?
    public var stem = "take"
    public var platform: RenderContext.Platform = .automatic
    /// Frames waiting between capture and render; a full queue drops at capture.
    public var queueCapacity = 2
    /// The most face analyses a second; the frames between use the newest
    /// reading. Expressions change over a few hundred milliseconds, and each
    /// analysis costs CPU the passes and encoders need (about 7 ms a frame here).
    public var analysisPerSecond = 15.0
    /// The most face analyses a second while the take is behind: frames wait
    /// for the render, or half the recording's backlog waits for the encoders.
    public var analysisWhileBehindPerSecond = 5.0

    public init(input: LiveInput, analysis: AnalyzeJob) {
        self.input = input
        self.analysis = analysis
    }
}

/// What a take did, also reported once a second while it runs.
public struct LiveStatus: Sendable {
    public var seconds = 0.0
    /// Frames the source delivered, and those dropped at capture (the
    /// render was behind and the queue full, or the capture itself late).
    public var framesOffered = 0
    public var framesDropped = 0
    /// Of the dropped, those the capture itself delivered more than a frame
    /// late (the machine starved the capture thread or the decoder); the
    /// rest found the queue full (the render was behind).
    public var framesDroppedLate = 0
    /// Frames rendered (the take's frames), and of them written to disk.
    public var framesRendered = 0
    public var framesRecorded = 0
    /// Rendered frames not recorded: the recording had stopped (a full disk).
    public var framesNotRecorded = 0
    public var framesAnalysed = 0
    public var framesPerSecond = 0.0
    /// Capture to rendered (read back), median over the last second, ms.
    public var latencyMs: Double?
    public var heartRateBPM: Double?
    public var beatPhase: Double?
    public var sensorConnected = false
    public var valence = 0.0
    public var arousal = 0.0
    public var topCategory = EmotionCategory.neutral
    /// Why recording stopped (a full disk), when it did; the live picture goes on.
    public var recordingStopped: String?
    /// Over the whole take, at its end: capture → read back, and capture → on disk (recorded frames), ms.
    public var renderLatencyMs = Spread()
    public var diskLatencyMs = Spread()
    /// Each sensor beat against the frame whose particles burst for it:
    /// (burst frame's capture time − beat time) × fps. The beat lands on its
    /// own frame when this is in [0, 1); `beatsMissed` had no burst within half an interval.
    public var beatOffsetFrames = Spread()
    public var beatsMissed = 0
    /// How long after it happened each beat reached the take (the sensor's
    /// detection, the serial line and the reader), ms. A beat that arrives
    /// after its frame was rendered cannot burst on that frame; the
    /// prediction covers it.
    public var beatArrivalMs = Spread()
    /// Times the sensor came back after an unplug.
    public var sensorReconnects = 0
    /// Why the face analysis stopped, if it did; the frames after it used its last reading.
    public var analysisStopped: String?

    /// A median and 95th percentile.
    public struct Spread: Sendable {
        public var count = 0
        public var median = 0.0
        public var p95 = 0.0
        public init() {}
        public init(_ values: [Double]) {
            let sorted = values.sorted()
            count = sorted.count
            guard !sorted.isEmpty else { return }
            median = sorted[sorted.count / 2]
            p95 = sorted[min(sorted.count - 1, Int((0.95 * Double(sorted.count)).rounded(.down)))]
        }
    }

    public var droppedPercent: Double { framesOffered > 0 ? 100 * Double(framesDropped) / Double(framesOffered) : 0 }
}

/// `empathy live`: frames from a camera-like source, the face analysed as
/// fast as the machine allows, the heart from a live sensor, rendered through
/// a look every frame, and (with an output folder) recorded as it happens.
///
/// Threads: capture (paced by the source) → bounded queue → render (this
/// thread: fuse, look, read back) → encoder pool; the analyser takes the
/// newest rendered-to-be frame and publishes its reading, which the frames
/// after it use until the next; the sensor reader feeds the heart. Disk is
/// never on the capture path: a render slowed by the encoders drops frames
/// at capture (counted) instead of queueing them. A take's frame f renders
/// from the state its track row f reads back as, so `empathy render` of the
/// recorded source frames with the recorded track and the same look gives
/// the same frames.
public final class LiveJob {
    public let configuration: LiveConfiguration
    public let look: Look
    private let source: any FrameSource
    /// Called on the render thread with each rendered frame (its row order
    /// as read back) and the status so far: for a preview. Keep it short; it delays the take.
    public var onFrame: ((RGBAImage, LiveStatus) -> Void)?
    public var info: ClipInfo { source.info }

    public init(configuration: LiveConfiguration) throws {
        self.configuration = configuration
        look = try Look.load(try LookLibrary.resolve(configuration.look))
        switch configuration.input {
        case let .play(path, _): source = try FrameSources.open(path)
        case let .camera(device, width, height, fps):
            source = try CameraSource(device: device, width: width, height: height, framesPerSecond: fps)
        }
        guard source.info.framesPerSecond.isFinite, source.info.framesPerSecond > 0 else {
            throw EmpathyError.invalidArgument("'\(source.info.path)' has no frame rate; a live source needs one")
        }
    }

    /// Runs the take until the source ends, `durationSeconds` pass or a stop
    /// is requested (Ctrl-C); `status` is called about once a second. What
    /// fails before the first frame leaves nothing behind; what fails during
    /// the take closes the recording (every written frame complete, the track
    /// and session up to that frame) and is then reported.
    public func run(status: (LiveStatus) -> Void) throws -> LiveStatus {
        let clock = LiveClock()
        let paths = try configuration.outputDirectory.map { try LiveRecording.Paths(directory: $0, stem: configuration.stem) }
        let heart = try configuration.sensor.map { try LiveHeartFeed(source: $0, options: configuration.sensorOptions, clock: clock,
                                                                     sessionPath: paths?.session) }
        defer { heart?.abandonUnlessFinished() }
        let analysis = try LiveAnalysis(job: configuration.analysis, perSecond: configuration.analysisPerSecond,
                                        whileBehindPerSecond: configuration.analysisWhileBehindPerSecond)
        let queue = BoundedQueue<CapturedFrame>(capacity: configuration.queueCapacity)
        let capture = LiveCapture(source: source, input: configuration.input, clock: clock, queue: queue,
                                  durationSeconds: configuration.durationSeconds)
        let timeline = LiveTimeline(framesPerSecond: info.framesPerSecond)
        let renderer = try LookRenderer(context: try RenderContext(platform: configuration.platform), look: look, timeline: timeline,
                                        shadersDirectory: try ResourceLocator.shadersDirectory())
        defer {
            capture.stop()
            analysis.stop()
            heart?.stop()
        }
        try heart?.start()
        let recording = try paths.map { try LiveRecording(paths: $0, info: info) }
        // Frame n is due at origin + n / fps, on the take clock.
        let origin = clock.seconds + 0.02
        heart?.markTakeStart(at: origin)
        capture.start(origin: origin)
        var report = LiveStatus()
        do {
            try take(from: queue, capture: capture, analysis: analysis, heart: heart, renderer: renderer, timeline: timeline,
                     recording: recording, clock: clock, report: &report, status: status)
        } catch {
            heart?.stop()
            try? recording?.finish(into: &report)
            try? heart?.finish()
            throw error
        }
        heart?.stop()
        try recording?.finish(into: &report)
        try heart?.finish()
        if let failure = capture.failure { throw failure }
        return report
    }

    /// The render thread: each frame from the queue fused, rendered, recorded.
    private func take(from queue: BoundedQueue<CapturedFrame>, capture: LiveCapture, analysis: LiveAnalysis, heart: LiveHeartFeed?,
                      renderer: LookRenderer, timeline: LiveTimeline, recording: LiveRecording?, clock: LiveClock,
                      report: inout LiveStatus, status: (LiveStatus) -> Void) throws {
        // Capture → read back per frame; the status line takes the median since its last report.
        var latencies: [Double] = [], bursts: [Double] = []
        var sinceStatus = 0
        let particleRule = ParticleField(timeline: timeline)
        var lastStatus = clock.seconds
        let baseline = HeartFusion.baseline(from: configuration.analysis.profile)
        defer {
            report.renderLatencyMs = LiveStatus.Spread(latencies)
            report.analysisStopped = analysis.error
            report.sensorReconnects = heart?.counts.reconnects ?? 0
            report.beatArrivalMs = LiveStatus.Spread(heart?.beatDelaysMs() ?? [])
            if let heart { (report.beatOffsetFrames, report.beatsMissed) = Self.beatOffsets(heart.beatTimes(), bursts: bursts, fps: info.framesPerSecond) }
        }
        while let frame = queue.take() {
            let index = report.framesRendered
            analysis.offer(frame, index: index, behind: queue.count > 0 || recording?.backlogged == true)
            let beat = heart?.reading(at: frame.captureSeconds)
            let (row, points) = try Self.row(index: index, fps: info.framesPerSecond, face: analysis.latest, heart: beat, baseline: baseline)
            timeline.append(TrackTimeline.state(for: row, width: frame.image.width, height: frame.image.height, landmarks: points))
            let inputs = try renderer.prepare(frameIndex: index)
            let texture = try renderer.chain.draw(PassChain.bottomUp(frame.image), inputs: inputs)
            renderer.chain.finish()
            let rendered = try renderer.chain.readBackFrame(texture)
            latencies.append(1000 * (clock.seconds - frame.captureSeconds))
            // A burst frame by the particles' own rule.
            if !particleRule.beats(in: index..<(index + 1)).isEmpty { bursts.append(frame.captureSeconds) }
            report.framesRendered += 1
            recording?.record(source: frame.image, rendered: rendered, row: row, landmarks: points, number: index + 1,
                              captureSeconds: frame.captureSeconds, clock: clock, into: &report)
            report.valence = row.valence
            report.arousal = row.fusedArousal ?? row.arousal
            report.topCategory = row.estimate.top
            report.heartRateBPM = row.heartRateBPM
            report.beatPhase = row.beatPhase
            report.sensorConnected = beat?.connected ?? false
            if let onFrame, case let .rgba8(image) = rendered { onFrame(image, report) }
            if clock.seconds - lastStatus >= 1 {
                fill(&report, capture: capture, analysis: analysis, clock: clock, latencies: latencies[sinceStatus...])
                sinceStatus = latencies.count
                status(report)
                lastStatus = clock.seconds
            }
        }
        fill(&report, capture: capture, analysis: analysis, clock: clock, latencies: latencies[sinceStatus...])
    }

    /// Matches each beat (take clock) with the nearest burst frame's capture
    /// time; offsets in frames, and the beats with no burst within half an interval.
    static func beatOffsets(_ beats: [Double], bursts: [Double], fps: Double) -> (LiveStatus.Spread, Int) {
        guard let first = bursts.first, let last = bursts.last else { return (LiveStatus.Spread(), 0) }
        var offsets: [Double] = [], missed = 0
        for (k, beat) in beats.enumerated() where beat >= first - 0.5 && beat <= last + 0.5 {
            let interval = k > 0 ? beat - beats[k - 1] : 0.8
            guard let nearest = bursts.min(by: { abs($0 - beat) < abs($1 - beat) }), abs(nearest - beat) < interval / 2 else {
                missed += 1
                continue
            }
            offsets.append((nearest - beat) * fps)
        }
        return (LiveStatus.Spread(offsets), missed)
    }

    private func fill(_ report: inout LiveStatus, capture: LiveCapture, analysis: LiveAnalysis, clock: LiveClock,
                      latencies: ArraySlice<Double>) {
        report.seconds = clock.seconds - capture.originSeconds
        (report.framesOffered, report.framesDropped, report.framesDroppedLate) = capture.counts
        report.framesAnalysed = analysis.count
        report.framesPerSecond = report.seconds > 0 ? Double(report.framesRendered) / report.seconds : 0
        if !latencies.isEmpty { report.latencyMs = LiveStatus.Spread(Array(latencies)).median }
    }

    /// Frame `index`'s track row (as the file reads it back) and landmarks:
    /// the newest face reading, the heart at the frame's capture time, fused
    /// as `HeartFusion` fuses a recorded session.
    static func row(index: Int, fps: Double, face: LiveAnalysis.Reading?, heart: LiveHeartFeed.Reading?,
                    baseline: HeartBaseline) throws -> (EmotionTrackRow, [SIMD2<Double>]?) {
        var reading = face?.reading ?? FaceReading(frameIndex: index, timeSeconds: 0, faceFound: false)
        reading.frameIndex = index
        reading.timeSeconds = Double(index) / fps
        reading.microExpression = nil
        var row = EmotionTrackRow(face: reading)
        if let heart, let bpm = heart.heartRateBPM {
            row.heartRateBPM = bpm
            row.rmssdMs = heart.rmssdMs
            row.beatPhase = heart.beatPhase
            row.fusedArousal = (reading.arousal + HeartFusion.heartArousal(heartRateBPM: bpm, rmssdMs: heart.rmssdMs, baseline: baseline)) / 2
        }
        let points = reading.faceFound ? face?.landmarks.map(EmotionTrackFile.asWritten) : nil
        return (try EmotionTrackFile.asWritten(row), points)
    }
}

/// Seconds since the take started, on the monotonic clock every thread shares.
final class LiveClock: Sendable {
    private let start = DispatchTime.now().uptimeNanoseconds
    var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

struct CapturedFrame: @unchecked Sendable {
    var image: RGBAImage
    /// When the source delivered it, on `LiveClock`.
    var captureSeconds: Double
}

/// The capture thread: delivers the source's frames at their times into the
/// queue, dropping those the queue has no room for.
final class LiveCapture: @unchecked Sendable {
    private let source: any FrameSource
    private let loop: Bool
    /// A clip is paced to its rate here; a camera paces itself.
    private let paced: Bool
    private let clock: LiveClock
    private let queue: BoundedQueue<CapturedFrame>
    private let durationSeconds: Double?
    private let state = Locked((offered: 0, dropped: 0, late: 0, stopped: false))
    private(set) var failure: Error?

    init(source: any FrameSource, input: LiveInput, clock: LiveClock, queue: BoundedQueue<CapturedFrame>, durationSeconds: Double?) {
        self.source = source
        switch input {
        case let .play(_, loop): (self.loop, paced) = (loop, true)
        case .camera: (loop, paced) = (false, false)
        }
        self.clock = clock
        self.queue = queue
        self.durationSeconds = durationSeconds
    }

    var counts: (offered: Int, dropped: Int, late: Int) {
        let now = state.get()
        return (now.offered, now.dropped, now.late)
    }

    private(set) var originSeconds = 0.0

    func start(origin: Double) {
        originSeconds = origin
        let thread = Thread { [self] in
            do { try run() } catch { failure = error }
            queue.close()
        }
        thread.name = "live-capture"
        thread.start()
    }

    func stop() { state.update { $0.stopped = true } }

    private func run() throws {
        let interval = 1 / source.info.framesPerSecond
        var image = RGBAImage(width: source.info.width, height: source.info.height)
        var n = 0
        while !state.get().stopped && StopRequest.requested == nil {
            if let durationSeconds, (paced ? Double(n) * interval : clock.seconds - originSeconds) >= durationSeconds { break }
            guard try source.read(into: &image) else {
                guard loop, source.nextFrameIndex > 0 else { break }
                try source.seek(toFrameIndex: 0)
                continue
            }
            let due = paced ? originSeconds + Double(n) * interval : clock.seconds
            n += 1
            let wait = due - clock.seconds
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            // Late by more than a frame: a camera would have replaced it.
            let late = clock.seconds - due > interval
            let accepted = !late && queue.offer(CapturedFrame(image: image, captureSeconds: due))
            state.update {
                $0.offered += 1
                if !accepted { $0.dropped += 1 }
                if late { $0.late += 1 }
            }
        }
    }
}
