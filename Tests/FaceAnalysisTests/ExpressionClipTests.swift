import EmpathyCore
import FaceAnalysis
import Footage
import XCTest

/// The intended expression per frame of footage/expressions/astronaut-expressions.mp4.
struct IntendedFrame {
    var phase: String
    var smile: Double
    var surprise: Double
    var frown: Double
    /// Held at full intensity, or plain neutral.
    var isHeld: Bool { phase == "neutral" || max(smile, surprise, frown) >= 0.999 }
}

func readIntended() throws -> [IntendedFrame] {
    let text = try String(contentsOfFile: repositoryPath("footage/expressions/astronaut-expressions.csv"), encoding: .utf8)
    return text.split(separator: "\n").dropFirst().map { line in
        let c = line.split(separator: ",").map(String.init)
        return IntendedFrame(phase: c[2], smile: Double(c[3]) ?? 0, surprise: Double(c[4]) ?? 0, frown: Double(c[5]) ?? 0)
    }
}

/// The whole clip analysed once (default options: HOG, running baseline).
struct ClipAnalysis {
    var rows: [EmotionTrackRow]
    var intended: [IntendedFrame]
    var detections: Int

    /// Frames held at full intensity (or neutral), skipping the first
    /// `settlingFrames` of each hold: the landmark and score filters lag an
    /// onset by about two frames.
    func held(_ phase: String, settlingFrames: Int = 3) -> [EmotionTrackRow] {
        rows.indices.filter { i in
            (max(0, i - settlingFrames)...i).allSatisfy { intended[$0].phase == phase && intended[$0].isHeld }
        }.map { rows[$0] }
    }

    static func mean(_ rows: [EmotionTrackRow], _ value: (EmotionTrackRow) -> Double) -> Double {
        rows.isEmpty ? .nan : rows.map(value).reduce(0, +) / Double(rows.count)
    }
}

let sharedClipAnalysis: Result<ClipAnalysis, Error> = Result {
    let source = try VideoSource(path: expressionClipPath)
    let analyzer = FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: nil)
    var rows: [EmotionTrackRow] = []
    var index = 0
    while let frame = try source.nextFrame() {
        rows.append(try analyzer.analyze(frame: frame, frameIndex: index, timeSeconds: Double(index) / 24,
                                         intervalSeconds: 1.0 / 24).row)
        index += 1
    }
    return ClipAnalysis(rows: rows, intended: try readIntended(), detections: analyzer.tracker.detectionCount)
}

final class ExpressionClipTests: XCTestCase {
    func testClipAndIntendedTableAgree() throws {
        let clip = try sharedClipAnalysis.get()
        XCTAssertEqual(clip.rows.count, 120)
        XCTAssertEqual(clip.intended.count, 120)
    }

    func testNeutralFramesScoreNeutralTop() throws {
        let clip = try sharedClipAnalysis.get()
        let neutral = clip.held("neutral")
        XCTAssertGreaterThan(neutral.count, 20)  // 36 neutral frames, less settling
        for row in neutral {
            XCTAssertEqual(row.estimate.top, .neutral, "frame \(row.frameIndex): \(row.categories)")
            XCTAssertLessThan(abs(row.valence), 0.1, "frame \(row.frameIndex)")
        }
    }

    func testSmileFramesScoreHappinessTopAndValenceAboveNeutral() throws {
        let clip = try sharedClipAnalysis.get()
        let smile = clip.held("smile"), neutral = clip.held("neutral")
        XCTAssertGreaterThanOrEqual(smile.count, 10)
        for row in smile {
            XCTAssertEqual(row.estimate.top, .happiness, "frame \(row.frameIndex): \(row.categories)")
            XCTAssertGreaterThan(row.actionUnits[.lipCornerPull], 0.5, "frame \(row.frameIndex)")
        }
        let smileValence = ClipAnalysis.mean(smile, \.valence), neutralValence = ClipAnalysis.mean(neutral, \.valence)
        XCTAssertGreaterThan(smileValence, neutralValence + 0.2, "smile \(smileValence), neutral \(neutralValence)")
    }

    func testSurpriseFramesRaiseBrowsAndDropJawWithSurpriseTop() throws {
        let clip = try sharedClipAnalysis.get()
        let surprise = clip.held("surprise"), neutral = clip.held("neutral")
        XCTAssertGreaterThanOrEqual(surprise.count, 10)
        for row in surprise {
            XCTAssertEqual(row.estimate.top, .surprise, "frame \(row.frameIndex): \(row.categories)")
        }
        for unit in [ActionUnit.innerBrowRaise, .outerBrowRaise, .jawDrop, .lipsPart] {
            let during = ClipAnalysis.mean(surprise) { $0.actionUnits[unit] }
            let before = ClipAnalysis.mean(neutral) { $0.actionUnits[unit] }
            XCTAssertGreaterThan(during, before + 0.5, "\(unit): surprise \(during), neutral \(before)")
        }
    }

    func testFrownFramesLowerBrowsWithValenceBelowNeutral() throws {
        let clip = try sharedClipAnalysis.get()
        let frown = clip.held("frown"), neutral = clip.held("neutral")
        XCTAssertGreaterThanOrEqual(frown.count, 10)
        let browLower = ClipAnalysis.mean(frown) { $0.actionUnits[.browLower] }
        XCTAssertGreaterThan(browLower, ClipAnalysis.mean(neutral) { $0.actionUnits[.browLower] } + 0.5)
        let frownValence = ClipAnalysis.mean(frown, \.valence), neutralValence = ClipAnalysis.mean(neutral, \.valence)
        XCTAssertLessThan(frownValence, neutralValence - 0.2, "frown \(frownValence), neutral \(neutralValence)")
        for row in frown {
            XCTAssert([.sadness, .anger, .disgust].contains(row.estimate.top), "frame \(row.frameIndex): \(row.categories)")
        }
    }

    func testTrackerKeepsOneIDThroughTheClipWithOccasionalDetection() throws {
        let clip = try sharedClipAnalysis.get()
        XCTAssert(clip.rows.allSatisfy(\.faceFound), "frames without a face: \(clip.rows.filter { !$0.faceFound }.map(\.frameIndex))")
        XCTAssertEqual(Set(clip.rows.compactMap(\.faceID)), [1])
        // Every 12 frames, plus at most a few re-detections for a degraded fit.
        XCTAssertLessThanOrEqual(clip.detections, 120 / 12 + 3)
    }

    func testScoresStayInRangeAndCategoriesSumToOne() throws {
        let clip = try sharedClipAnalysis.get()
        for row in clip.rows {
            XCTAssert(row.actionUnits.values.allSatisfy { (0...1).contains($0) }, "frame \(row.frameIndex)")
            XCTAssertEqual(row.categories.reduce(0, +), 1, accuracy: 1e-9, "frame \(row.frameIndex)")
            XCTAssert((-1...1).contains(row.valence) && (-1...1).contains(row.arousal), "frame \(row.frameIndex)")
        }
    }
}
