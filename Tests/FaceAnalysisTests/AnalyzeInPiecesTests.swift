import EmpathyCore
import FaceAnalysis
import Fusion
import Pipeline
import XCTest

/// A clip analysed in pieces (`analyze --frames`, one per farm chunk) and
/// merged (`track merge`) against the whole clip's analysis.
final class AnalyzeInPiecesTests: XCTestCase {
    /// The expression clip (120 frames at 24 fps, one face changing
    /// expression) in four pieces, each on its own analyser: with the default
    /// 2 s warm-up the merged track and landmarks equal the whole clip's byte
    /// for byte (without a calibration: the learnt baseline has not moved
    /// within 5 s). Without a warm-up they do not (the filters and tracker
    /// start cold at each piece), so the equality is the warm-up's doing.
    func testPiecesWithAWarmUpMergeIntoTheWholeClipsTrack() throws {
        let folder = try makeTemporaryFolder(self)
        let whole = folder + "/whole.csv"
        _ = try AnalyzeJob(inputPath: expressionClipPath, trackPath: whole).run()
        for warmUp in [2.0, 0] {
            var pieces: [String] = []
            // Given out of order: the merge sorts by frame.
            for spec in ["91-120", "1-30", "61-90", "31-60"] {
                var job = AnalyzeJob(inputPath: expressionClipPath, trackPath: folder + "/w\(warmUp)-\(spec).csv")
                job.frames = FrameSpec(parsing: spec)
                job.warmUpSeconds = warmUp
                let summary = try job.run()
                XCTAssertEqual(summary.frameCount, 30, spec)
                pieces.append(job.trackPath)
            }
            let merged = folder + "/merged-\(warmUp).csv"
            let summary = try TrackMergeJob(piecePaths: pieces, trackPath: merged).run()
            XCTAssertEqual(summary.frameCount, 120)
            XCTAssertEqual(summary.framesPerSecond, 24)
            let (worst, column, frame) = try Self.largestDifference(whole, merged)
            if warmUp > 0 {
                XCTAssertEqual(try String(contentsOfFile: merged, encoding: .utf8), try String(contentsOfFile: whole, encoding: .utf8),
                               "largest difference \(worst) in \(column) at frame \(frame)")
                XCTAssertEqual(try String(contentsOfFile: EmotionTrackFile.landmarksPath(forTrack: merged), encoding: .utf8),
                               try String(contentsOfFile: EmotionTrackFile.landmarksPath(forTrack: whole), encoding: .utf8))
                XCTAssertTrue(FileManager.default.fileExists(atPath: summary.plotPath))
            } else {
                XCTAssertGreaterThan(worst, 0.01, "cold pieces should differ from the whole clip")
                XCTAssertGreaterThanOrEqual(frame, 30, "the first piece starts where the whole clip does")
            }
        }
    }

    /// The largest difference between two tracks' numeric cells, its column and frame.
    static func largestDifference(_ a: String, _ b: String) throws -> (Double, String, Int) {
        let left = try String(contentsOfFile: a, encoding: .utf8).split(separator: "\n")
        let right = try String(contentsOfFile: b, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(left.count, right.count)
        let names = left[0].split(separator: ",", omittingEmptySubsequences: false)
        var worst = (0.0, "", -1)
        for (l, r) in zip(left.dropFirst(), right.dropFirst()) {
            let lc = l.split(separator: ",", omittingEmptySubsequences: false), rc = r.split(separator: ",", omittingEmptySubsequences: false)
            for i in lc.indices where lc[i] != rc[i] {
                let d = abs((Double(lc[i]) ?? 0) - (Double(rc[i]) ?? 0))
                if d > worst.0 || worst.2 < 0 { worst = (d, String(names[i]), Int(lc[0]) ?? -1) }
            }
        }
        return worst
    }
}

/// The merge's rules on made-up tracks: order, brief expressions across a
/// piece's end, shared frames, gaps, rates and what is refused.
final class TrackMergeTests: XCTestCase {
    /// 80 frames at `fps`, neutral but for a 5-frame happiness episode at frames 38-42.
    static func rows(fps: Double = 24) -> [EmotionTrackRow] {
        (0..<80).map { f in
            var row = EmotionTrackRow(frameIndex: f, timeSeconds: Double(f) / fps, faceFound: true, faceID: 1,
                                      box: FaceBox(left: 10, top: 20, right: 109, bottom: 119))
            var scores = [Double](repeating: 0, count: EmotionCategory.allCases.count)
            scores[(38...42).contains(f) ? EmotionCategory.happiness.index : EmotionCategory.neutral.index] = 0.9
            scores[EmotionCategory.surprise.index] = 0.1
            row.categories = scores
            row.valence = (38...42).contains(f) ? 0.5 : 0
            return row
        }
    }

