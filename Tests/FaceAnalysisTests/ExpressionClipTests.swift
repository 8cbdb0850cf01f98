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

/// The whole clip analysed once.
struct ClipAnalysis {
    var rows: [FaceReading]
    var intended: [IntendedFrame]
    var detections: Int

    /// Frames held at full intensity (or neutral), skipping the first
    /// `settlingFrames` of each hold.
    func held(_ phase: String, settlingFrames: Int = 3) -> [FaceReading] {
        rows.indices.filter { i in
            (max(0, i - settlingFrames)...i).allSatisfy { intended[$0].phase == phase && intended[$0].isHeld }
        }.map { rows[$0] }
    }

    static func mean(_ rows: [FaceReading], _ value: (FaceReading) -> Double) -> Double {
        rows.isEmpty ? .nan : rows.map(value).reduce(0, +) / Double(rows.count)
    }

    /// Analyses frames `range` of the expression clip as a clip of their own.
    static func run(_ analyzer: FaceAnalyzer, frames range: Range<Int>? = nil) throws -> ClipAnalysis {
        let source = try VideoSource(path: expressionClipPath)
        let range = range ?? 0..<source.frameCount
        try source.seek(toFrameIndex: range.lowerBound)
        var rows: [FaceReading] = []
        for index in 0..<range.count {
            guard let frame = try source.nextFrame() else { break }
            rows.append(try analyzer.analyze(frame: frame, frameIndex: index, timeSeconds: Double(index) / 24,
                                             intervalSeconds: 1.0 / 24).reading)
        }
        let intended = Array(try readIntended()[range])
        return ClipAnalysis(rows: rows, intended: intended, detections: analyzer.tracker.detectionCount)
    }
}

/// The product's default: the appearance model, no calibration.
let sharedClipAnalysis: Result<ClipAnalysis, Error> = Result {
    try ClipAnalysis.run(try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: nil,
                                          expressionModel: try expressionModel()))
}

/// Landmark AUs alone against the performer's calibrated neutral face (the
/// median features of the clip's opening neutral frames): the AU formulas'
/// own behaviour.
let sharedAUClipAnalysis: Result<ClipAnalysis, Error> = Result {
    let model = try predictor()
    let tracker = FaceTracker(detector: try FaceDetector(), predictor: model)
    let source = try VideoSource(path: expressionClipPath)
    var samples: [[Double]] = []
    for _ in 0..<12 {
        guard let frame = try source.nextFrame(), let face = try tracker.update(frame: frame, intervalSeconds: 1.0 / 24).first else { continue }
        samples.append(ExpressionFeatures(landmarks: face.landmarks, meanShape: model.meanShape).values)
    }
    let features = ExpressionFeatures(values: (0..<ExpressionFeatures.names.count).map { k in
        samples.map { $0[k] }.sorted()[samples.count / 2]
    })
    let profile = NeutralProfile(name: "clip", features: features, frameCount: samples.count, source: "frames 0-11")
    return try ClipAnalysis.run(try FaceAnalyzer(detector: try FaceDetector(), predictor: model, profile: profile,
                                                 expressionModel: nil))
}

/// The category each expression of the clip should read as.
let expectedTop: [String: EmotionCategory] = ["smile": .happiness, "surprise": .surprise, "frown": .sadness]

final class ExpressionClipTests: XCTestCase {
    func testClipAndIntendedTableAgree() throws {
        let clip = try sharedClipAnalysis.get()
        XCTAssertEqual(clip.rows.count, 120)
        XCTAssertEqual(clip.intended.count, 120)
    }

    func testEachExpressionReadsRightFromItsFirstFullFrameWithoutCalibration() throws {
        let clip = try sharedClipAnalysis.get()
        for (phase, category) in expectedTop {
            let full = clip.held(phase, settlingFrames: 0)
            XCTAssertGreaterThanOrEqual(full.count, 12, phase)
            for row in full {
                XCTAssertEqual(row.estimate.top, category, "\(phase), frame \(row.frameIndex): \(row.categories)")
            }
        }
    }

