import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a long job reports while it runs.
public struct ProgressSnapshot: Sendable {
    public var clipName: String
    public var clipNumber: Int
    public var clipCount: Int
    /// Frames finished in this clip (written or skipped).
    public var framesDone: Int
    public var framesTotal: Int
    /// Frames finished across all clips, and their total.
    public var jobFramesDone: Int
    public var jobFramesTotal: Int
    public var elapsedSeconds: Double
    /// Frames rendered (not skipped) per second over the job so far.
    public var framesPerSecond: Double
    public var etaSeconds: Double?

    public init(clipName: String, clipNumber: Int, clipCount: Int, framesDone: Int, framesTotal: Int,
                jobFramesDone: Int, jobFramesTotal: Int, elapsedSeconds: Double, framesPerSecond: Double,
                etaSeconds: Double?) {
        self.clipName = clipName
        self.clipNumber = clipNumber
        self.clipCount = clipCount
        self.framesDone = framesDone
        self.framesTotal = framesTotal
        self.jobFramesDone = jobFramesDone
        self.jobFramesTotal = jobFramesTotal
        self.elapsedSeconds = elapsedSeconds
        self.framesPerSecond = framesPerSecond
        self.etaSeconds = etaSeconds
    }
}
extension ProgressSnapshot {
    /// The one progress/ETA rule of every job: fps = frames processed (not
    /// skipped) / seconds since `started`; ETA = the job's frames still to do
    /// at that rate (nil until a frame is processed). Job totals default to
    /// the clip's (single-clip jobs).
    public static func measured(clipName: String, clipNumber: Int = 1, clipCount: Int = 1, framesDone: Int, framesTotal: Int,
                                jobFramesDone: Int? = nil, jobFramesTotal: Int? = nil, processed: Int,
                                since started: Date) -> ProgressSnapshot {
        let elapsed = Date().timeIntervalSince(started)
        let fps = elapsed > 0 ? Double(processed) / elapsed : 0
        let jobDone = jobFramesDone ?? framesDone, jobTotal = jobFramesTotal ?? framesTotal
        return ProgressSnapshot(
            clipName: clipName, clipNumber: clipNumber, clipCount: clipCount, framesDone: framesDone, framesTotal: framesTotal,
            jobFramesDone: jobDone, jobFramesTotal: jobTotal, elapsedSeconds: elapsed, framesPerSecond: fps,
            etaSeconds: fps > 0 ? Double(max(0, jobTotal - jobDone)) / fps : nil)
    }
}


public protocol ProgressReporter: AnyObject, Sendable {
    func update(_ snapshot: ProgressSnapshot)
    /// Called once when the job is over, before the summary is printed.
    func finish()
}

/// Chooses the reporter for standard error: a bar on a terminal, one JSON
/// line per second otherwise, nothing when `quiet`.
public func makeProgressReporter(quiet: Bool) -> any ProgressReporter {
    if quiet { return SilentProgress() }
    return isatty(STDERR_FILENO) == 1 ? TerminalProgressBar() : JSONLinesProgress()
}

public final class SilentProgress: ProgressReporter {
    public init() {}
    public func update(_ snapshot: ProgressSnapshot) {}
    public func finish() {}
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--:--" }
    let s = Int(seconds.rounded())
    return s >= 3600
        ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
        : String(format: "%02d:%02d", s / 60, s % 60)
}

private func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { raw in
        var off = 0
        while off < raw.count {
            let n = write(STDERR_FILENO, raw.baseAddress!.advanced(by: off), raw.count - off)
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}

/// `midnight  [#########-----------]  45/96  12.3 fps  ETA 00:04`, redrawn in
/// place at most ten times a second.
///
/// Called from the job's thread only; the lock guards against a reporter
/// shared by mistake.
public final class TerminalProgressBar: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var lastDraw = 0.0
    private var drewSomething = false

    public init() {}

    public func update(_ s: ProgressSnapshot) {
        lock.lock(); defer { lock.unlock() }
        let now = Date().timeIntervalSinceReferenceDate
        let last = s.framesDone == s.framesTotal
        guard last || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 28
        let fraction = s.framesTotal > 0 ? Double(s.framesDone) / Double(s.framesTotal) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let clip = s.clipCount > 1 ? "[\(s.clipNumber)/\(s.clipCount)] \(s.clipName)" : s.clipName
        let eta = s.etaSeconds.map(formatDuration) ?? "--:--"
        let line = String(format: "\r%@ [%@] %d/%d  %.1f fps  ETA %@\u{1B}[K",
                          clip, bar, s.framesDone, s.framesTotal, s.framesPerSecond, eta)
        writeStandardError(line)
        drewSomething = true
    }

    public func finish() {
        lock.lock(); defer { lock.unlock() }
        if drewSomething { writeStandardError("\n") }
    }
}

/// One JSON object per line, at most once a second, for logs and farm
/// wrappers: `{"clip":"a","clip_number":1,"clips":2,"frame":45,"frames":96,
/// "job_frame":45,"job_frames":192,"fps":12.3,"elapsed_s":3.7,"eta_s":12.1}`.
public final class JSONLinesProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var lastLine = -Double.infinity

    public init() {}

    public func update(_ s: ProgressSnapshot) {
        lock.lock(); defer { lock.unlock() }
        let done = s.jobFramesDone == s.jobFramesTotal
        guard done || s.elapsedSeconds - lastLine >= 1 else { return }
        lastLine = s.elapsedSeconds
        let name = s.clipName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let eta = s.etaSeconds.map { String(format: "%.1f", $0) } ?? "null"
        writeStandardError(String(
            format: "{\"clip\":\"%@\",\"clip_number\":%d,\"clips\":%d,\"frame\":%d,\"frames\":%d,\"job_frame\":%d,\"job_frames\":%d,\"fps\":%.2f,\"elapsed_s\":%.1f,\"eta_s\":%@}\n",
            name, s.clipNumber, s.clipCount, s.framesDone, s.framesTotal, s.jobFramesDone, s.jobFramesTotal,
            s.framesPerSecond, s.elapsedSeconds, eta))
    }

    public func finish() {}
}
