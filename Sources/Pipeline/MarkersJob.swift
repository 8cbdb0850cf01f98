import Biometrics
import EmpathyCore
import Foundation
import Fusion
import Review

/// Finds the emotional moments in a track and writes them for the edit:
/// `.otio`, a Resolve marker `.edl`, or both.
public struct MarkersJob {
    public var trackPath: String
    public var sessionPath: String?
    public var sessionOffsetSeconds: Double?
    public var rules = MarkerRules()
    /// nil: the track's own rate (`TrackRate`).
    public var framesPerSecond: Double?
    /// `HH:MM:SS:FF` of the clip's first frame.
    public var startTimecode = "00:00:00:00"
    public var otioPath: String?
    public var edlPath: String?
    /// What the exported clip refers to.
    public var mediaURL: String?

    public init(trackPath: String) { self.trackPath = trackPath }

    public struct Result {
        public var markers: [Marker]
        public var export: MarkerExport
        public var restingBPM: Double?
        /// One line for each thing worth knowing that is not an error
        /// (a session that does not overlap the footage).
        public var notes: [String]
    }

    public func run() throws -> Result {
        let rows = try EmotionTrackFile.read(path: trackPath)
        guard let first = rows.first else {
            throw EmpathyError.badFile(path: trackPath, line: nil, message: "has no frames; analyse the clip again with 'empathy analyze'")
        }
        let fps = try framesPerSecond ?? TrackRate.framesPerSecond(rows, path: trackPath)
        let start = try Timecode.start(startTimecode, clipRate: fps)
        var notes: [String] = []
        let session = try sessionPath.flatMap { try Self.session($0, offsetSeconds: sessionOffsetSeconds, over: rows, notes: &notes) }
        let finder = MarkerFinder(rules: rules, framesPerSecond: fps)
        let markers = finder.markers(in: rows, session: session)
        let export = MarkerExport(name: Self.name(ofTrack: trackPath), framesPerSecond: fps, start: start,
                                  firstFrame: first.frameIndex, frameCount: rows.count, mediaURL: mediaURL, markers: markers)
        if let otioPath { try AtomicFile.write(export.otio(), to: otioPath) }
        if let edlPath { try AtomicFile.write(export.edl(), to: edlPath) }
        return Result(markers: markers, export: export, restingBPM: finder.restingBPM(rows), notes: notes)
    }

    /// The session at `path` when it overlaps the footage of `rows`; else
    /// nil and a note saying it is left out.
    static func session(_ path: String, offsetSeconds: Double?, over rows: [EmotionTrackRow],
                        notes: inout [String]) throws -> SensorSession? {
        let session = try SensorSession.load(path: path, offsetSeconds: offsetSeconds)
        guard overlaps(session, rows) else {
            notes.append("the session \(path) does not overlap the footage (offset \(String(format: "%.2f", session.offsetSeconds)) s); it is left out — check --sensor-offset")
            return nil
        }
        return session
    }

    /// Whether the session's recorded span (its rows and its beats, which a
    /// board replaying its memory sends faster than they happened) meets the
    /// footage's.
    private static func overlaps(_ session: SensorSession, _ rows: [EmotionTrackRow]) -> Bool {
        guard let first = rows.first, let last = rows.last else { return false }
        let start = session.sessionTime(atFootageSeconds: first.timeSeconds)
        let end = session.sessionTime(atFootageSeconds: last.timeSeconds)
        let recordedEnd = max(session.durationSeconds, session.beats.last?.timeSeconds ?? 0)
        return end >= 0 && start <= recordedEnd
    }

    /// `shot.track.csv` → `shot`.
    public static func name(ofTrack path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        for suffix in [".csv", ".track"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name
    }
}
