import Biometrics
import EmpathyCore
import Foundation
import Fusion

/// A moment an editor should see: a frame, how long it lasts, what it is and
/// a one-line note ("anger peak 0.82", "HR 128 bpm, +41 over rest").
public struct Marker: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case expressionPeak = "expression peak"
        case microExpression = "micro-expression"
        case heartSurge = "heart surge"
        case arousalPeak = "arousal peak"
        case sensorGap = "sensor gap"
        case noFace = "no face"

        /// Gaps in what was measured, rather than moments of the performance.
        public var isWarning: Bool { self == .sensorGap || self == .noFace }
    }

    /// The track's frame index (0 for a clip's first frame, file 0001).
    public var frame: Int
    public var durationFrames: Int
    public var kind: Kind
    public var color: MarkerColor
    public var note: String
    /// The category of an expression peak or micro-expression.
    public var category: EmotionCategory?
    /// The score, arousal or heart rate the note quotes.
    public var value: Double

    public init(frame: Int, durationFrames: Int, kind: Kind, color: MarkerColor, note: String,
                category: EmotionCategory? = nil, value: Double) {
        self.frame = frame
        self.durationFrames = durationFrames
        self.kind = kind
        self.color = color
        self.note = note
        self.category = category
        self.value = value
    }
}

/// Marker colours: OpenTimelineIO's names, each with the DaVinci Resolve
/// marker colour an EDL carries (Resolve has no orange, magenta, black or
/// white; the nearest of its sixteen is used).
public enum MarkerColor: String, Sendable, CaseIterable {
    case red = "RED", orange = "ORANGE", yellow = "YELLOW", green = "GREEN", cyan = "CYAN", blue = "BLUE"
    case purple = "PURPLE", pink = "PINK", magenta = "MAGENTA", black = "BLACK", white = "WHITE"

    public var resolveName: String {
        switch self {
        case .red: return "ResolveColorRed"
        case .orange: return "ResolveColorSand"
        case .yellow: return "ResolveColorYellow"
        case .green: return "ResolveColorGreen"
        case .cyan: return "ResolveColorCyan"
        case .blue: return "ResolveColorBlue"
        case .purple: return "ResolveColorPurple"
        case .pink: return "ResolveColorPink"
        case .magenta: return "ResolveColorFuchsia"
        case .black: return "ResolveColorCocoa"
        case .white: return "ResolveColorCream"
        }
    }

    /// A CSS colour for the review page.
    public var css: String {
        switch self {
        case .red: return "#ff4040"
        case .orange: return "#ff9a2e"
        case .yellow: return "#ffd93b"
        case .green: return "#4cd964"
        case .cyan: return "#3fd7e6"
        case .blue: return "#4a7dff"
        case .purple: return "#a66bff"
        case .pink: return "#ff7ac8"
        case .magenta: return "#ff3df2"
        case .black: return "#8a8a8a"
        case .white: return "#f2f2f2"
        }
    }

    /// An expression peak's colour, by category (neutral is never marked).
    public static func of(_ category: EmotionCategory) -> MarkerColor {
        switch category {
        case .neutral: return .white
        case .happiness: return .yellow
        case .sadness: return .blue
        case .surprise: return .cyan
        case .fear: return .purple
        case .anger: return .red
        case .disgust: return .green
        }
    }
}

/// The rules that find markers, each threshold a tuning choice a user may
/// override (`empathy markers --help` lists them). An *episode* is a run of
/// frames where a value is at or above its threshold; it ends when the value
/// falls below the lower release level (hysteresis, so noise around the
/// threshold makes one episode, not many).
public struct MarkerRules: Sendable, Equatable {
    /// Expression peaks: a category's score (not neutral) enters an episode at
    /// `peakThreshold`, leaves it below `peakRelease`; episodes shorter than
    /// `peakMinSeconds` are left to the micro-expressions. One marker per
    /// episode, where it starts (the rise an editor cuts into), spanning it,
    /// noted with its highest score; an episode starting within
    /// `minSpacingSeconds` of the last marker of its kind joins that one.
    public var peakThreshold = 0.5
    public var peakRelease = 0.35
    public var peakMinSeconds = 0.25
    public var minSpacingSeconds = 1.0
    /// Micro-expressions: each run of the track's `micro_expression` column
    /// (the analyser's brief-expression events), at its first frame.
    public var microExpressions = true
    /// Heart surges (the "emergency brake"): the heart rate `surgeBPM` or more
    /// above the performer's resting rate, or `riseBPM` or more above its
    /// lowest over the last `riseSeconds`. Marked where the surge starts,
    /// noted with its highest rate. The resting rate is `restingBPM`, or
    /// without it the 10th percentile of the track's heart rates (the calmest
    /// stretch of the take standing in for a resting measurement).
    public var surgeBPM = 25.0
    public var riseBPM = 20.0
    public var riseSeconds = 5.0
    public var restingBPM: Double?
    /// Arousal peaks: the fused arousal (the face's without a sensor) enters
    /// at `arousalThreshold`, leaves below `arousalRelease`; marked as the
    /// expression peaks are.
    public var arousalThreshold = 0.5
    public var arousalRelease = 0.35
    /// Warnings: sensor gaps and frames without a face lasting at least this.
    public var warningMinSeconds = 0.5

