import Biometrics
import EmpathyCore
import FaceAnalysis
import Foundation

/// An emotion track as the renderer's timeline: one `EmotionState` per frame.
///
/// Mapping, per row: valence as analysed; arousal = fused arousal where the
/// track has one (a sensor session was given), else the face's; heart rate
/// and beat phase as recorded (phase 0 without a sensor); beat pulse =
/// exp(−8 · phase), 1 on the beat and under 0.05 after 40% of the interval;
/// stress = clamp(1 − RMSSD / 40 ms, 0, 1) against the population baseline
/// (0 without RMSSD); categories in the track's order (neutral, happiness,
/// sadness, surprise, fear, anger, disgust — the same as
/// `EmotionState.Category`); the face box in picture fractions; and, from
/// the landmark sidecar when it is there and holds dlib's 68 points, the key
/// landmarks (`Landmark68.keyPoints`) in picture fractions.
public struct TrackTimeline: EmotionTimeline {
    public let frameCount: Int?
    public let framesPerSecond: Double
    private let states: [EmotionState]

    /// `rows` must hold frames 0, 1, 2, … in order; `width`×`height` is the
    /// clip's frame size (for the face box and landmarks); `landmarks` maps
    /// frame indices to their points in pixels (the sidecar's contents).
    public init(rows: [EmotionTrackRow], path: String, width: Int, height: Int,
                landmarks: [Int: [SIMD2<Double>]] = [:]) throws {
        guard !rows.isEmpty else {
            throw EmpathyError.badFile(path: path, line: nil, message: "has no frames; analyse the clip again")
        }
        for (index, row) in rows.enumerated() where row.frameIndex != index {
            throw EmpathyError.badFile(path: path, line: index + 2, message:
                "expected frame \(index), found frame \(row.frameIndex): frames are missing or out of order; analyse the clip again")
        }
        frameCount = rows.count
        if rows.count > 1, let last = rows.last, last.timeSeconds > 0 {
            framesPerSecond = Self.framesPerSecond(frameIndex: last.frameIndex, timeSeconds: last.timeSeconds)
        } else {
            framesPerSecond = 24
        }
        states = rows.map { row in
            Self.state(for: row, width: width, height: height, landmarks: row.faceFound ? landmarks[row.frameIndex] : nil)
        }
    }

    /// The rate a track was written at, from its last row: the standard rate
    /// (whole numbers to 240, and the NTSC rates n·1000/1001) whose time for
    /// that frame, written with the track's 6 decimals, is the time in the
    /// row — so a 24 fps take reads as 24, not 24.0000054 — or, for any
    /// other rate, frame / time.
    static func framesPerSecond(frameIndex: Int, timeSeconds: Double) -> Double {
        let measured = Double(frameIndex) / timeSeconds
        let standard = (1...240).map(Double.init) + [24, 30, 48, 60, 120].map { $0 * 1000 / 1001 }
        let written = EmotionTrackFile.fixed(timeSeconds, 6)
        return standard.filter { EmotionTrackFile.fixed(Double(frameIndex) / $0, 6) == written }
            .min { abs($0 - measured) < abs($1 - measured) } ?? measured
    }

    /// One row as the renderer reads it (the mapping above); `landmarks` are
    /// the row's points in pixels, from the sidecar. A live take maps its rows
    /// here too, so a batch render of the recorded track reads the same states.
    public static func state(for row: EmotionTrackRow, width: Int, height: Int, landmarks: [SIMD2<Double>]?) -> EmotionState {
        var state = EmotionState()
        state.valence = Float(row.valence)
        state.arousal = Float(row.fusedArousal ?? row.arousal)
        state.heartRateBPM = row.heartRateBPM.map(Float.init)
        let phase = row.beatPhase ?? 0
        state.beatPhase = Float(phase)
        state.beatPulse = row.beatPhase == nil ? 0 : Float(exp(-8 * phase))
        state.stress = row.rmssdMs.map { Float(HeartBaseline.population.stress(rmssdMs: $0)) } ?? 0
        if row.categories.count == EmotionState.Category.allCases.count {
            state.categories = row.categories.map(Float.init)
        }
        if let box = row.box, width > 0, height > 0 {
            state.faceBox = (Float(box.left) / Float(width), Float(box.top) / Float(height),
                             Float(box.width) / Float(width), Float(box.height) / Float(height))
        }
        if row.faceFound, width > 0, height > 0, let points = landmarks, let key = Landmark68.keyPoints(points) {
            let size = SIMD2(Double(width), Double(height))
            func fraction(_ p: SIMD2<Double>) -> SIMD2<Float> { SIMD2<Float>(p / size) }
            state.leftEye = fraction(key.leftEye)
            state.rightEye = fraction(key.rightEye)
            state.noseTip = fraction(key.noseTip)
            state.mouthCenter = fraction(key.mouthCenter)
            state.faceOutline = Landmark68.faceOutline(points).map { $0.map(fraction) }
        }
        return state
    }

    /// Reads a track file written by `empathy analyze`, with its landmark
    /// sidecar (`X.landmarks.csv`) when there is one; a track without it
    /// renders with no key landmarks (the face box still comes through).
    /// A sidecar that does not match the track (a face in one and not the
    /// other, or frames beyond the track) is an error: it is from another
    /// analysis.
    public static func read(path: String, width: Int, height: Int) throws -> TrackTimeline {
        let rows = try EmotionTrackFile.read(path: path)
        let sidecar = EmotionTrackFile.landmarksPath(forTrack: path)
        var landmarks: [Int: [SIMD2<Double>]] = [:]
        if FileManager.default.fileExists(atPath: sidecar) {
            landmarks = try EmotionTrackFile.readLandmarks(path: sidecar)
            func mismatch(_ what: String) -> EmpathyError {
                EmpathyError.badFile(path: sidecar, line: nil, message:
                    "does not match the track '\(path)' (\(what)); analyse the clip again, or delete this file to render without key landmarks")
            }
            if let beyond = landmarks.keys.filter({ $0 >= rows.count }).min() {
                throw mismatch("frame \(beyond) is beyond the track's \(rows.count) frames")
            }
            for row in rows where row.faceFound != (landmarks[row.frameIndex] != nil) {
                throw mismatch(row.faceFound ? "frame \(row.frameIndex) has a face in the track but no landmarks here"
                                             : "frame \(row.frameIndex) has landmarks here but no face in the track")
            }
        }
        return try TrackTimeline(rows: rows, path: path, width: width, height: height, landmarks: landmarks)
    }

    public func state(at frameIndex: Int) -> EmotionState {
        states[min(max(frameIndex, 0), states.count - 1)]
    }
}
