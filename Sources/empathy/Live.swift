import ArgumentParser
import Biometrics
import EmpathyCore
import Footage
import Foundation
import LiveServer
import Pipeline

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a performance live: frames, face and heart in, the look applied to every frame as it comes.",
        discussion: """
            The frames come from a V4L2 camera (--camera 0 or --camera /dev/video0, with --size and --fps to ask \
            for a mode) or from --play CLIP, which delivers a clip at its own rate as a camera would (--loop to \
            repeat it). A camera that stops delivering for 2 s ends the take cleanly. The face is \
            analysed at most 15 times a second (--analysis-rate), and at most 5 while the render or the recording \
            falls behind; every frame is rendered. Frames the render cannot keep \
            up with (the passes or the disk) are dropped at capture and counted, never queued. A status \
            line is printed once a second.
            With --out DIR the take is recorded as it happens: DIR/take.000001.png … (rendered), \
            DIR/take.source.000001.png … (the frames as captured), DIR/take.track.csv with its landmark \
            sidecar, and DIR/take.session.csv with --sensor. 'empathy render DIR/take.source.%06d.png \
            --track DIR/take.track.csv --look LOOK' renders the take again in batch; with the same look it \
            gives the live frames. Ctrl-C or --duration ends the take; everything written is complete. A take \
            killed outright is kept by the next take into its folder (take.track.interrupted-1.csv, …).
            --serve shows the take in a browser; --v4l2-out writes it to a v4l2loopback device that OBS, VLC \
            or a video call open as a camera.
            """)

    @Option(help: ArgumentHelp("A V4L2 camera: N for /dev/videoN, or a device path.", valueName: "N|device"))
    var camera: String?

    @Option(help: ArgumentHelp("With --camera: the frame size to ask for (the camera may choose another).", valueName: "WxH"))
    var size: String?

    @Option(help: ArgumentHelp("With --camera: the frame rate to ask for.", valueName: "fps"))
    var fps: Double?

    @Option(help: ArgumentHelp("A clip to deliver at its own rate, as a camera would.", valueName: "clip"))
    var play: String?

    @Flag(help: "Start the clip again at its end (with --play); without it the take ends with the clip.")
    var loop = false

    @Option(help: ArgumentHelp("A look name (see 'empathy looks') or a look .json file.", valueName: "name"))
    var look = "neon-noir"

    @Option(help: ArgumentHelp("The pulse sensor: 'auto' (first USB serial device) or a serial port path; none without it.",
                               valueName: "auto|path"))
    var sensor: String?

    @Option(help: ArgumentHelp("Seconds to wait for the sensor's banner.", valueName: "seconds"))
    var bannerTimeout = 4.0

    @Option(help: ArgumentHelp("End the take after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Record the take into this folder as it happens.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp(
        "Serve the live page (picture, BPM, emotion, fps) on HOST:PORT; PORT alone means 127.0.0.1 (loopback), 0 a free port.",
        valueName: "host:port"))
    var serve: String?

    @Option(name: .customLong("v4l2-out"), help: ArgumentHelp(
        "Also write the live picture to a V4L2 output (a v4l2loopback device) that OBS, VLC or a browser open as a camera.",
        valueName: "device"))
    var v4l2Out: String?

    @OptionGroup(title: "Face") var reading: FaceReadingOptions

    @Option(help: ArgumentHelp("The most face analyses a second (default 15; at most 5 while the take falls behind); the frames between use the newest reading.",
                               valueName: "per-second"))
    var analysisRate = 15.0

    @Option(help: ArgumentHelp("Neutral-face profile: a name in calibration/, 'default', or a .json file.", valueName: "name"))
    var calibration: String?

    /// `--serve` as host and port: `8080` → 127.0.0.1:8080.
    var serveAddress: (host: String, port: Int)? {
        guard let serve else { return nil }
        let parts = serve.split(separator: ":", omittingEmptySubsequences: false)
        let host = parts.count == 2 ? String(parts[0]) : "127.0.0.1"
        guard parts.count <= 2, !host.isEmpty, let port = Int(parts.last ?? ""), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    /// `--size 1280x720` as width and height.
    var sizeValue: (width: Int, height: Int)? {
        guard let parts = size?.lowercased().split(separator: "x"), parts.count == 2,
              let width = Int(parts[0]), let height = Int(parts[1]), (1...16384).contains(width), (1...16384).contains(height)
        else { return nil }
        return (width, height)
    }

    func validate() throws {
        guard (camera == nil) != (play == nil) else {
            throw ValidationError("name one source: --camera N|/dev/videoN for a camera, or --play CLIP for a clip played as one")
        }
        if camera == nil && (size != nil || fps != nil) { throw ValidationError("--size and --fps ask a camera for a mode; use them with --camera") }
        if play == nil && loop { throw ValidationError("--loop repeats a clip; use it with --play") }
        if size != nil && sizeValue == nil { throw ValidationError("--size takes WIDTHxHEIGHT, e.g. 1280x720") }
        guard analysisRate > 0 && analysisRate <= 1000 else { throw ValidationError("--analysis-rate must be more than 0 (and at most 1000)") }
        if let fps, !(fps > 0 && fps <= 1000) { throw ValidationError("--fps must be more than 0 (and at most 1000)") }
        if serve != nil && serveAddress == nil {
            throw ValidationError("--serve takes HOST:PORT or PORT (0 to 65535), e.g. 127.0.0.1:8080")
        }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--duration must be more than 0 seconds") }
        guard bannerTimeout > 0 && bannerTimeout <= 60 else { throw ValidationError("--banner-timeout must be between 0 and 60 seconds") }
    }

    func run() throws {
        try reportingErrors {
            let signals = stoppingBetweenFrames()
            defer { signals.forEach { $0.cancel() } }
            let job = try LiveJob(configuration: configuration())
            let server = try serveAddress.map { address -> LiveServer in
                let server = LiveServer(host: address.host, port: address.port)
                let port = try server.start()
                // Written at once (stdout is buffered when it is not a terminal): scripts wait for this line.
                FileHandle.standardOutput.write(Data("live page: http://\(address.host):\(port)/\n".utf8))
                return server
            }
            defer { server?.stop() }
            let loopback = try v4l2Out.map { try LoopbackOutput(device: CameraSource.devicePath($0), width: job.info.width, height: job.info.height) }
            defer { loopback?.close() }
            if server != nil || loopback != nil {
                job.onFrame = { image, status in
                    server?.offerPicture(image)
                    server?.publishStatus(Self.json(status, sensor: sensor))
                    loopback?.offer(image)
                }
            }
            let line = LiveStatusLine()
            let report = try job.run { line.show($0) }
            line.finish()
            print(String(format: "live: %d frames in %.1f s (%.1f fps), %d of %d offered dropped (%.1f%%; %d captured late, %d with the render behind), %d analysed",
                         report.framesRendered, report.seconds, report.framesPerSecond, report.framesDropped,
                         report.framesOffered, report.droppedPercent, report.framesDroppedLate,
                         report.framesDropped - report.framesDroppedLate, report.framesAnalysed)
                  + (out.map { ", \(report.framesRecorded) recorded to \($0)" } ?? ""))
            func spread(_ s: LiveStatus.Spread, _ unit: String) -> String {
                String(format: "median %.1f, 95th percentile %.1f %@ (%d)", s.median, s.p95, unit, s.count)
            }
            print("latency: capture to rendered " + spread(report.renderLatencyMs, "ms")
                  + (out == nil ? "" : "; capture to on disk " + spread(report.diskLatencyMs, "ms")))
            if sensor != nil {
                print("beats: burst frame after the beat " + spread(report.beatOffsetFrames, "frames") + ", \(report.beatsMissed) missed; "
                      + "a beat reached the take " + spread(report.beatArrivalMs, "ms") + " after it happened; "
                      + "sensor reconnected \(report.sensorReconnects) time(s)")
            }
            if let stopped = loopback?.failure { print("video output stopped: \(stopped); the take went on") }
            if let stopped = report.analysisStopped { print("face analysis stopped: \(stopped); later frames used its last reading") }
            // The take went on, but what was asked for is not all on disk: one line, exit 1.
            if let stopped = report.recordingStopped { throw EmpathyError.message(stopped) }
        }
    }

    /// The page's status event.
    static func json(_ s: LiveStatus, sensor: String?) -> String {
        func number(_ value: Double?) -> String { value.map { $0.isFinite ? String(format: "%.3f", $0) : "null" } ?? "null" }
        let sensorText = sensor == nil ? "no sensor" : (s.sensorConnected ? "sensor connected" : "sensor not connected")
        return "{\"bpm\":\(number(s.heartRateBPM)),\"beat\":\((s.beatPhase ?? 1) < 0.15),\"valence\":\(number(s.valence)),"
            + "\"arousal\":\(number(s.arousal)),\"top\":\"\(s.topCategory.rawValue)\",\"fps\":\(number(s.framesPerSecond)),"
            + "\"dropped\":\(s.framesDropped),\"droppedPercent\":\(number(s.droppedPercent)),\"latency\":\(number(s.latencyMs)),"
            + "\"sensor\":\"\(sensorText)\"}"
    }

    private func configuration() throws -> LiveConfiguration {
        let input: LiveInput = camera.map {
            .camera(device: CameraSource.devicePath($0), width: sizeValue?.width, height: sizeValue?.height, framesPerSecond: fps)
        } ?? .play(path: play ?? "", loop: loop)
        var analysis = AnalyzeJob(inputPath: play ?? camera ?? "", trackPath: "")
        reading.apply(to: &analysis)
        try AnalysisOptionGroup.calibrate(&analysis, with: calibration)
        var configuration = LiveConfiguration(input: input, analysis: analysis)
        configuration.look = look
        configuration.analysisPerSecond = analysisRate
        configuration.sensor = sensor.map(SensorSource.init(argument:))
        configuration.sensorOptions.bannerTimeoutSeconds = bannerTimeout
        configuration.durationSeconds = duration
        configuration.outputDirectory = out
        return configuration
    }
}

/// The once-a-second status: redrawn in place on a terminal, a line each otherwise.
final class LiveStatusLine {
    private let terminal = isatty(STDERR_FILENO) == 1
    private var drew = false

    func show(_ s: LiveStatus) {
        var text = String(format: "%6.1f s  %5.1f fps  dropped %d (%.1f%%)", s.seconds, s.framesPerSecond, s.framesDropped, s.droppedPercent)
        if let latency = s.latencyMs { text += String(format: "  latency %.0f ms", latency) }
        text += s.heartRateBPM.map { String(format: "  %.0f BPM", $0) } ?? (s.sensorConnected ? "  -- BPM" : "")
        if let phase = s.beatPhase, phase < 0.15 { text += " ♥" }
        text += String(format: "  valence %+.2f arousal %+.2f  %@", s.valence, s.arousal, s.topCategory.rawValue)
        if s.framesNotRecorded > 0 { text += "  not recorded \(s.framesNotRecorded)" }
        if s.recordingStopped != nil { text += "  RECORDING STOPPED" }
        FileHandle.standardError.write(Data((terminal ? "\r" + text + "\u{1B}[K" : text + "\n").utf8))
        drew = true
    }

    func finish() {
        if terminal && drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