    public init() {}
}

/// Finds markers in an emotion track (and, where given, its sensor session).
public struct MarkerFinder {
    public let rules: MarkerRules
    public let framesPerSecond: Double

    public init(rules: MarkerRules = MarkerRules(), framesPerSecond: Double) {
        self.rules = rules
        self.framesPerSecond = framesPerSecond
    }

    /// Every marker, by frame then kind. `session` adds its unplugged spans
    /// as sensor gaps (without it, gaps are runs of rows with no heart rate
    /// in a track that has one elsewhere).
    public func markers(in rows: [EmotionTrackRow], session: SensorSession? = nil) -> [Marker] {
        var found = expressionPeaks(rows) + arousalPeaks(rows) + heartSurges(rows) + noFace(rows)
        if rules.microExpressions { found += microExpressions(rows) }
        found += session.map { sessionGaps(rows, $0) } ?? heartGaps(rows)
        let order = Dictionary(uniqueKeysWithValues: Marker.Kind.allCases.enumerated().map { ($1, $0) })
        return found.sorted { ($0.frame, order[$0.kind]!, $0.note) < ($1.frame, order[$1.kind]!, $1.note) }
    }

    /// The performer's resting heart rate: the rule's, or the track's 10th percentile.
    public func restingBPM(_ rows: [EmotionTrackRow]) -> Double? {
        if let given = rules.restingBPM { return given }
        let rates = rows.compactMap(\.heartRateBPM).sorted()
        guard !rates.isEmpty else { return nil }
        return rates[Int(Double(rates.count - 1) * 0.1)]
    }

    func frames(_ seconds: Double) -> Int { max(1, Int((seconds * framesPerSecond).rounded())) }

    // MARK: Rules

    func expressionPeaks(_ rows: [EmotionTrackRow]) -> [Marker] {
        EmotionCategory.allCases.filter { $0 != .neutral }.flatMap { category in
            episodes(rows, enter: rules.peakThreshold, release: rules.peakRelease,
                     minFrames: frames(rules.peakMinSeconds)) { $0.faceFound ? $0.categories[category.index] : nil }
                .map { e in
                    Marker(frame: e.first, durationFrames: e.frameCount, kind: .expressionPeak, color: .of(category),
                           note: String(format: "%@ peak %.2f", category.rawValue, e.peak), category: category, value: e.peak)
                }
        }
    }

    func arousalPeaks(_ rows: [EmotionTrackRow]) -> [Marker] {
        episodes(rows, enter: rules.arousalThreshold, release: rules.arousalRelease, minFrames: 1) {
            $0.faceFound ? ($0.fusedArousal ?? $0.arousal) : nil
        }.map { e in
            Marker(frame: e.first, durationFrames: e.frameCount, kind: .arousalPeak, color: .orange,
                   note: String(format: "arousal peak %.2f", e.peak), value: e.peak)
        }
    }

    func heartSurges(_ rows: [EmotionTrackRow]) -> [Marker] {
        guard let rest = restingBPM(rows) else { return [] }
        let window = frames(rules.riseSeconds)
        // The lowest rate over the last `riseSeconds`, by a monotonic deque.
        var lows: [(frame: Int, bpm: Double)] = [], head = 0
        var surge = [Double?](repeating: nil, count: rows.count)
        for (i, row) in rows.enumerated() {
            guard let bpm = row.heartRateBPM else { continue }
            while head < lows.count, lows[head].frame < row.frameIndex - window { head += 1 }
            while lows.count > head, lows[lows.count - 1].bpm >= bpm { lows.removeLast() }
            lows.append((row.frameIndex, bpm))
            let rise = bpm - lows[head].bpm
            surge[i] = bpm - rest >= rules.surgeBPM || rise >= rules.riseBPM ? bpm : nil
        }
        return FrameSpec.runs(of: rows.indices.filter { surge[$0] != nil }).map { run in
            let peak = run.map { surge[$0]! }.max()!
            return Marker(frame: rows[run.lowerBound].frameIndex, durationFrames: run.count, kind: .heartSurge, color: .magenta,
                          note: String(format: "HR %.0f bpm, %+.0f over rest", peak, peak - rest), value: peak)
        }
    }

