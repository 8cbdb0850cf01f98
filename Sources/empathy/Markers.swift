import ArgumentParser
import EmpathyCore
import Foundation
import Pipeline
import Review

struct Markers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the emotional moments in an emotion track and export them as markers for the edit.",
        discussion: """
            Expression peaks, micro-expressions, heart surges, arousal peaks, and as
            warnings sensor gaps and frames without a face, each with a frame, a
            duration, a colour and a one-line note. The rules' thresholds are
            options below; frames are numbered from 1 as the rendered files are.
            --otio writes OpenTimelineIO; --edl a CMX 3600 EDL that DaVinci Resolve
            imports as timeline markers (Timelines > Import > Timeline Markers from
            EDL). Resolve's timelines start at 01:00:00:00: give --start-timecode
            01:00:00:00 to land the markers on such a timeline's frames.
            """)

    @Argument(help: ArgumentHelp("The emotion track (empathy analyze --out).", valueName: "track.csv"))
    var track: String

    @OptionGroup var timing: MarkerTimingOptions

    @Option(help: ArgumentHelp("Write the markers as OpenTimelineIO.", valueName: "file.otio"))
    var otio: String?

    @Option(help: ArgumentHelp("Write the markers as a CMX 3600 EDL with Resolve marker lines.", valueName: "file.edl"))
    var edl: String?

    @Option(help: ArgumentHelp("Frame rate (default: the track's, from its time column).", valueName: "fps"))
    var fps: Double?

    @OptionGroup(title: "Rules") var rules: MarkerRuleOptions

    func validate() throws {
        if let fps, !(fps.isFinite && fps > 0 && fps <= 1000) { throw ValidationError("--fps must be above 0 and at most 1000, got \(fps)") }
        for path in [otio, edl].compactMap({ $0 }) where path.hasSuffix("/") || path.isEmpty {
            throw ValidationError("'\(path)' is a folder; give a file name")
        }
    }

    func run() throws {
        try reportingErrors {
            var job = MarkersJob(trackPath: track)
            job.sessionPath = timing.session
            job.sessionOffsetSeconds = timing.sensorOffset
            job.rules = try rules.rules()
            job.framesPerSecond = fps
            job.startTimecode = timing.startTimecode
            job.otioPath = otio
            job.edlPath = edl
            let result = try job.run()
            result.notes.forEach { FileHandle.standardError.write(Data("empathy: note: \($0)\n".utf8)) }
            print(MarkerTable.text(result.markers, export: result.export))
            for (path, what) in [(otio, "OpenTimelineIO"), (edl, "EDL")] {
                if let path { print("  \(what): \(path)") }
            }
        }
    }
}

/// The session and timecode markers are placed with (markers and review).
struct MarkerTimingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The sensor session the track was analysed with: beats, and its unplugged spans as sensor gaps (review: default the render's).",
                               valueName: "session.csv"))
    var session: String?

    @Option(help: ArgumentHelp("Session time, in seconds, at the clip's first frame (default: the offset stored in the session).",
                               valueName: "seconds"))
    var sensorOffset: Double?

    @Option(help: ArgumentHelp("Timecode of the clip's first frame, non-drop-frame.", valueName: "HH:MM:SS:FF"))
    var startTimecode = "00:00:00:00"

    func validate() throws {
        if sensorOffset != nil && session == nil { throw ValidationError("--sensor-offset needs --session") }
        if let sensorOffset, !sensorOffset.isFinite { throw ValidationError("--sensor-offset must be a number of seconds") }
    }
}

/// The rules' thresholds as options (defaults from `MarkerRules`).
struct MarkerRuleOptions: ParsableArguments {
    private static let d = MarkerRules()

