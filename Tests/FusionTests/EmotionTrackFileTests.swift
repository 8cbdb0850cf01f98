import EmpathyCore
import FaceAnalysis
import Foundation
@testable import Fusion
import XCTest

final class EmotionTrackFileTests: XCTestCase {
    func sampleRows() -> [EmotionTrackRow] {
        var units = ActionUnitIntensities()
        units[.lipCornerPull] = 0.8125
        units[.lidTighten] = 0.25
        let first = EmotionTrackRow(frameIndex: 0, timeSeconds: 0, faceFound: true, faceID: 1,
                                    box: FaceBox(left: 10, top: 20, right: 109, bottom: 119),
                                    actionUnits: units, estimate: EmotionEstimate(actionUnits: units))
        let second = EmotionTrackRow(frameIndex: 1, timeSeconds: 1.0 / 24, faceFound: false)
        var third = EmotionTrackRow(frameIndex: 2, timeSeconds: 2.0 / 24, faceFound: false)
        third.heartRateBPM = 72.5
        third.rmssdMs = 41.25
        third.beatPhase = 0.5
        third.fusedArousal = -0.125
        return [first, second, third]
    }

    func testTrackRoundTripsWithinItsWrittenPrecision() throws {
        let rows = sampleRows()
        let text = EmotionTrackFile.encode(rows)
        let back = try EmotionTrackFile.decode(text, path: "sample.csv")
        XCTAssertEqual(back.count, rows.count)
        for (a, b) in zip(rows, back) {
            XCTAssertEqual(a.frameIndex, b.frameIndex)
            XCTAssertEqual(a.timeSeconds, b.timeSeconds, accuracy: 5e-7)
            XCTAssertEqual(a.faceFound, b.faceFound)
            XCTAssertEqual(a.faceID, b.faceID)
            XCTAssertEqual(a.box.map { [$0.left, $0.top, $0.right, $0.bottom] }, b.box.map { [$0.left, $0.top, $0.right, $0.bottom] })
            for (x, y) in zip(a.actionUnits.values + a.categories + [a.valence, a.arousal],
                              b.actionUnits.values + b.categories + [b.valence, b.arousal]) {
                XCTAssertEqual(x, y, accuracy: 5e-5)
            }
            XCTAssertEqual(a.heartRateBPM, b.heartRateBPM)
            XCTAssertEqual(a.rmssdMs, b.rmssdMs)
            XCTAssertEqual(a.beatPhase, b.beatPhase)
            XCTAssertEqual(a.fusedArousal, b.fusedArousal)
        }
        // Written again, the bytes are the same.
        XCTAssertEqual(EmotionTrackFile.encode(back), text)
    }

    func testFileRoundTripsThroughDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("track-file-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/scene.track.csv"
        try EmotionTrackFile.write(sampleRows(), to: path)
        XCTAssertEqual(EmotionTrackFile.encode(try EmotionTrackFile.read(path: path)), EmotionTrackFile.encode(sampleRows()))
        XCTAssertEqual(EmotionTrackFile.landmarksPath(forTrack: path), folder + "/scene.track.landmarks.csv")
    }

    func testAbsentBiometricsAreEmptyCells() {
        let text = EmotionTrackFile.encode([EmotionTrackRow(frameIndex: 0, timeSeconds: 0, faceFound: false)])
        let lines = text.split(separator: "\n")
        XCTAssert(lines[0].hasSuffix("valence,arousal,heart_rate_bpm,rmssd_ms,beat_phase,fused_arousal,micro_expression"))
        XCTAssert(lines[1].hasSuffix(",,,,"), String(lines[1]))
        XCTAssertEqual(lines[1].split(separator: ",", omittingEmptySubsequences: false).count, EmotionTrackFile.columns.count)
    }

