import EmpathyCore
import FaceAnalysis
import Foundation
import Fusion
import ImageSequence

/// `empathy track merge`: the tracks of pieces of one clip (`analyze
/// --frames`, one per farm chunk) made into the clip's track, with its
/// landmark sidecar and plot.
///
/// Each frame must come from exactly one reading: frames in two pieces must
/// read the same (a chunk analysed twice), and no frame from the first to
/// the last may be missing. Brief expressions are found again over the
/// whole track (`EmotionTrackFile.markingMicroExpressions`): a piece cannot
/// know an episode that its end cuts. The rest is copied as the pieces read
/// it, so the merge equals an unchunked analysis wherever the pieces' own
/// rows do; where they cannot, see "Analysing in pieces" in the README.
public struct TrackMergeJob: Sendable {
    public var piecePaths: [String]
    public var trackPath: String
    /// The clip's rate; nil reads it from the tracks' frame times.
    public var framesPerSecond: Double?

    public init(piecePaths: [String], trackPath: String) {
        self.piecePaths = piecePaths
        self.trackPath = trackPath
    }

    public struct Summary: Sendable {
        public var frameCount: Int
        public var faceFrameCount: Int
        /// Frames that two pieces both held (and read the same).
        public var sharedFrameCount: Int
        public var framesPerSecond: Double
        public var microExpressions: [MicroExpression]
        public var landmarksPath: String
        public var plotPath: String
    }

    struct Frame {
        var row: EmotionTrackRow
        var text: String
        var landmarks: Substring
        var piece: String
    }

    public func run() throws -> Summary {
        guard !piecePaths.isEmpty else { throw EmpathyError.invalidArgument("no tracks to merge; name the pieces' tracks") }
        let files = AnalyzeJob.TrackFiles(track: trackPath)
        let outputs = files.all.map(Self.canonical)
        for piece in piecePaths where outputs.contains(Self.canonical(piece)) || outputs.contains(Self.canonical(EmotionTrackFile.landmarksPath(forTrack: piece))) {
            throw EmpathyError.invalidArgument("'\(piece)' is a piece and would be overwritten by the merge; write the merged track elsewhere with --out")
        }
        try files.prepare()
        var frames: [Int: Frame] = [:]
        var landmarkHeader: Substring?
        var shared = 0
        for piece in piecePaths {
            let (header, pieceFrames) = try Self.read(piece)
            if let landmarkHeader, landmarkHeader != header {
                throw EmpathyError.badFile(path: EmotionTrackFile.landmarksPath(forTrack: piece), line: 1, message:
                    "has other landmark columns than '\(EmotionTrackFile.landmarksPath(forTrack: piecePaths[0]))'; merge pieces of one analysis")
            }
            landmarkHeader = header
            for frame in pieceFrames {
                guard let other = frames[frame.row.frameIndex] else {
                    frames[frame.row.frameIndex] = frame
                    continue
                }
                guard other.text == frame.text, other.landmarks == frame.landmarks else {
                    throw EmpathyError.invalidArgument(
                        "'\(other.piece)' and '\(piece)' both hold frame \(frame.row.frameIndex + 1) (as --frames counts) and read it differently; merge one analysis of each frame")
                }
                shared += 1
            }
        }
        let ordered = frames.keys.sorted().map { frames[$0]! }
        try Self.requireEveryFrame(ordered.map(\.row.frameIndex))
        let fps = try framesPerSecond ?? Self.rate(of: ordered)
        try Self.requireTimes(ordered, framesPerSecond: fps)
        let (rows, micro) = try EmotionTrackFile.markingMicroExpressions(ordered.map(\.row), framesPerSecond: fps)
        try files.write(rows, landmarks: ([landmarkHeader ?? ""] + ordered.map(\.landmarks)).joined(separator: "\n") + "\n")
        return Summary(frameCount: rows.count, faceFrameCount: rows.filter(\.faceFound).count, sharedFrameCount: shared,
                       framesPerSecond: fps, microExpressions: micro, landmarksPath: files.landmarks, plotPath: files.plot)
    }