    func testClipsCutToOpenOnAnExpressionReadItFromTheirFirstFrame() throws {
        let intended = try readIntended()
        for (phase, category) in expectedTop {
            guard let first = intended.firstIndex(where: { $0.phase == phase && $0.isHeld }) else { return XCTFail(phase) }
            let analyzer = try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: nil,
                                            expressionModel: try expressionModel())
            let cut = try ClipAnalysis.run(analyzer, frames: first..<(first + 6))
            XCTAssertEqual(cut.rows.count, 6)
            for row in cut.rows {
                XCTAssertEqual(row.estimate.top, category, "cut at \(first) (\(phase)), frame \(row.frameIndex): \(row.categories)")
            }
        }
    }

    func testValenceAndArousalMoveWithTheExpressions() throws {
        let clip = try sharedClipAnalysis.get()
        func mean(_ phase: String, _ value: (FaceReading) -> Double) -> Double { ClipAnalysis.mean(clip.held(phase), value) }
        XCTAssertGreaterThan(mean("smile", \.valence), 0.6)
        XCTAssertLessThan(mean("frown", \.valence), -0.3)
        XCTAssertGreaterThan(mean("surprise", \.arousal), mean("neutral", \.arousal) + 0.1)
        XCTAssertGreaterThan(mean("smile", \.valence), mean("frown", \.valence) + 0.9)
    }

    func testCalibratedAUsScoreNeutralFramesNeutralTop() throws {
        let clip = try sharedAUClipAnalysis.get()
        let neutral = clip.held("neutral")
        XCTAssertGreaterThan(neutral.count, 20)  // 36 neutral frames, less settling
        for row in neutral {
            XCTAssertEqual(row.estimate.top, .neutral, "frame \(row.frameIndex): \(row.categories)")
            XCTAssertLessThan(abs(row.valence), 0.1, "frame \(row.frameIndex)")
        }
    }

    func testCalibratedAUsScoreSmileFramesHappinessTopAndValenceAboveNeutral() throws {
        let clip = try sharedAUClipAnalysis.get()
        let smile = clip.held("smile"), neutral = clip.held("neutral")
        XCTAssertGreaterThanOrEqual(smile.count, 10)
        for row in smile {
            XCTAssertEqual(row.estimate.top, .happiness, "frame \(row.frameIndex): \(row.categories)")
            XCTAssertGreaterThan(row.actionUnits[.lipCornerPull], 0.5, "frame \(row.frameIndex)")
        }
        let smileValence = ClipAnalysis.mean(smile, \.valence), neutralValence = ClipAnalysis.mean(neutral, \.valence)
        XCTAssertGreaterThan(smileValence, neutralValence + 0.2, "smile \(smileValence), neutral \(neutralValence)")
    }

    func testCalibratedAUsSeeSurpriseRaiseBrowsAndDropJawWithSurpriseTop() throws {
        let clip = try sharedAUClipAnalysis.get()
        let surprise = clip.held("surprise"), neutral = clip.held("neutral")
        XCTAssertGreaterThanOrEqual(surprise.count, 10)
        for row in surprise {
            XCTAssertEqual(row.estimate.top, .surprise, "frame \(row.frameIndex): \(row.categories)")
        }
        // The outer brow points jitter on this warp (0.24–0.84 over the hold): a lower bar for them.
        for (unit, rise) in [(ActionUnit.innerBrowRaise, 0.5), (.outerBrowRaise, 0.3), (.jawDrop, 0.5), (.lipsPart, 0.5)] {
            let during = ClipAnalysis.mean(surprise) { $0.actionUnits[unit] }
            let before = ClipAnalysis.mean(neutral) { $0.actionUnits[unit] }
            XCTAssertGreaterThan(during, before + rise, "\(unit): surprise \(during), neutral \(before)")
        }
    }

    func testCalibratedAUsSeeFrownLowerBrowsWithValenceBelowNeutral() throws {
        let clip = try sharedAUClipAnalysis.get()
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
        XCTAssertEqual(try sharedAUClipAnalysis.get().rows.filter(\.faceFound).count, 120)
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