    func microExpressions(_ rows: [EmotionTrackRow]) -> [Marker] {
        var found: [Marker] = []
        var i = 0
        while i < rows.count {
            guard let category = rows[i].microExpression else { i += 1; continue }
            var j = i
            while j + 1 < rows.count, rows[j + 1].microExpression == category, rows[j + 1].frameIndex == rows[j].frameIndex + 1 { j += 1 }
            let count = j - i + 1
            found.append(Marker(frame: rows[i].frameIndex, durationFrames: count, kind: .microExpression, color: .pink,
                                note: String(format: "micro %@ %.2f s", category.rawValue, Double(count) / framesPerSecond),
                                category: category, value: rows[i...j].map { $0.categories[category.index] }.max() ?? 0))
            i = j + 1
        }
        return found
    }

    func noFace(_ rows: [EmotionTrackRow]) -> [Marker] {
        warnings(rows, .noFace, color: .white) { !$0.faceFound }
    }

    func heartGaps(_ rows: [EmotionTrackRow]) -> [Marker] {
        guard rows.contains(where: { $0.heartRateBPM != nil }) else { return [] }
        return warnings(rows, .sensorGap, color: .black) { $0.heartRateBPM == nil }
    }

    func sessionGaps(_ rows: [EmotionTrackRow], _ session: SensorSession) -> [Marker] {
        warnings(rows, .sensorGap, color: .black) { session.isInGap(atFootageSeconds: $0.timeSeconds) }
    }

    // MARK: Episodes and runs

    struct Episode {
        var first: Int
        var last: Int
        var peak: Double
        var frameCount: Int { last - first + 1 }
    }

    /// Episodes of `value` (nil where it is not measured, which ends one),
    /// with hysteresis, the minimum length and the minimum spacing applied;
    /// an episode joined to the one before spans the frames between.
    func episodes(_ rows: [EmotionTrackRow], enter: Double, release: Double, minFrames: Int,
                  value: (EmotionTrackRow) -> Double?) -> [Episode] {
        var all: [Episode] = []
        var current: Episode?
        var lastFrame = Int.min
        for row in rows {
            let v = value(row)
            let contiguous = row.frameIndex == lastFrame + 1
            lastFrame = row.frameIndex
            if var e = current, let v, v >= release, contiguous {
                e.last = row.frameIndex
                e.peak = max(e.peak, v)
                current = e
                continue
            }
            if let e = current { all.append(e); current = nil }
            if let v, v >= enter { current = Episode(first: row.frameIndex, last: row.frameIndex, peak: v) }
        }
        if let e = current { all.append(e) }
        let spacing = frames(rules.minSpacingSeconds)
        var merged: [Episode] = []
        for e in all where e.frameCount >= minFrames {
            if var last = merged.last, e.first - last.first < spacing {
                last.last = e.last
                last.peak = max(last.peak, e.peak)
                merged[merged.count - 1] = last
            } else {
                merged.append(e)
            }
        }
        return merged
    }

    /// Warnings for runs of rows where `flag` holds, at least the minimum long.
    func warnings(_ rows: [EmotionTrackRow], _ kind: Marker.Kind, color: MarkerColor, flag: (EmotionTrackRow) -> Bool) -> [Marker] {
        FrameSpec.runs(of: rows.indices.filter { flag(rows[$0]) }).filter { $0.count >= frames(rules.warningMinSeconds) }.map { run in
            let seconds = Double(run.count) / framesPerSecond
            return Marker(frame: rows[run.lowerBound].frameIndex, durationFrames: run.count, kind: kind, color: color,
                          note: String(format: kind == .noFace ? "no face %.1f s" : "no heart rate %.1f s", seconds), value: seconds)
        }
    }
}

/// The frame rate a track was analysed at, from its time column: frames over
/// seconds between its first and last rows, snapped to a standard rate
/// within 0.05 % (time is written to the microsecond).
public enum TrackRate {
    public static let standard: [Double] = [24000.0 / 1001, 24, 25, 30000.0 / 1001, 30, 48, 50, 60000.0 / 1001, 60]

    public static func framesPerSecond(_ rows: [EmotionTrackRow], path: String) throws -> Double {
        guard let first = rows.first, let last = rows.last, last.frameIndex > first.frameIndex,
              last.timeSeconds > first.timeSeconds else {
            throw EmpathyError.badFile(path: path, line: nil, message:
                "has fewer than two frames, so its frame rate is unknown; give it with --fps")
        }
        let rate = Double(last.frameIndex - first.frameIndex) / (last.timeSeconds - first.timeSeconds)
        return standard.first { abs($0 - rate) / rate < 0.0005 } ?? rate
    }
}