    @Option(help: ArgumentHelp("A category's score that starts an expression peak.", valueName: "0-1"))
    var peakThreshold = d.peakThreshold
    @Option(help: ArgumentHelp("Below this the peak's episode ends.", valueName: "0-1"))
    var peakRelease = d.peakRelease
    @Option(help: ArgumentHelp("Shorter peaks are left to the micro-expressions.", valueName: "seconds"))
    var peakMinSeconds = d.peakMinSeconds
    @Option(help: ArgumentHelp("Peaks of one kind closer than this join into one marker.", valueName: "seconds"))
    var minSpacing = d.minSpacingSeconds
    @Flag(help: "Leave out the micro-expressions.")
    var noMicro = false
    @Option(help: ArgumentHelp("Heart rate this far above rest is a surge.", valueName: "bpm"))
    var surgeBpm = d.surgeBPM
    @Option(help: ArgumentHelp("A rise this large within --rise-seconds is a surge.", valueName: "bpm"))
    var riseBpm = d.riseBPM
    @Option(help: ArgumentHelp("The window of a fast rise.", valueName: "seconds"))
    var riseSeconds = d.riseSeconds
    @Option(help: ArgumentHelp("The performer's resting heart rate (default: the track's 10th percentile).", valueName: "bpm"))
    var restingBpm: Double?
    @Option(help: ArgumentHelp("Arousal that starts an arousal peak.", valueName: "-1-1"))
    var arousalThreshold = d.arousalThreshold
    @Option(help: ArgumentHelp("Below this the arousal peak ends.", valueName: "-1-1"))
    var arousalRelease = d.arousalRelease
    @Option(help: ArgumentHelp("Sensor gaps and frames without a face shorter than this are not marked.", valueName: "seconds"))
    var warningMinSeconds = d.warningMinSeconds

    func rules() throws -> MarkerRules {
        func check(_ name: String, _ v: Double, _ range: ClosedRange<Double>) throws {
            guard v.isFinite, range.contains(v) else {
                throw EmpathyError.invalidArgument("--\(name) must be from \(range.lowerBound) to \(range.upperBound), got \(v)")
            }
        }
        try check("peak-threshold", peakThreshold, 0...1)
        try check("peak-release", peakRelease, 0...peakThreshold)
        try check("peak-min-seconds", peakMinSeconds, 0...60)
        try check("min-spacing", minSpacing, 0...3600)
        try check("surge-bpm", surgeBpm, 1...200)
        try check("rise-bpm", riseBpm, 1...200)
        try check("rise-seconds", riseSeconds, 0.1...600)
        if let restingBpm { try check("resting-bpm", restingBpm, 20...250) }
        try check("arousal-threshold", arousalThreshold, -1...1)
        try check("arousal-release", arousalRelease, -1...arousalThreshold)
        try check("warning-min-seconds", warningMinSeconds, 0...3600)
        var r = MarkerRules()
        r.peakThreshold = peakThreshold
        r.peakRelease = peakRelease
        r.peakMinSeconds = peakMinSeconds
        r.minSpacingSeconds = minSpacing
        r.microExpressions = !noMicro
        r.surgeBPM = surgeBpm
        r.riseBPM = riseBpm
        r.riseSeconds = riseSeconds
        r.restingBPM = restingBpm
        r.arousalThreshold = arousalThreshold
        r.arousalRelease = arousalRelease
        r.warningMinSeconds = warningMinSeconds
        return r
    }
}

/// The markers as a table for the terminal.
enum MarkerTable {
    static func text(_ markers: [Marker], export: MarkerExport) -> String {
        let warnings = markers.filter(\.kind.isWarning).count
        var lines = [String(format: "%d marker%@ (%d warning%@) in %@ at %.3f fps from %@",
                            markers.count, markers.count == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
                            export.name, export.framesPerSecond, export.start.description)]
        lines.append("  frame  timecode     frames  colour   kind              note")
        for m in markers {
            let colour = m.color.rawValue.lowercased().padding(toLength: 7, withPad: " ", startingAt: 0)
            let kind = m.kind.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
            lines.append(String(format: "  %5d  %@  %6d  ", m.frame + 1, export.timecode(ofFrame: m.frame).description, m.durationFrames)
                         + "\(colour)  \(kind)  \(m.note)")
        }
        return lines.joined(separator: "\n")
    }
}
