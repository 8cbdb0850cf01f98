import Biometrics
import EmpathyCore
import FaceAnalysis
import Footage
import Foundation
import Fusion
import ImageSequence

/// The analysis thread of a live take: always works on the newest frame
/// offered (older ones are skipped, so it runs at the rate the machine
/// allows) and publishes its reading for the frames rendered after it.
final class LiveAnalysis: @unchecked Sendable {
    struct Reading: Sendable {
        var frameIndex: Int
        var reading: FaceReading
        var landmarks: [SIMD2<Double>]?
    }

    private let newest = Locked<Reading?>(nil)
    private let analysed = Locked(0)
    private let failure = Locked<String?>(nil)
    private var worker: NewestValueWorker<(frame: CapturedFrame, index: Int, behind: Bool)>!

    /// At most `perSecond` analyses a second (by capture time); while the
    /// render is behind, at most `whileBehindPerSecond`.
    init(job: AnalyzeJob, perSecond: Double, whileBehindPerSecond: Double) throws {
        let analyzer = try job.makeAnalyzer(stillImage: false).0
        var last: Double?  // capture time of the last analysis; the worker's thread only
        worker = NewestValueWorker(name: "live-analysis") { [unowned self] frame, index, behind in
            // Stopped by a failure; or too soon after the last analysis: wait for a later frame (the newest one is kept).
            guard failure.get() == nil,
                  Self.isDue(frame.captureSeconds, last: last, behind: behind, perSecond: perSecond,
                             whileBehindPerSecond: whileBehindPerSecond)
            else { return }
            do {
                let interval = last.map { frame.captureSeconds - $0 } ?? 0
                let result = try analyzer.analyze(frame: frame.image, frameIndex: index, timeSeconds: frame.captureSeconds,
                                                  intervalSeconds: max(interval, 0))
                newest.set(Reading(frameIndex: index, reading: result.reading, landmarks: result.landmarks))
                analysed.update { $0 += 1 }
                last = frame.captureSeconds
            } catch {
                failure.set("\(error)")
            }
        }
    }

    /// Whether a frame captured at `captureSeconds` is analysed, the last
    /// analysis having been of a frame captured at `last`: at most `perSecond`
    /// a second, and at most `whileBehindPerSecond` while the render or the
    /// encoders are behind. Under load the analysis is what gives way: the
    /// face moves little in a fifth of a second and the frames between use the
    /// newest reading, while a frame the render cannot take is lost. In paired
    /// takes under a half-core load (README, live benchmark) the median take
    /// dropped 2.9 % before and 1.4 % after, and 22.6 % and 12.6 % when the
    /// machine was busier still.
    static func isDue(_ captureSeconds: Double, last: Double?, behind: Bool, perSecond: Double,
                      whileBehindPerSecond: Double) -> Bool {
        guard let last else { return true }
        let rate = behind ? min(perSecond, whileBehindPerSecond) : perSecond
        // A millisecond's slack: frames 1/15 s apart at 30 fps are due, whatever the rounding of their times.
        return captureSeconds - last >= 1 / rate - 1e-3
    }

    var latest: Reading? { newest.get() }
    var count: Int { analysed.get() }
    /// Why analysis stopped, if it did (the take goes on with the last reading).
    var error: String? { failure.get() }

    /// Hands the analysis thread a frame (started with the first).
    /// `behind`: frames wait for the render, or the recording's encoders are
    /// backlogged, so an analysis now would take CPU they need.
    func offer(_ frame: CapturedFrame, index: Int, behind: Bool) { worker.offer((frame, index, behind)) }

    /// Ends the thread (once; a no-op when it never started).
    func stop() { worker.stop() }
}

/// The sensor thread of a live take: the reader (reconnecting after an
/// unplug) feeds `LiveHeart` and, when the take is recorded, the session.
final class LiveHeartFeed: @unchecked Sendable {
    struct Reading: Sendable {
        var heartRateBPM: Double?
        var rmssdMs: Double?
        var beatPhase: Double?
        var connected = false
    }

