import EmpathyCore
import FaceAnalysis
import Footage
import Foundation
import Fusion
import ImageSequence
import Pipeline
import XCTest

/// The fusion of appearance and AUs, the calibration correction of the
/// model, the baseline that learns only from neutral frames, and
/// micro-expression events.
final class FusionAndBaselineTests: XCTestCase {
    let categories = EmotionCategory.allCases

    func distribution(_ pairs: [EmotionCategory: Double]) -> [Double] {
        let rest = (1 - pairs.values.reduce(0, +)) / Double(categories.count - pairs.count)
        return categories.map { pairs[$0] ?? rest }
    }

    // MARK: Fusion

    func testQuietAUsLeaveTheModelsReadingUnchanged() {
        let p = distribution([.happiness: 0.6, .neutral: 0.3])
        let fused = EmotionEstimate.fused(appearance: p, actionUnits: ActionUnitIntensities(), auGain: EmotionEstimate.auGainCalibrated)
        for (a, b) in zip(fused.categories, p) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(fused.top, .happiness)
    }

    func testAFullyMatchedPrototypeMultipliesItsOddsByOnePlusTheGain() {
        let p = distribution([.sadness: 0.2, .fear: 0.2])
        var au = ActionUnitIntensities()
        for (unit, _) in EmotionCategory.sadness.prototype { au[unit] = 1 }
        let fused = EmotionEstimate.fused(appearance: p, actionUnits: au, auGain: 3)
        let sadOverNeutral = fused[.sadness] / fused[.neutral]
        XCTAssertEqual(sadOverNeutral, 4 * p[EmotionCategory.sadness.index] / p[EmotionCategory.neutral.index], accuracy: 1e-9)
        XCTAssertEqual(fused.top, .sadness)
        // With no gain (a still, or population defaults) the model reads alone.
        let alone = EmotionEstimate.fused(appearance: p, actionUnits: au, auGain: 0)
        for (a, b) in zip(alone.categories, p) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testAUGainGrowsWithTheNeutralSecondsLearnt() {
        XCTAssertEqual(EmotionEstimate.auGain(calibrated: false, neutralSecondsLearnt: 0), 0)
        XCTAssertEqual(EmotionEstimate.auGain(calibrated: false, neutralSecondsLearnt: 2), EmotionEstimate.auGainCalibrated / 2, accuracy: 1e-12)
        XCTAssertEqual(EmotionEstimate.auGain(calibrated: true, neutralSecondsLearnt: 0), EmotionEstimate.auGainCalibrated)
    }

    // MARK: Calibration correction

    func testCalibratedNeutralOutputMapsToTheTargetAndOtherReadingsKeepTheirOrder() {
        let sadResting = distribution([.sadness: 0.45, .neutral: 0.4])
        let correction = AppearanceCalibration(neutralOutput: sadResting)
        let corrected = correction.correct(sadResting)
        for (a, b) in zip(corrected, AppearanceCalibration.target) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(EmotionEstimate(scores: corrected).top, .neutral)
        // A clear smile on the same face still reads happiness.
        let smile = distribution([.happiness: 0.8, .sadness: 0.05])
        XCTAssertEqual(EmotionEstimate(scores: correction.correct(smile)).top, .happiness)
    }

    func testCalibratingOnAFaceTheModelCallsSadCorrectsItsResting() throws {
        // The clip's frown, held, stands in for a performer whose resting face
        // the model reads as sad: calibrate on it, then analyse it.
        let folder = try makeTemporaryFolder(self)
        let resting = try expressionFrame(93)
        let clip = folder + "/resting.%04d.png"
        for i in 1...6 { try PNGCodec.write(resting, to: String(format: folder + "/resting.%04d.png", i)) }
        let profilePath = folder + "/sad-rest.json"
        var calibrate = CalibrateJob(clipPath: clip, name: "sad-rest", outputPath: profilePath)
        calibrate.expressionModel = .shipped
        let profile = try calibrate.run()
        let recorded = try XCTUnwrap(try profile.appearanceNeutralScores(path: profilePath))
        XCTAssertEqual(EmotionEstimate(scores: recorded).top, .sadness, "the model reads this face as sad: \(recorded)")
        XCTAssertEqual(try NeutralProfile.read(path: profilePath).appearanceNeutral, profile.appearanceNeutral, "round trip")

        func read(_ frame: RGBAImage, profile: NeutralProfile?) throws -> EmotionEstimate {
            let analyzer = try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: profile,
                                            expressionModel: try expressionModel())
            var last = EmotionEstimate.neutral
            for i in 0..<4 {
                last = try analyzer.analyze(frame: frame, frameIndex: i, timeSeconds: Double(i) / 24, intervalSeconds: 1.0 / 24).reading.estimate
            }
            return last
        }
        XCTAssertEqual(try read(resting, profile: nil).top, .sadness)
        XCTAssertEqual(try read(resting, profile: profile).top, .neutral, "calibrated: the performer's rest reads neutral")
        XCTAssertEqual(try read(try expressionFrame(25), profile: profile).top, .happiness, "calibrated: a smile still reads")
    }