    /// Writes `rows` as a piece (track and sidecar) at `path`.
    static func writePiece(_ rows: [EmotionTrackRow], _ path: String, fps: Double = 24) throws {
        let (marked, _) = try EmotionTrackFile.markingMicroExpressions(rows, framesPerSecond: fps)
        try EmotionTrackFile.write(marked, to: path)
        let points = (0..<68).map { SIMD2(Double($0), 2 * Double($0)) }
        try AtomicFile.write(EmotionTrackFile.encodeLandmarks(rows.map { ($0.frameIndex, 1, points.map { $0 + Double($0.x) }) }),
                             to: EmotionTrackFile.landmarksPath(forTrack: path))
    }

    func testPiecesMergeInAnyOrderAndABriefExpressionAcrossTheirEndIsFound() throws {
        let folder = try makeTemporaryFolder(self)
        let rows = Self.rows()
        try Self.writePiece(rows, folder + "/whole.csv")
        try Self.writePiece(Array(rows[40...]), folder + "/b.csv")
        try Self.writePiece(Array(rows[..<40]), folder + "/a.csv")
        // Each piece sees the episode cut by its end: not known to be brief, not marked.
        XCTAssertTrue(try EmotionTrackFile.read(path: folder + "/a.csv").allSatisfy { $0.microExpression == nil })
        let summary = try TrackMergeJob(piecePaths: [folder + "/b.csv", folder + "/a.csv"], trackPath: folder + "/merged.csv").run()
        XCTAssertEqual(summary.microExpressions.map { [$0.onsetFrame, $0.offsetFrame] }, [[38, 42]])
        let merged = try EmotionTrackFile.read(path: folder + "/merged.csv")
        XCTAssertEqual(merged.filter { $0.microExpression == .happiness }.map(\.frameIndex), Array(38...42))
        XCTAssertEqual(try String(contentsOfFile: folder + "/merged.csv", encoding: .utf8),
                       try String(contentsOfFile: folder + "/whole.csv", encoding: .utf8))
        XCTAssertEqual(try String(contentsOfFile: folder + "/merged.landmarks.csv", encoding: .utf8),
                       try String(contentsOfFile: folder + "/whole.landmarks.csv", encoding: .utf8))
    }

