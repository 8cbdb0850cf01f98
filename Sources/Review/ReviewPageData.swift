import EmpathyCore
import Foundation
import Fusion

/// The review page's data file, `data.js`: `window.REVIEW_DATA = {…};`,
/// loaded by a `<script>` tag (a page opened from file:// may not fetch).
/// Curves are per movie frame (frame 0 is the movie's first), null where
/// the track has nothing; markers are in movie frames too.
public struct ReviewPageData {
    public var name: String
    public var framesPerSecond: Double
    public var frameCount: Int
    /// The file number of movie frame 0 and the numbers' padding.
    public var firstNumber: Int
    public var padding: Int
    /// Timecode of movie frame 0.
    public var start: Timecode
    /// Track rows by movie frame (nil where the track has no row).
    public var rows: [EmotionTrackRow?]
    /// Beat times in movie seconds.
    public var beats: [Double]
    /// Markers with movie frames.
    public var markers: [Marker]
    public var renderMovie: String
    public var sourceMovie: String?
    /// (label, value) lines for the header: look, LUTs, track, session, clip.
    public var info: [(String, String)]
    /// What is missing, one line each, shown on the page.
    public var notes: [String]

    public init(name: String, framesPerSecond: Double, frameCount: Int, firstNumber: Int, padding: Int, start: Timecode,
                rows: [EmotionTrackRow?], beats: [Double], markers: [Marker], renderMovie: String, sourceMovie: String?,
                info: [(String, String)], notes: [String]) {
        self.name = name
        self.framesPerSecond = framesPerSecond
        self.frameCount = frameCount
        self.firstNumber = firstNumber
        self.padding = padding
        self.start = start
        self.rows = rows
        self.beats = beats
        self.markers = markers
        self.renderMovie = renderMovie
        self.sourceMovie = sourceMovie
        self.info = info
        self.notes = notes
    }

    /// The category curves' colours: the marker colours of their peaks (neutral grey).
    static func css(_ category: EmotionCategory) -> String {
        category == .neutral ? "#8a8a8a" : MarkerColor.of(category).css
    }

    public func javaScript() -> String {
        func series(_ value: (EmotionTrackRow) -> Double?) -> [Any] {
            rows.map { row in row.flatMap(value).map { ($0 * 10_000).rounded() / 10_000 as Any } ?? NSNull() }
        }
        let hasHeart = rows.contains { $0?.heartRateBPM != nil }
        let hasFused = rows.contains { $0?.fusedArousal != nil }
        var categories: [String: Any] = [:]
        for c in EmotionCategory.allCases { categories[c.rawValue] = series { $0.faceFound ? $0.categories[c.index] : nil } }
        let data: [String: Any] = [
            "name": name, "fps": framesPerSecond, "frameCount": frameCount, "firstNumber": firstNumber, "padding": padding,
            "nominalFps": start.framesPerSecond, "startTimecodeFrames": start.frames,
            "videos": ["render": renderMovie, "source": sourceMovie.map { $0 as Any } ?? NSNull()],
            "series": [
                "valence": series { $0.faceFound ? $0.valence : nil },
                "arousal": series { $0.faceFound ? $0.arousal : nil },
                "fusedArousal": hasFused ? series(\.fusedArousal) as Any : NSNull(),
                "heartRate": hasHeart ? series(\.heartRateBPM) as Any : NSNull(),
                "categories": categories,
            ],
            "categories": EmotionCategory.allCases.map { ["name": $0.rawValue, "color": Self.css($0)] },
            "beats": beats.map { ($0 * 10_000).rounded() / 10_000 },
            "markers": markers.map { m in
                ["frame": m.frame, "frames": m.durationFrames, "kind": m.kind.rawValue, "note": m.note, "color": m.color.rawValue,
                 "css": m.color.css, "warning": m.kind.isWarning] as [String: Any]
            },
            "info": info.map { [$0.0, $0.1] },
            "notes": notes,
        ]
        let json = try! JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes])
        // "</" cannot end a script element early here (the file is loaded by src), but keep the file inert anyway.
        let text = String(decoding: json, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        return "// Written by empathy review: the data of this page.\nwindow.REVIEW_DATA = \(text);\n"
    }
}