    /// A piece's rows (each with its text, brief-expression mark left out:
    /// the merge finds those again) and its sidecar's rows by frame.
    private static func read(_ piece: String) throws -> (landmarkHeader: Substring, frames: [Frame]) {
        if piece.hasSuffix(".landmarks.csv"), FileManager.default.fileExists(atPath: String(piece.dropLast(14)) + ".csv") {
            throw EmpathyError.invalidArgument("'\(piece)' is a landmark sidecar; name the pieces' tracks (each one's sidecar is read beside it)")
        }
        let rows = try EmotionTrackFile.read(path: piece)
        guard !rows.isEmpty else { throw EmpathyError.badFile(path: piece, line: nil, message: "has no rows; analyse the piece again") }
        let sidecar = EmotionTrackFile.landmarksPath(forTrack: piece)
        guard FileManager.default.fileExists(atPath: sidecar) else {
            throw EmpathyError.badFile(path: piece, line: nil, message:
                "has no landmark sidecar ('\(sidecar)'); keep each piece's sidecar beside its track")
        }
        let lines = try EmotionTrackFile.landmarkLines(try UserFile.text(sidecar, what: "landmarks"), path: sidecar)
        let header = lines.header
        var points: [Int: Substring] = [:]
        for row in lines.rows { points[row.frame] = row.line }
        return (header, try rows.map { row in
            guard let landmarks = points[row.frameIndex] else {
                throw EmpathyError.badFile(path: sidecar, line: nil, message:
                    "has no row for frame \(row.frameIndex) of '\(piece)'; analyse the piece again")
            }
            var plain = row
            plain.microExpression = nil
            return Frame(row: plain, text: EmotionTrackFile.encodeRow(plain), landmarks: landmarks, piece: piece)
        })
    }

    /// Every frame from the first (frame 0) to the last; the missing ones as a `--frames` expression.
    static func requireEveryFrame(_ frames: [Int]) throws {
        guard let last = frames.last else { return }
        var missing: [Int] = []
        var next = 0
        for frame in frames + [last + 1] {
            if frame > next { missing += (next + 1)...frame }  // 1-based numbers of next..<frame
            next = frame + 1
        }
        guard !missing.isEmpty else { return }
        let spec = FrameSpec(frames: missing).description
        throw EmpathyError.invalidArgument(
            "no piece holds frames \(spec) (as --frames counts); analyse them with --frames \(spec) and merge again")
    }

    /// The clip's rate from its frame times (written to 6 decimals): the last
    /// frame's index over its time, taken as the nearest whole or NTSC
    /// (×1000/1001) rate when within the times' rounding.
    static func rate(of frames: [Frame]) throws -> Double {
        guard let last = frames.last?.row, last.frameIndex > 0, last.timeSeconds > 0 else {
            throw EmpathyError.invalidArgument("a one-frame track has no rate to read; give it with --fps")
        }
        let estimate = Double(last.frameIndex) / last.timeSeconds
        let tolerance = estimate * 1e-6 / last.timeSeconds + 1e-9
        for candidate in [estimate.rounded(), (estimate * 1.001).rounded() * 1000 / 1001] where abs(candidate - estimate) <= tolerance {
            return candidate
        }
        return estimate
    }

    /// Each frame at its index over the rate, as the analysis writes it: pieces of one clip.
    static func requireTimes(_ frames: [Frame], framesPerSecond fps: Double) throws {
        guard fps.isFinite, fps > 0 else { throw EmpathyError.invalidArgument("--fps must be above 0, got \(fps)") }
        for frame in frames where abs(frame.row.timeSeconds - Double(frame.row.frameIndex) / fps) > 1.5e-6 {
            throw EmpathyError.badFile(path: frame.piece, line: nil, message: String(format:
                "frame %d is at %.6f s, but at %g fps it would be at %.6f s; merge pieces of one clip (or give its rate with --fps)",
                frame.row.frameIndex, frame.row.timeSeconds, fps, Double(frame.row.frameIndex) / fps))
        }
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
