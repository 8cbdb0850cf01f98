import Biometrics
import FaceAnalysis

/// Puts a sensor session's heart into the emotion track and fuses it with
/// the face's arousal.
///
/// Per frame, at footage time t (session time t + offset): heart rate over
/// the last 10 s, RMSSD over the last 60 s and the beat phase, from
/// `SensorSession`; nothing where the session has no data (before it, after
/// it, in a gap).
///
/// Fused arousal, on the face's −1…1 scale:
///   k = clamp((HR − HR_rest) / (HR_max − HR_rest), 0, 1)  (heart-rate reserve; Karvonen 1957)
///   s = clamp(1 − RMSSD / RMSSD_rest, 0, 1)               (HRV stress; RMSSD falls under stress, Kim 2018)
///   heart = clamp(3·k − 0.5 + 0.5·s, −1, 1)
///   fused = (face + heart) / 2, or the face's arousal alone where there is no heart rate.
/// At rest the heart term is −0.5 (calm); 30 BPM above rest with a 70/190
/// baseline (k = 0.25) makes it +0.25, 60 BPM above (k = 0.5) +1. The 3× gain
/// and the equal weights are this project's choice, made so that the range
/// of heart rates seen in a performance spans the scale; they are a starting
/// point to tune, not numbers from the literature.
public struct HeartFusion: Sendable {
    public let session: SensorSession
    public let baseline: HeartBaseline

    public init(session: SensorSession, baseline: HeartBaseline) {
        self.session = session
        self.baseline = baseline
    }

    /// The baseline to fuse against: the profile's resting values where it
    /// has them, population defaults (70 BPM, 40 ms) otherwise.
    public static func baseline(from profile: NeutralProfile?) -> HeartBaseline {
        let population = HeartBaseline.population
        return HeartBaseline(restingHeartRateBPM: profile?.restingHeartRateBPM ?? population.restingHeartRateBPM,
                             restingRMSSDMs: profile?.restingRMSSDMs ?? population.restingRMSSDMs)
    }

    public static func heartArousal(heartRateBPM: Double, rmssdMs: Double?, baseline: HeartBaseline) -> Double {
        let k = baseline.arousal(heartRateBPM: heartRateBPM)
        let s = rmssdMs.map { baseline.stress(rmssdMs: $0) } ?? 0
        return min(max(3 * k - 0.5 + 0.5 * s, -1), 1)
    }

    public func complete(_ rows: [EmotionTrackRow]) -> [EmotionTrackRow] {
        rows.map { row in
            var row = row
            let t = row.timeSeconds
            row.heartRateBPM = session.heartRateBPM(atFootageSeconds: t)
            row.rmssdMs = session.rmssdMs(atFootageSeconds: t)
            row.beatPhase = session.beatPhase(atFootageSeconds: t)
            if let hr = row.heartRateBPM {
                let heart = Self.heartArousal(heartRateBPM: hr, rmssdMs: row.rmssdMs, baseline: baseline)
                row.fusedArousal = (row.arousal + heart) / 2
            } else {
                row.fusedArousal = row.arousal
            }
            return row
        }
    }

    /// Frames that got a heart rate.
    public static func coveredFrames(_ rows: [EmotionTrackRow]) -> Int {
        rows.filter { $0.heartRateBPM != nil }.count
    }
}
