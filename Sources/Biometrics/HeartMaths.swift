/// Heart-rate and heart-rate-variability maths over beat streams.
///
/// Sources:
/// - Task Force of the European Society of Cardiology and the North American
///   Society of Pacing and Electrophysiology (1996), "Heart rate variability:
///   standards of measurement, physiological interpretation and clinical use",
///   Circulation 93:1043–1065 — definitions of NN intervals, SDNN and RMSSD.
/// - Malik M. et al. (1989), Eur Heart J 10:1060–1074 — rejecting an interval
///   that differs by more than 20 % from the preceding ones.
/// - Shaffer F., Ginsberg J. P. (2017), "An overview of heart rate variability
///   metrics and norms", Front. Public Health 5:258 — ultra-short (≤ 60 s)
///   RMSSD windows.
/// - Karvonen M. J. et al. (1957), Ann Med Exp Biol Fenn 35:307–315 — heart
///   rate reserve, (HR − HR_rest) / (HR_max − HR_rest).
/// - Kim H.-G. et al. (2018), "Stress and heart rate variability: a
///   meta-analysis and review of the literature", Psychiatry Investig
///   15:235–245 — HRV (RMSSD) falls under stress.

import EmpathyCore

/// One beat on a time line in seconds.
public struct HeartBeat: Sendable, Equatable {
    public var timeSeconds: Double
    /// The interval ending at this beat, in ms; nil when unknown (first beat,
    /// or first after a gap).
    public var interBeatIntervalMs: Double?

    public init(timeSeconds: Double, interBeatIntervalMs: Double?) {
        self.timeSeconds = timeSeconds
        self.interBeatIntervalMs = interBeatIntervalMs
    }
}

/// Verdict of the artifact filter on one interval.
public enum IntervalVerdict: Sendable, Equatable {
    case accepted
    /// Outside 273–2000 ms (220–30 BPM).
    case outsidePhysiologicalRange
    /// More than `maximumDeviation` away from the running median.
    case deviatesFromMedian
    /// No interval (first beat, or first after a gap).
    case unknown
}

/// Artifact rejection for inter-beat intervals (NN selection).
///
/// An interval is accepted when 273 ms ≤ IBI ≤ 2000 ms and
/// |IBI − median| ≤ 0.2 × median, where median is over the last 5 accepted
/// intervals (Malik 1989's 20 % rule against a running median, so one
/// ectopic beat does not move the reference). With fewer than 3 accepted
/// intervals only the range applies. When 3 rejections in a row agree with
/// each other within 20 % the rhythm really changed: the history restarts
/// from them.
public struct ArtifactFilter: Sendable {
    public static let physiologicalRangeMs: ClosedRange<Double> = 273...2000
    public var maximumDeviation = 0.2
    public var historyLength = 5

    private var history: [Double] = []
    private var recentRejections: [Double] = []

    public init() {}

    public var medianIntervalMs: Double? { history.isEmpty ? nil : median(history) }

    public mutating func reset() {
        history.removeAll()
        recentRejections.removeAll()
    }