    private let reader: SensorReader
    private let clock: LiveClock
    private let heart = Locked(LiveHeart())
    /// Used on the reader's thread, and once from the render thread (`markTakeStart`): behind a lock.
    private let recorder: Locked<SessionRecorder?>
    private let recordFailure = Locked<Error?>(nil)
    private let firstConnection = DispatchSemaphore(value: 0)
    private let firstFailure = Locked<Error?>(nil)
    private let done = DispatchSemaphore(value: 0)
    private let started = Locked(false)
    private let stopped = Locked(false)

    init(source: SensorSource, options: SensorReaderOptions, clock: LiveClock, sessionPath: String?) throws {
        let reader = SensorReader(source: source, options: options)
        self.reader = reader
        self.clock = clock
        // The footage offset is set when the first frame is captured (`markTakeStart`).
        recorder = Locked(try sessionPath.map {
            try SessionRecorder(path: $0, source: "\(source)", startDate: reader.startDate, footageOffsetSeconds: nil)
        })
    }

    /// The take's frame 0 is captured at `captureSeconds` (take clock): the
    /// session records the reader's time then as its footage offset.
    func markTakeStart(at captureSeconds: Double) {
        let offset = captureSeconds + (reader.hostTimeSeconds - clock.seconds)
        recorder.update { $0?.setFootageOffset(offset) }
    }

    /// Starts reading and waits for the first connection: a sensor that is
    /// missing or silent fails here, before the take.
    func start() throws {
        started.set(true)
        let thread = Thread { [self] in
            var connected = false
            do {
                try reader.run { event in
                    heart.update { $0.consume(event) }
                    if case .connected = event, !connected {
                        connected = true
                        firstConnection.signal()
                    }
                    guard recordFailure.get() == nil else { return }
                    do { try recorder.update { try $0?.record(event) } } catch { recordFailure.set(error) }
                }
            } catch {
                firstFailure.set(error)
            }
            if !connected { firstConnection.signal() }
            done.signal()
        }
        thread.name = "live-sensor"
        thread.start()
        firstConnection.wait()
        if let error = firstFailure.get() {
            recorder.update { $0?.abandon() }
            throw error
        }
    }

    /// The heart at `captureSeconds` (take clock): rate, RMSSD and the beat
    /// phase predicted forward from the last beat.
    func reading(at captureSeconds: Double) -> Reading {
        let t = captureSeconds + (reader.hostTimeSeconds - clock.seconds)
        let live = heart.get()
        // Unplugged: no heart at all (the track shows the gap), not the last beats' rate.
        guard live.connected else { return Reading(connected: false) }
        return Reading(heartRateBPM: live.heartRateBPM(at: t), rmssdMs: live.rmssdMs(at: t), beatPhase: live.beatPhase(at: t),
                       connected: true)
    }

    var counts: SensorReaderCounts { reader.counts }

    /// How long after it happened each beat reached the take, ms.
    func beatDelaysMs() -> [Double] { heart.get().beatDelaysSeconds.map { $0 * 1000 } }

    /// The beats so far (the last two minutes), on the take clock.
    func beatTimes() -> [Double] {
        let shift = reader.hostTimeSeconds - clock.seconds
        return heart.get().beats.map { $0.timeSeconds - shift }
    }

    /// Ends the thread (once; a no-op when it never started).
    func stop() {
        guard started.get(), !stopped.update({ let was = $0; $0 = true; return was }) else { return }
        reader.stop()
        done.wait()
    }

    private let closed = Locked(false)

    /// Closes the session file.
    func finish() throws {
        closed.set(true)
        if let error = recordFailure.get() {
            recorder.update { $0?.abandon() }
            throw error
        }
        try recorder.update { try $0?.finish() }
    }

    /// Drops the session file when the take never got to `finish` (it failed before its first frame).
    func abandonUnlessFinished() {
        guard !closed.update({ let was = $0; $0 = true; return was }) else { return }
        stop()
        recorder.update { $0?.abandon() }
    }
}

