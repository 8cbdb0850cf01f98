import EmpathyCore
import Foundation

/// A brief expression: the moments an editor wants to find.
///
/// Ekman's micro-expressions last from 1/25 to 1/5 s from onset to offset
/// (Ekman & Friesen 1969, "Nonverbal leakage and clues to deception",
/// Psychiatry 32:88–106); later measurements put the upper limit at 1/2 s
/// (Yan, Wu, Liang, Chen & Fu 2013, "How fast are the leaked facial
/// expressions: the duration of micro-expressions", J. Nonverbal Behavior
/// 37:217–230). Found in a clip's readings once every frame is read:
///
/// - an episode of category c is a maximal run of consecutive face frames
///   whose top category is c (not neutral) with a score of at least
///   `minimumScore`, peaking at `minimumPeak` or more;
/// - it is brief when its duration (frames × frame interval) lies within
///   `shortestSeconds…longestSeconds`;
/// - and it must be bounded: face frames of another reading before and after
///   it (an episode cut by the clip's ends or by a lost face is not known to
///   be brief).
///
/// The thresholds are tuning choices: 0.4 keeps an episode going through the
/// dip of a blended frame, and a 0.5 peak asks that c was, at its height,
/// the reading more likely than all others together.
public struct MicroExpression: Sendable, Equatable {
    public var category: EmotionCategory
    /// First and last frame (0-based, inclusive).
    public var onsetFrame: Int
    public var offsetFrame: Int
    public var peakScore: Double
    public var onsetSeconds: Double
    public var durationSeconds: Double

    public static let shortestSeconds = 1.0 / 25
    public static let longestSeconds = 0.5
    public static let minimumScore = 0.4
    public static let minimumPeak = 0.5

    /// The brief episodes in a clip's readings, in time order.
    public static func find(in rows: [FaceReading], framesPerSecond fps: Double) -> [MicroExpression] {
        guard fps > 0 else { return [] }
        // The reading of each frame: an expressive category above minimumScore, else nil.
        func reading(_ row: FaceReading) -> EmotionCategory? {
            let top = row.estimate.top
            return row.faceFound && top != .neutral && row.categories[top.index] >= minimumScore ? top : nil
        }
        var found: [MicroExpression] = []
        var start = 0
        while start < rows.count {
            guard let category = reading(rows[start]) else { start += 1; continue }
            var end = start
            while end + 1 < rows.count, reading(rows[end + 1]) == category { end += 1 }
            let bounded = start > 0 && end + 1 < rows.count && rows[start - 1].faceFound && rows[end + 1].faceFound
            let duration = Double(end - start + 1) / fps
            let peak = rows[start...end].map { $0.categories[category.index] }.max() ?? 0
            if bounded, peak >= minimumPeak, duration >= shortestSeconds - 1e-9, duration <= longestSeconds + 1e-9 {
                found.append(MicroExpression(category: category, onsetFrame: rows[start].frameIndex, offsetFrame: rows[end].frameIndex,
                                             peakScore: peak, onsetSeconds: rows[start].timeSeconds, durationSeconds: duration))
            }
            start = end + 1
        }
        return found
    }

    /// Writes each episode's category into its frames' `microExpression`.
    public static func mark(_ episodes: [MicroExpression], in rows: inout [FaceReading]) {
        for i in rows.indices { rows[i].microExpression = nil }
        for e in episodes {
            for i in rows.indices where rows[i].frameIndex >= e.onsetFrame && rows[i].frameIndex <= e.offsetFrame {
                rows[i].microExpression = e.category
            }
        }
    }
}

extension MicroExpression {
    /// One line for the analysis summary: `micro-expressions: 2 — surprise at 1.250 s for 0.21 s (frames 31–35), …`.
    public static func summary(_ episodes: [MicroExpression]) -> String {
        guard !episodes.isEmpty else { return "micro-expressions: none" }
        let items = episodes.map {
            String(format: "%@ at %.3f s for %.2f s (frames %d–%d)", $0.category.rawValue, $0.onsetSeconds,
                   $0.durationSeconds, $0.onsetFrame, $0.offsetFrame)
        }
        return "micro-expressions: \(episodes.count) — " + items.joined(separator: ", ")
    }
}