    public mutating func judge(_ intervalMs: Double?) -> IntervalVerdict {
        guard let ibi = intervalMs, ibi > 0 else { return .unknown }
        guard Self.physiologicalRangeMs.contains(ibi) else { return .outsidePhysiologicalRange }
        if history.count >= 3 {
            let reference = median(history)
            if abs(ibi - reference) > maximumDeviation * reference {
                recentRejections.append(ibi)
                if recentRejections.count >= 3 {
                    let m = median(recentRejections)
                    if recentRejections.allSatisfy({ abs($0 - m) <= maximumDeviation * m }) {
                        history = recentRejections
                        recentRejections.removeAll()
                        return .accepted
                    }
                    recentRejections.removeFirst()
                }
                return .deviatesFromMedian
            }
        }
        recentRejections.removeAll()
        history.append(ibi)
        if history.count > historyLength { history.removeFirst() }
        return .accepted
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

/// A beat after artifact rejection: `normalIntervalMs` is set only when the
/// interval is a normal-to-normal (NN) interval.
public struct FilteredBeat: Sendable, Equatable {
    public var timeSeconds: Double
    public var normalIntervalMs: Double?
    public var verdict: IntervalVerdict
}

/// Heart-rate statistics over time windows of filtered beats. Beats must be
/// in time order; each query finds its window by binary search, so a track
/// of a feature-length session costs O(frames · log beats), not frames × beats.
public enum HeartStatistics {
    /// Runs the artifact filter over beats in time order.
    public static func filter(_ beats: [HeartBeat]) -> [FilteredBeat] {
        var filter = ArtifactFilter()
        return beats.map { beat in
            let verdict = filter.judge(beat.interBeatIntervalMs)
            return FilteredBeat(
                timeSeconds: beat.timeSeconds,
                normalIntervalMs: verdict == .accepted ? beat.interBeatIntervalMs : nil, verdict: verdict)
        }
    }

    /// Heart rate in BPM = 60000 / mean(NN) over the NN intervals ending in
    /// (t − window, t]; nil with fewer than 2.
    public static func heartRateBPM(_ beats: [FilteredBeat], at t: Double, windowSeconds: Double = 10) -> Double? {
        let intervals = normalIntervals(beats, from: t - windowSeconds, to: t)
        guard intervals.count >= 2 else { return nil }
        return 60000 / (intervals.reduce(0, +) / Double(intervals.count))
    }

    /// RMSSD in ms = sqrt(mean((NN_{i+1} − NN_i)²)) over successive NN pairs
    /// (both intervals accepted, adjacent beats) ending in (t − window, t]
    /// (Task Force 1996); nil with fewer than 2 pairs.
    public static func rmssdMs(_ beats: [FilteredBeat], at t: Double, windowSeconds: Double = 60) -> Double? {
        var sum = 0.0, count = 0
        let window = indices(beats, from: t - windowSeconds, to: t)
        // A pair's first interval may end just before the window.
        var previous = window.lowerBound > 0 ? beats[window.lowerBound - 1].normalIntervalMs : nil
        for beat in beats[window] {
            guard let nn = beat.normalIntervalMs else {
                previous = nil
                continue
            }
            if let p = previous {
                sum += (nn - p) * (nn - p)
                count += 1
            }
            previous = nn
        }
        return count >= 2 ? (sum / Double(count)).squareRoot() : nil
    }

    /// SDNN in ms = sample standard deviation of the NN intervals ending in
    /// (t − window, t] (Task Force 1996); nil with fewer than 3.
    public static func sdnnMs(_ beats: [FilteredBeat], at t: Double, windowSeconds: Double = 60) -> Double? {
        let intervals = normalIntervals(beats, from: t - windowSeconds, to: t)
        guard intervals.count >= 3 else { return nil }
        let mean = intervals.reduce(0, +) / Double(intervals.count)
        let variance = intervals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(intervals.count - 1)
        return variance.squareRoot()
    }

    static func normalIntervals(_ beats: [FilteredBeat], from start: Double, to end: Double) -> [Double] {
        beats[indices(beats, from: start, to: end)].compactMap(\.normalIntervalMs)
    }

    /// The beats with start < time ≤ end, found by binary search.
    static func indices(_ beats: [FilteredBeat], from start: Double, to end: Double) -> Range<Int> {
        let lower = beats.partitionIndex { $0.timeSeconds > start }
        return lower..<max(lower, beats.partitionIndex { $0.timeSeconds > end })
    }
}

/// Beat phase: 0 at a beat, rising linearly to 1 at the next.
///
/// Known next beat (a recording): phase(t) = (t − b_k) / (b_{k+1} − b_k).
/// Live, the next beat is predicted from the expected interval E (the mean
/// NN interval): phase(t) = frac((t − b_k) / E), carrying on for up to
/// `maximumPredictedBeats` predicted beats, so passes can pulse on time even
/// before the next beat is reported; after that the phase is unknown (nil).
public enum BeatPhase {
    public static let maximumPredictedBeats = 3.0

    public static func phase(at t: Double, lastBeatSeconds: Double, nextBeatSeconds: Double?, expectedIntervalMs: Double?) -> Double? {
        guard t >= lastBeatSeconds else { return nil }
        if let next = nextBeatSeconds, next > lastBeatSeconds, t < next {
            return (t - lastBeatSeconds) / (next - lastBeatSeconds)
        }
        guard let expected = expectedIntervalMs, expected > 0 else { return nil }
        let cycles = (t - lastBeatSeconds) * 1000 / expected
        guard cycles < maximumPredictedBeats else { return nil }
        return cycles - cycles.rounded(.down)
    }
}

/// A performer's resting values, measured during calibration.
public struct HeartBaseline: Sendable, Equatable, Codable {
    public var restingHeartRateBPM: Double
    public var restingRMSSDMs: Double
    /// Maximum heart rate; default 190 BPM when the age is unknown
    /// (Tanaka et al. 2001: 208 − 0.7 × age).
    public var maximumHeartRateBPM: Double

    public init(restingHeartRateBPM: Double, restingRMSSDMs: Double, maximumHeartRateBPM: Double = 190) {
        self.restingHeartRateBPM = restingHeartRateBPM
        self.restingRMSSDMs = restingRMSSDMs
        self.maximumHeartRateBPM = maximumHeartRateBPM
    }

    /// Population defaults: 70 BPM, 40 ms RMSSD (Shaffer & Ginsberg 2017, Table 1 ranges).
    public static let population = HeartBaseline(restingHeartRateBPM: 70, restingRMSSDMs: 40)

    /// Measures a baseline from a resting recording: mean heart rate and
    /// RMSSD over all its NN intervals; nil with fewer than 10 NN intervals.
    public static func measure(_ beats: [HeartBeat]) -> HeartBaseline? {
        let filtered = HeartStatistics.filter(beats)
        let nn = filtered.compactMap(\.normalIntervalMs)
        guard nn.count >= 10, let last = filtered.last?.timeSeconds else { return nil }
        let span = last - (filtered.first?.timeSeconds ?? last) + 1
        guard let rmssd = HeartStatistics.rmssdMs(filtered, at: last, windowSeconds: span) else { return nil }
        return HeartBaseline(restingHeartRateBPM: 60000 / (nn.reduce(0, +) / Double(nn.count)), restingRMSSDMs: rmssd)
    }

    /// Arousal from heart rate, 0…1: the heart-rate-reserve fraction
    /// clamp((HR − HR_rest) / (HR_max − HR_rest), 0, 1) (Karvonen 1957).
    public func arousal(heartRateBPM: Double) -> Double {
        let reserve = maximumHeartRateBPM - restingHeartRateBPM
        guard reserve > 0 else { return 0 }
        return min(1, max(0, (heartRateBPM - restingHeartRateBPM) / reserve))
    }

    /// Stress from an HRV drop, 0…1: clamp(1 − RMSSD / RMSSD_rest, 0, 1)
    /// (RMSSD, a vagal index, falls under stress: Kim 2018).
    public func stress(rmssdMs: Double) -> Double {
        guard restingRMSSDMs > 0 else { return 0 }
        return min(1, max(0, 1 - rmssdMs / restingRMSSDMs))
    }
}