    func testAProfileRecordedWithAnotherModelIsRefusedInOneLine() throws {
        let mean = try predictor().meanShape
        var profile = NeutralProfile(name: "ana", features: ExpressionFeatures(landmarks: mean, meanShape: mean), frameCount: 12,
                                     source: "rest.mp4", appearanceNeutral: distribution([.neutral: 0.7]),
                                     appearanceModel: "another-model.onnx")
        XCTAssertThrowsError(try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: profile,
                                              profilePath: "calibration/ana.json", expressionModel: try expressionModel())) { error in
            let text = "\(error)"
            XCTAssert(text.contains("calibration/ana.json") && text.contains("another-model.onnx"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
        profile.appearanceModel = ExpressionModel.defaultFileName
        XCTAssertNoThrow(try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: profile,
                                          expressionModel: try expressionModel()))
    }

    func testOnlyAPerformersOwnCalibrationGivesTheAUsTheirGain() throws {
        let mean = try predictor().meanShape
        let features = ExpressionFeatures(landmarks: mean, meanShape: mean)
        XCTAssertEqual(ExpressionScorer(meanShape: mean, profile: features).auGain, EmotionEstimate.auGainCalibrated)
        XCTAssertEqual(ExpressionScorer(meanShape: mean, profile: features, profileIsPerformer: false).auGain, 0,
                       "population defaults (--calibration default) are nobody's face")
        XCTAssertEqual(ExpressionScorer(meanShape: mean).auGain, 0, "nothing learnt yet")
    }

    // MARK: Baseline

    func testBaselineStartsAtThePopulationAndLearnsOnlyFromNeutralFrames() throws {
        let mean = try predictor().meanShape
        let scorer = ExpressionScorer(meanShape: mean)
        let population = ExpressionFeatures(landmarks: mean, meanShape: mean)
        XCTAssertEqual(scorer.baseline, population)
        // A face with the brows a little lower than the mean shape.
        var face = mean
        for i in 17...26 { face[i].y += 0.004 }
        let neutral = distribution([.neutral: 0.9]), angry = distribution([.anger: 0.9])
        for _ in 0..<24 { _ = scorer.score(landmarks: face, appearance: angry, intervalSeconds: 1.0 / 24) }
        XCTAssertEqual(scorer.baseline, population, "frames the model reads as expressive teach nothing")
        XCTAssertEqual(scorer.neutralSecondsLearnt, 0)
        for _ in 0..<24 { _ = scorer.score(landmarks: face, appearance: neutral, intervalSeconds: 1.0 / 24) }
        XCTAssertEqual(scorer.neutralSecondsLearnt, 1, accuracy: 1e-9)
        let target = ExpressionFeatures(landmarks: face, meanShape: mean).browHeight
        // One second of neutral frames against a prior worth 0.5 s: two thirds of the way.
        let moved = (scorer.baseline.browHeight - population.browHeight) / (target - population.browHeight)
        XCTAssertEqual(moved, 2.0 / 3, accuracy: 1e-6)
        XCTAssertGreaterThan(scorer.auGain, 0)
    }

    // MARK: Micro-expressions

    func rows(_ readings: [EmotionCategory?], face: [Bool]? = nil) -> [FaceReading] {
        readings.enumerated().map { i, reading in
            var scores = distribution([.happiness: 0.05])
            if let reading { scores = distribution([reading: 0.7]) } else { scores = distribution([.neutral: 0.8]) }
            return FaceReading(frameIndex: i, timeSeconds: Double(i) / 24, faceFound: face?[i] ?? true,
                               estimate: EmotionEstimate(scores: scores))
        }
    }

    func testBriefBoundedEpisodesAreMicroExpressions() {
        let track = rows(Array(repeating: nil, count: 10) + Array(repeating: .surprise, count: 5) + Array(repeating: nil, count: 10)
                         + [.anger] + Array(repeating: nil, count: 5))
        let found = MicroExpression.find(in: track, framesPerSecond: 24)
        XCTAssertEqual(found.map(\.category), [.surprise, .anger])
        XCTAssertEqual(found.first?.onsetFrame, 10)
        XCTAssertEqual(found.first?.offsetFrame, 14)
        XCTAssertEqual(found.first?.durationSeconds ?? 0, 5.0 / 24, accuracy: 1e-12)
        XCTAssertEqual(found.last?.durationSeconds ?? 0, 1.0 / 24, accuracy: 1e-12, "one frame at 24 fps is 1/24 s, longer than 1/25 s")
        var marked = track
        MicroExpression.mark(found, in: &marked)
        XCTAssertEqual(marked.map(\.microExpression).filter { $0 != nil }.count, 6)
        XCTAssertEqual(marked[12].microExpression, .surprise)
        XCTAssertNil(marked[15].microExpression)
    }

    func testLongUnboundedOrFacelessEpisodesAreNotMicroExpressions() {
        // 13 frames at 24 fps = 0.54 s: longer than 1/2 s.
        XCTAssert(MicroExpression.find(in: rows([nil] + Array(repeating: .fear, count: 13) + [nil]), framesPerSecond: 24).isEmpty)
        // 12 frames = 0.5 s: still brief.
        XCTAssertEqual(MicroExpression.find(in: rows([nil] + Array(repeating: .fear, count: 12) + [nil]), framesPerSecond: 24).count, 1)
        // Cut by the clip's start or end.
        XCTAssert(MicroExpression.find(in: rows([.fear, .fear, nil, nil]), framesPerSecond: 24).isEmpty)
        XCTAssert(MicroExpression.find(in: rows([nil, nil, .fear, .fear]), framesPerSecond: 24).isEmpty)
        // Cut by a lost face.
        XCTAssert(MicroExpression.find(in: rows([nil, .fear, .fear, nil], face: [false, true, true, true]), framesPerSecond: 24).isEmpty)
        // Neutral readings are never events.
        XCTAssert(MicroExpression.find(in: rows(Array(repeating: nil, count: 30)), framesPerSecond: 24).isEmpty)
    }

    func testAFlashOfSurpriseInAnImageSequenceIsFlaggedInTheTrackAndSummary() throws {
        // 24 frames at rest, 6 of the held surprise (0.25 s at 24 fps), 24 at rest.
        let folder = try makeTemporaryFolder(self)
        let order = Array(repeating: 5, count: 24) + Array(repeating: 60, count: 6) + Array(repeating: 5, count: 24)
        for (i, source) in order.enumerated() {
            try PNGCodec.write(try expressionFrame(source), to: String(format: folder + "/flash.%04d.png", i + 1))
        }
        var job = AnalyzeJob(inputPath: folder + "/flash.%04d.png", trackPath: folder + "/flash.track.csv")
        job.expressionModel = .shipped
        let summary = try job.run()
        XCTAssertEqual(summary.microExpressions.map(\.category), [.surprise], MicroExpression.summary(summary.microExpressions))
        let event = try XCTUnwrap(summary.microExpressions.first)
        XCTAssert((24...26).contains(event.onsetFrame), "onset \(event.onsetFrame)")
        XCTAssert((0.12...0.3).contains(event.durationSeconds), "duration \(event.durationSeconds)")
        let track = try EmotionTrackFile.read(path: folder + "/flash.track.csv")
        XCTAssertEqual(track[event.onsetFrame].microExpression, .surprise)
        XCTAssertNil(track[10].microExpression)
        XCTAssert(MicroExpression.summary(summary.microExpressions).contains("surprise at"))
    }
}