/// A live take written as it happens: the source frames and the rendered
/// frames (`<stem>.source.000001.png`, `<stem>.000001.png`), the track and
/// its landmark sidecar row by row, the session beside them. Every frame of
/// the take is recorded, so the recorded source renders again in batch; a
/// failure (a full disk) stops the recording with one line while the live
/// picture goes on.
final class LiveRecording {
    /// A take's files, checked before the take: the folder made, and no take in it already.
    struct Paths {
        let directory: String
        let stem: String
        var track: String { directory + "/\(stem).track.csv" }
        var session: String { directory + "/\(stem).session.csv" }

        /// The take's first rendered frame: present when the folder holds a take.
        var firstFrame: String { directory + "/" + SequenceNaming(stem: stem, padding: 6).fileName(number: 1) }

        init(directory: String, stem: String) throws {
            self.directory = directory
            self.stem = stem
            try AtomicFile.makeDirectories(directory)
            let kept = try Self.keepInterrupted(track: track, session: session)
            // The killed take's frames in flight: never complete, never renamed into place.
            AtomicFile.staleTemporaries(in: directory) { $0.hasPrefix(stem + ".") && $0.hasSuffix(".png") }.forEach(AtomicFile.removeRegularFile)
            if let first = kept.first {
                throw EmpathyError.invalidArgument(
                    "'\(directory)' holds a take that was killed before it closed; its frames are complete and its rows were kept as '\(first)'\(kept.count > 1 ? " and \(kept.count - 1) more" : ""); record into another folder with --out")
            }
            for path in [track, session, firstFrame] where FileManager.default.fileExists(atPath: path) {
                throw EmpathyError.invalidArgument("'\(directory)' already holds a take ('\(path)'); record into another folder with --out")
            }
            try AtomicFile.prepareOutput(session, what: "sensor session")
            try AtomicFile.prepareOutput(track, what: "emotion track")
        }

        /// A take killed outright (`kill -9`, a power cut) leaves its track,
        /// landmark sidecar and session as partial files, flushed every half
        /// second. Each is kept, cut after its last whole row, as
        /// `<stem>.track.interrupted-<n>.csv` (its sidecar beside it, as
        /// `render --track` looks for it) and `<stem>.session.interrupted-<n>.csv`.
        static func keepInterrupted(track: String, session: String) throws -> [String] {
            var kept = try SessionRecorder.keepInterruptedTakes(for: session)
            let sidecar = EmotionTrackFile.landmarksPath(forTrack:)
            let sidecarPartials = AtomicFile.staleTemporaries(for: sidecar(track))
            for partial in AtomicFile.staleTemporaries(for: track) {
                let destination = AtomicFile.freeInterruptedName(for: track, alongside: { [$0, sidecar($0)] })
                let pid = AtomicFile.parseTemporaryName(URL(fileURLWithPath: partial).lastPathComponent)?.pid
                let partialSidecar = sidecarPartials.first { AtomicFile.parseTemporaryName(URL(fileURLWithPath: $0).lastPathComponent)?.pid == pid }
                // A header and at least one row.
                let hasRows: (ArraySlice<UInt8>) -> Bool = { $0.split(separator: UInt8(ascii: "\n")).count >= 2 }
                if try AtomicFile.keepCompleteLines(of: partial, as: destination, hasRows: hasRows) {
                    kept.append(destination)
                    if let partialSidecar { _ = try AtomicFile.keepCompleteLines(of: partialSidecar, as: sidecar(destination), hasRows: { _ in true }) }
                } else if let partialSidecar {
                    AtomicFile.removeRegularFile(partialSidecar)
                }
            }
            return kept
        }
    }

