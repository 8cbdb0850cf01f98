import EmpathyCore
import Foundation

/// Markers for an editing tool: OpenTimelineIO (`.otio`) and a CMX 3600 EDL
/// in the form DaVinci Resolve writes and imports as timeline markers.
///
/// Both place the shot as one clip whose source timecode starts at
/// `start` + the clip's first frame, so a marker on frame f sits at
/// `start` + f: what the editor sees on a timeline that starts at `start`
/// (Resolve's timelines start at 01:00:00:00 unless told otherwise).
public struct MarkerExport: Sendable {
    public var name: String
    public var framesPerSecond: Double
    public var start: Timecode
    /// The track's first frame index and its number of frames.
    public var firstFrame: Int
    public var frameCount: Int
    /// What the clip refers to (the render's preview movie or its first frame).
    public var mediaURL: String?
    public var markers: [Marker]

    public init(name: String, framesPerSecond: Double, start: Timecode, firstFrame: Int, frameCount: Int,
                mediaURL: String? = nil, markers: [Marker]) {
        self.name = name
        self.framesPerSecond = framesPerSecond
        self.start = start
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        self.mediaURL = mediaURL
        self.markers = markers
    }

    public func timecode(ofFrame frame: Int) -> Timecode { start + frame }

    // MARK: OpenTimelineIO

    /// The timeline as OpenTimelineIO's JSON (schemas Timeline.1, Stack.1,
    /// Track.1, Clip.2, ExternalReference.1, Marker.2, TimeRange.1,
    /// RationalTime.1, as opentimelineio 0.18 writes them). Markers sit on the
    /// clip, in its source time, each with its kind and value in
    /// `metadata.empathy`.
    public func otio() -> String {
        let rate = framesPerSecond
        func time(_ value: Int) -> [String: Any] { ["OTIO_SCHEMA": "RationalTime.1", "rate": rate, "value": Double(value)] }
        func range(_ start: Int, _ duration: Int) -> [String: Any] {
            ["OTIO_SCHEMA": "TimeRange.1", "start_time": time(start), "duration": time(duration)]
        }
        let otioMarkers: [[String: Any]] = markers.map { m in
            var info: [String: Any] = ["kind": m.kind.rawValue, "value": m.value, "frame": m.frame + 1]
            if let category = m.category { info["category"] = category.rawValue }
            return ["OTIO_SCHEMA": "Marker.2", "name": m.note, "color": m.color.rawValue, "comment": m.kind.rawValue,
                    "marked_range": range(start.frames + m.frame, m.durationFrames), "metadata": ["empathy": info]]
        }
        var media: [String: Any] = ["OTIO_SCHEMA": "MissingReference.1", "name": "", "metadata": [:], "available_range": NSNull()]
        if let mediaURL {
            media = ["OTIO_SCHEMA": "ExternalReference.1", "name": "", "metadata": [:], "available_range": NSNull(),
                     "target_url": mediaURL]
        }
        let clip: [String: Any] = [
            "OTIO_SCHEMA": "Clip.2", "name": name, "metadata": [:], "enabled": true, "effects": [], "markers": otioMarkers,
            "source_range": range(start.frames + firstFrame, frameCount),
            "media_references": ["DEFAULT_MEDIA": media], "active_media_reference_key": "DEFAULT_MEDIA",
        ]
        let track: [String: Any] = [
            "OTIO_SCHEMA": "Track.1", "name": "V1", "kind": "Video", "metadata": [:], "enabled": true, "effects": [],
            "markers": [], "source_range": NSNull(), "children": [clip],
        ]
        let stack: [String: Any] = [
            "OTIO_SCHEMA": "Stack.1", "name": "tracks", "metadata": [:], "enabled": true, "effects": [], "markers": [],
            "source_range": NSNull(), "children": [track],
        ]
        let timeline: [String: Any] = [
            "OTIO_SCHEMA": "Timeline.1", "name": name, "metadata": [:],
            "global_start_time": time(start.frames + firstFrame), "tracks": stack,
        ]
        let data = try! JSONSerialization.data(withJSONObject: timeline, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: CMX 3600 EDL (Resolve's timeline markers)

    /// One 1-frame event per marked frame, source and record at its
    /// timecode, then a line Resolve reads as the marker:
    /// `<kind> |C:ResolveColor<colour> |M:<note> |D:<frames>`. A Resolve
    /// timeline holds one marker per frame, so markers on one frame share an
    /// event: the first one's kind and colour (in `MarkerFinder`'s order),
    /// the notes joined with "; ", the longest duration.
    public func edl() -> String {
        var out = "TITLE: \(Self.edlTitle(name))\nFCM: NON-DROP FRAME\n"
        let frames = Dictionary(grouping: markers, by: \.frame)
        for (i, frame) in frames.keys.sorted().enumerated() {
            let group = frames[frame]!, m = group[0]
            let tc = timecode(ofFrame: frame), next = tc + 1
            let note = group.map(\.note).joined(separator: "; ")
            out += "\n\(String(format: "%03d", i + 1))  001      V     C        \(tc) \(next) \(tc) \(next)\n"
            out += "\(m.kind.rawValue) |C:\(m.color.resolveName) |M:\(Self.edlText(note)) |D:\(group.map(\.durationFrames).max()!)\n"
        }
        return out
    }

    /// EDL text is one line of printable ASCII with no `|` (the field separator).
    static func edlText(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "|" ? Character($0) : "_" })
    }

    /// A CMX 3600 title is at most 70 characters.
    static func edlTitle(_ name: String) -> String { String(edlText(name).prefix(70)) }
}