    func testColumnsMayBeReorderedAndExtraOnesIgnored() throws {
        let text = EmotionTrackFile.encode(sampleRows())
        let table = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        // Reverse the columns and append a "notes" column.
        let edited = table.enumerated().map { (i, cells) in
            (cells.reversed() + [i == 0 ? "notes" : "checked"]).joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        let back = try EmotionTrackFile.decode(edited, path: "edited.csv")
        XCTAssertEqual(EmotionTrackFile.encode(back), text)
    }

    func testTrackWithCRLFLineEndsReads() throws {
        let text = EmotionTrackFile.encode(sampleRows()).replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(try EmotionTrackFile.decode(text, path: "windows.csv").count, 3)
    }

    /// (case, edit to the second data line, expected message fragment)
    func testBadTracksAreRejectedWithLineAndColumn() {
        let good = EmotionTrackFile.encode(sampleRows())
        var lines = good.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        func withCells(_ changes: [(String, String)]) -> String {
            var copy = lines
            var cells = copy[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            for (name, value) in changes { cells[header.firstIndex(of: name)!] = value }
            copy[2] = cells.joined(separator: ",")
            return copy.joined(separator: "\n")
        }
        func withCell(_ name: String, _ value: String) -> String { withCells([(name, value)]) }
        let box = [("box_left", "10"), ("box_top", "20"), ("box_width", "100"), ("box_height", "100")]
        let table: [(String, String, String)] = [
            ("comma decimal", withCell("valence", "0,5"), "line 3: expected"),
            ("word for a number", withCell("arousal", "high"), "line 3: 'arousal' must be a number, found 'high'"),
            ("face flag not 0/1", withCell("face_found", "yes"), "line 3: 'face_found' must be 0 or 1"),
            ("fractional frame", withCell("frame", "1.5"), "line 3: 'frame' must be a whole number"),
            ("infinite score", withCell("cat_fear", "inf"), "line 3: 'cat_fear' must be a number"),
            ("empty file", "", "is empty"),
            // Numbers that would overflow a later sum (left + width − 1) are refused here.
            ("box edge past Int", withCell("box_left", "9223372036854775807"), "line 3: 'box_left' must be from -1000000 to 1000000"),
            ("box width past Int", withCells(box + [("box_width", "9223372036854775807")]), "line 3: 'box_width' must be from 1 to 1000000"),
            ("negative frame", withCell("frame", "-4"), "line 3: 'frame' must be from 0 to 1000000000"),
        ]
        for (name, text, fragment) in table {
            XCTAssertThrowsError(try EmotionTrackFile.decode(text, path: "t.csv"), name) { error in
                XCTAssert("\(error)".contains(fragment), "\(name): \(error)")
                XCTAssertFalse("\(error)".contains("\n"), name)
            }
        }
        lines[0] = lines[0].replacingOccurrences(of: "valence", with: "pleasure")
        XCTAssertThrowsError(try EmotionTrackFile.decode(lines.joined(separator: "\n"), path: "t.csv")) { error in
            XCTAssert("\(error)".contains("line 1: header has no 'valence' column"), "\(error)")
        }
    }

    func testLandmarkSidecarHasTwoColumnsPerPointAndEmptyCellsWithoutAFace() {
        let points = (0..<68).map { SIMD2(Double($0), Double($0) + 0.5) }
        let text = EmotionTrackFile.encodeLandmarks([(0, 1, points), (1, nil, nil)])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0].split(separator: ",").count, 2 + 136)
        XCTAssert(lines[1].hasPrefix("0,1,0.00,0.50,1.00,1.50"), String(lines[1]))
        XCTAssertEqual(lines[2].split(separator: ",", omittingEmptySubsequences: false).count, 2 + 136)
        XCTAssert(lines[2].hasPrefix("1,,,"))
    }

    func testLandmarkSidecarReadsBackWhatWasWritten() throws {
        let points = (0..<68).map { SIMD2(Double($0) * 3.25, 700 - Double($0)) }
        let text = EmotionTrackFile.encodeLandmarks([(0, 1, points), (1, nil, nil), (2, 1, points.reversed())])
        let frames = try EmotionTrackFile.decodeLandmarks(text, path: "x.landmarks.csv")
        XCTAssertEqual(frames.keys.sorted(), [0, 2], "frame 1 has no face, so no points")
        XCTAssertEqual(frames[0], points)
        XCTAssertEqual(frames[2], points.reversed())
    }

    func testBadLandmarkSidecarsNameTheLine() {
        let points = (0..<68).map { SIMD2(Double($0), Double($0)) }
        let good = EmotionTrackFile.encodeLandmarks([(0, 1, points), (1, 1, points)])
        let lines = good.split(separator: "\n").map(String.init)
        func replacing(line: Int, _ from: String, _ to: String) -> String {
            var copy = lines
            copy[line] = copy[line].replacingOccurrences(of: from, with: to)
            return copy.joined(separator: "\n")
        }
        let table: [(String, String, String)] = [
            ("word for a number", replacing(line: 2, "5.00,5.00", "5.00,left"), "line 3: point 5 must be two numbers"),
            ("missing cell", replacing(line: 1, ",67.00,67.00", ",67.00"), "line 2: expected 138 cells, found 137"),
            ("bad frame", replacing(line: 2, "1,1,0.00", "one,1,0.00"), "line 3: 'frame' must be a whole number"),
            ("track, not landmarks", "frame,time_s,face_found\n0,0,1", "line 1: header must be 'frame,face_id,x0,y0"),
            ("empty file", "", "is empty"),
        ]
        for (name, text, fragment) in table {
            XCTAssertThrowsError(try EmotionTrackFile.decodeLandmarks(text, path: "x.landmarks.csv"), name) { error in
                XCTAssert("\(error)".contains("x.landmarks.csv"), "\(name): \(error)")
                XCTAssert("\(error)".contains(fragment), "\(name): \(error)")
                XCTAssertFalse("\(error)".contains("\n"), name)
            }
        }
    }

    /// A track's rate comes back as the rate it was written at (a live take
    /// renders at the source's 24, and its track must read as 24, not as
    /// frame / rounded time), and any other rate as measured.
    func testTheRateOfATrackIsTheStandardRateItsTimesWereWrittenAt() {
        func written(_ frame: Int, _ fps: Double) -> Double { Double(EmotionTrackFile.fixed(Double(frame) / fps, 6))! }
        for fps in [24.0, 25, 30, 60, 12.5 * 2, 24000.0 / 1001, 30000.0 / 1001, 60000.0 / 1001] {
            for frame in [1, 35, 119, 149_999] {
                XCTAssertEqual(TrackTimeline.framesPerSecond(frameIndex: frame, timeSeconds: written(frame, fps)), fps, "\(fps) at \(frame)")
            }
        }
        XCTAssertNotEqual(Double(35) / written(35, 24), 24, "frame / time is not the rate")
        let odd = TrackTimeline.framesPerSecond(frameIndex: 1000, timeSeconds: written(1000, 23.7))
        XCTAssertEqual(odd, 23.7, accuracy: 1e-6, "a rate that is not standard is measured")
    }
}