    private let source: SequenceWriter
    private let rendered: SequenceWriter
    private let track: LiveTrackWriter
    private var stopped: String?
    /// The encoders, below the render's priority: the take's CPU goes to the
    /// render and capture first, and the frames are encoded in the time
    /// between. A 720p take recorded on 2 cores used 1.55 of them, its render
    /// alone 1.05; at equal priority the encoders delayed the render into
    /// drops. Over 6 paired 30 s takes (README, live benchmark) the median
    /// drop went from 7.2 % to 3.8 % and capture → rendered from 55 to 27 ms,
    /// while capture → on disk grew from 97 to 190 ms: the recording waits,
    /// the picture does not. The backlog is bounded by `backlog`.
    private let encoders: EncoderThreads

    init(paths: Paths, info: ClipInfo) throws {
        // Captured frames take the Up filter: 20 % less time than the default (Average) on camera frames at 720p,
        // and smaller (png-tune). The rendered frames keep the default, so they equal a batch render byte for byte.
        var sourceOptions = PNGOptions.default
        sourceOptions.filter = .up
        let encoders = EncoderThreads(niceness: 10, name: "live-encoder")
        self.encoders = encoders
        let backlog = Self.backlog(width: info.width, height: info.height, framesPerSecond: info.framesPerSecond)
        do {
            source = try SequenceWriter(directory: paths.directory, naming: SequenceNaming(stem: paths.stem + ".source", padding: 6),
                                        options: sourceOptions, maxConcurrentEncodes: backlog, threads: encoders)
            rendered = try SequenceWriter(directory: paths.directory, naming: SequenceNaming(stem: paths.stem, padding: 6),
                                          maxConcurrentEncodes: backlog, threads: encoders)
            track = try LiveTrackWriter(trackPath: paths.track)
        } catch {
            encoders.stop()
            throw error
        }
    }

    deinit { encoders.stop() }

    /// Frames each writer may hold, waiting or encoding: a second of the
    /// take rides out the render's busy moments, within 256 MiB for the two
    /// writers' frames (30 at 720p, 16 at 1080p, 4 at 4K); at least 2.
    static func backlog(width: Int, height: Int, framesPerSecond: Double) -> Int {
        let bytesPerFrame = max(1, width * height * 4 * 2)
        return max(2, min(Int(framesPerSecond.rounded(.up)), (256 << 20) / bytesPerFrame))
    }

    /// More than half the backlog waits to be encoded: the encoders are short
    /// of CPU, and the render will soon wait for them.
    var backlogged: Bool { stopped == nil && rendered.framesPending + source.framesPending > rendered.maxConcurrentEncodes }

    /// Capture → on disk, ms, of each recorded frame (filled by the encoder threads).
    private let diskLatencies = Locked<[Double]>([])

    func record(source image: RGBAImage, rendered frame: EncodableFrame, row: EmotionTrackRow, landmarks: [SIMD2<Double>]?,
                number: Int, captureSeconds: Double, clock: LiveClock, into report: inout LiveStatus) {
        guard stopped == nil else {
            report.framesNotRecorded += 1
            return
        }
        do {
            try track.append(row, landmarks: landmarks)
            let latencies = diskLatencies
            let written: @Sendable () -> Void = { latencies.update { $0.append(1000 * (clock.seconds - captureSeconds)) } }
            // Waiting here slows the render, never the capture: when the disk cannot keep up, frames are
            // dropped at capture (counted), and every frame of the take keeps its source frame for a re-render.
            try source.submit(.rgba8(image), number: number)
            try rendered.submit(frame, number: number, written: written)
        } catch {
            stopped = "\(error)"
            report.recordingStopped = "the recording stopped at frame \(number): \(error); the frames, track and session before it are complete"
            report.framesNotRecorded += 1
        }
    }

    func finish(into report: inout LiveStatus) throws {
        let (stats, renderedError) = rendered.finishCounting()
        let (_, sourceError) = source.finishCounting()
        report.framesRecorded = stats.framesWritten
        report.diskLatencyMs = LiveStatus.Spread(diskLatencies.get())
        if let error = renderedError ?? sourceError, report.recordingStopped == nil {
            report.recordingStopped = "the recording lost frames: \(error); \(stats.framesWritten) rendered frames are complete"
        }
        try track.finish()
    }
}
