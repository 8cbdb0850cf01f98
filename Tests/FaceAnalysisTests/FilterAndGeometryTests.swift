import EmpathyCore
import FaceAnalysis
import XCTest

final class FilterAndGeometryTests: XCTestCase {
    func testSimilarityFitRecoversAKnownTransform() {
        let known = SimilarityTransform(a: 1.7 * cos(0.3), b: 1.7 * sin(0.3), translation: SIMD2(12, -4))
        let from: [SIMD2<Double>] = (0..<20).map { (i: Int) -> SIMD2<Double> in
            let x = Double(i % 5) * 3.1
            let y = Double(i / 5) * 2.3 + Double(i) * 0.1
            return SIMD2(x, y)
        }
        let to = from.map(known.apply)
        let fit = SimilarityTransform.fit(from: from, to: to)
        XCTAssertEqual(fit.a, known.a, accuracy: 1e-9)
        XCTAssertEqual(fit.b, known.b, accuracy: 1e-9)
        XCTAssertEqual(fit.translation.x, 12, accuracy: 1e-9)
        XCTAssertEqual(fit.translation.y, -4, accuracy: 1e-9)
        let back = fit.inverse.apply(to[7])
        XCTAssertEqual(back.x, from[7].x, accuracy: 1e-9)
        XCTAssertEqual(back.y, from[7].y, accuracy: 1e-9)
    }

    func testOneEuroFilterPassesAConstantUnchanged() {
        var filter = OneEuroFilter(.init(minCutoffHz: 1, beta: 0.5))
        for _ in 0..<50 { XCTAssertEqual(filter.filter(3.25, intervalSeconds: 1.0 / 24), 3.25) }
    }

    func testOneEuroFilterReducesJitterAndStillReachesAStep() {
        var filter = OneEuroFilter(LandmarkSmoother.defaultParameters)
        // ±0.02 alternating jitter around 0: output spread must shrink by at least 3x.
        var outputs: [Double] = []
        for i in 0..<96 { outputs.append(filter.filter(i % 2 == 0 ? 0.02 : -0.02, intervalSeconds: 1.0 / 24)) }
        let spread = outputs.suffix(48).map(abs).max() ?? 1
        XCTAssertLessThan(spread, 0.02 / 3, "jitter left: \(spread)")
        // A step of 1 (one IOD) is followed to within 5% in half a second.
        var last = 0.0
        for _ in 0..<12 { last = filter.filter(1, intervalSeconds: 1.0 / 24) }
        XCTAssertGreaterThan(last, 0.95)
    }

    func testLandmarkSmoothingIsTheSameForASmallAndALargeFace() throws {
        let mean = try predictor().meanShape
        var small = LandmarkSmoother(pointCount: 68), large = LandmarkSmoother(pointCount: 68)
        var seed: UInt64 = 7
        for frame in 0..<48 {
            // A face drifting right with per-point jitter, in face units; drawn 100 px and 400 px wide.
            let points = mean.map { p -> SIMD2<Double> in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let jitter = Double(seed >> 40) / Double(1 << 24) * 0.02 - 0.01
                return p + SIMD2(0.01 * Double(frame) + jitter, jitter)
            }
            let a = small.smooth(points.map { $0 * 100 }, intervalSeconds: 1.0 / 24)
            let b = large.smooth(points.map { $0 * 400 }, intervalSeconds: 1.0 / 24)
            for (p, q) in zip(a, b) {
                XCTAssertEqual(p.x / 100, q.x / 400, accuracy: 1e-9, "frame \(frame)")
                XCTAssertEqual(p.y / 100, q.y / 400, accuracy: 1e-9, "frame \(frame)")
            }
        }
    }

    func testEmotionEstimateOfNoActivityIsNeutralAtTheOrigin() {
        let e = EmotionEstimate(actionUnits: ActionUnitIntensities())
        XCTAssertEqual(e.top, .neutral)
        XCTAssertEqual(e[.neutral], 1)
        XCTAssertEqual(e.valence, 0)
        XCTAssertEqual(e.arousal, 0)
    }

    func testFullPrototypeMakesItsCategoryTop() {
        for category in EmotionCategory.allCases where category != .neutral {
            var units = ActionUnitIntensities()
            for (unit, _) in category.prototype { units[unit] = 1 }
            let e = EmotionEstimate(actionUnits: units)
            // Fear's prototype contains surprise's, so full fear also gives full surprise evidence: a tie at most.
            if category == .fear {
                XCTAssertEqual(e[.fear], e.categories.max()!, accuracy: 1e-12)
            } else {
                XCTAssertEqual(e.top, category, "\(category): \(e.categories)")
            }
            let (v, a) = category.circumplex
            XCTAssertEqual(e.valence > 0, v > 0, "\(category)")
            XCTAssertEqual(e.arousal > 0, a > 0, "\(category)")
        }
    }

    func testFeaturesOfTheMeanShapeMatchTheDefaultProfile() throws {
        let model = try predictor()
        let profile = try NeutralProfile.read(path: repositoryPath("calibration/default.json"))
        let expected = NeutralProfile.population(meanShape: model.meanShape, modelPath: model.modelPath)
        for name in ExpressionFeatures.names {
            XCTAssertEqual(profile.features[name] ?? .nan, expected.features[name] ?? 0, accuracy: 1e-12, name)
        }
        // The mean shape against itself: no activity.
        let f = try profile.expressionFeatures(path: "default.json")
        XCTAssertEqual(ActionUnitIntensities(features: f, baseline: f).values.max(), 0)
    }
}