    func testSharedFramesMustReadTheSame() throws {
        let folder = try makeTemporaryFolder(self)
        let rows = Self.rows()
        try Self.writePiece(Array(rows[..<50]), folder + "/a.csv")
        try Self.writePiece(Array(rows[30...]), folder + "/b.csv")
        let summary = try TrackMergeJob(piecePaths: [folder + "/a.csv", folder + "/b.csv"], trackPath: folder + "/m.csv").run()
        XCTAssertEqual(summary.sharedFrameCount, 20)
        XCTAssertEqual(summary.frameCount, 80)
        var changed = Array(rows[30...])
        changed[5].valence = 0.25  // frame 35
        try Self.writePiece(changed, folder + "/c.csv")
        XCTAssertThrowsError(try TrackMergeJob(piecePaths: [folder + "/a.csv", folder + "/c.csv"], trackPath: folder + "/n.csv").run()) {
            XCTAssertEqual("\($0)", "'\(folder)/a.csv' and '\(folder)/c.csv' both hold frame 36 (as --frames counts) and read it differently; merge one analysis of each frame")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/n.csv"), "nothing written on a refusal")
    }

    func testAGapIsNamedAsTheFramesToAnalyse() throws {
        let folder = try makeTemporaryFolder(self)
        let rows = Self.rows()
        try Self.writePiece(Array(rows[10..<40]), folder + "/a.csv")
        try Self.writePiece(Array(rows[50...]), folder + "/b.csv")
        XCTAssertThrowsError(try TrackMergeJob(piecePaths: [folder + "/a.csv", folder + "/b.csv"], trackPath: folder + "/m.csv").run()) {
            XCTAssertEqual("\($0)", "no piece holds frames 1-10,41-50 (as --frames counts); analyse them with --frames 1-10,41-50 and merge again")
        }
    }

    func testTheRateIsReadFromTheFrameTimes() throws {
        let folder = try makeTemporaryFolder(self)
        for (fps, expected) in [(24.0, 24.0), (24000.0 / 1001, 24000.0 / 1001), (30000.0 / 1001, 30000.0 / 1001), (25, 25), (12.5, 12.5)] {
            try Self.writePiece(Self.rows(fps: fps), folder + "/r.csv", fps: fps)
            let summary = try TrackMergeJob(piecePaths: [folder + "/r.csv"], trackPath: folder + "/m-\(fps).csv").run()
            XCTAssertEqual(summary.framesPerSecond, expected, accuracy: 1e-9, "\(fps)")
        }
        // Pieces of clips at other rates do not fit together.
        try Self.writePiece(Array(Self.rows(fps: 24)[..<40]), folder + "/a.csv")
        try Self.writePiece(Array(Self.rows(fps: 25)[40...]), folder + "/b.csv")
        XCTAssertThrowsError(try TrackMergeJob(piecePaths: [folder + "/a.csv", folder + "/b.csv"], trackPath: folder + "/x.csv").run()) {
            XCTAssertEqual("\($0)", "'\(folder)/a.csv': frame 1 is at 0.041667 s, but at 25 fps it would be at 0.040000 s; merge pieces of one clip (or give its rate with --fps)")
        }
    }

    func testWhatIsRefusedIsOneLineNamingTheFile() throws {
        let folder = try makeTemporaryFolder(self)
        try Self.writePiece(Self.rows(), folder + "/a.csv")
        let cases: [([String], String, String)] = [
            ([folder + "/a.landmarks.csv"], folder + "/m.csv",
             "'\(folder)/a.landmarks.csv' is a landmark sidecar; name the pieces' tracks (each one's sidecar is read beside it)"),
            ([folder + "/a.csv"], folder + "/a.csv",
             "'\(folder)/a.csv' is a piece and would be overwritten by the merge; write the merged track elsewhere with --out"),
            ([], folder + "/m.csv", "no tracks to merge; name the pieces' tracks"),
        ]
        for (pieces, out, message) in cases {
            XCTAssertThrowsError(try TrackMergeJob(piecePaths: pieces, trackPath: out).run()) { XCTAssertEqual("\($0)", message) }
        }
        try FileManager.default.copyItem(atPath: folder + "/a.csv", toPath: folder + "/lonely.csv")
        XCTAssertThrowsError(try TrackMergeJob(piecePaths: [folder + "/lonely.csv"], trackPath: folder + "/m.csv").run()) {
            XCTAssertEqual("\($0)", "'\(folder)/lonely.csv': has no landmark sidecar ('\(folder)/lonely.landmarks.csv'); keep each piece's sidecar beside its track")
        }
    }
}
