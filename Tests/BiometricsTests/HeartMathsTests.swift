import Biometrics
import XCTest

final class HeartMathsTests: XCTestCase {
    func testArtifactFilterVerdictsTable() {
        var filter = ArtifactFilter()
        let table: [(Double?, IntervalVerdict)] = [
            (nil, .unknown),
            (0, .unknown),
            (272, .outsidePhysiologicalRange),
            (2001, .outsidePhysiologicalRange),
            (800, .accepted),     // fewer than 3 accepted: range only
            (820, .accepted),
            (790, .accepted),
            (520, .deviatesFromMedian),   // premature (ectopic) beat
            (1080, .deviatesFromMedian),  // its compensatory pause
            (810, .accepted),
            (1600, .deviatesFromMedian),  // a missed beat doubles the interval
            (960, .accepted),             // within 20 % of the median 810 (≤ 972)
        ]
        for (index, (interval, expected)) in table.enumerated() {
            XCTAssertEqual(filter.judge(interval), expected, "row \(index): \(String(describing: interval))")
        }
    }

    func testArtifactFilterFollowsARealChangeOfRhythm() {
        var filter = ArtifactFilter()
        for _ in 0..<5 { XCTAssertEqual(filter.judge(1000), .accepted) }
        // Heart rate jumps from 60 to 100 BPM and stays: two rejections, then the history restarts.
        XCTAssertEqual(filter.judge(600), .deviatesFromMedian)
        XCTAssertEqual(filter.judge(610), .deviatesFromMedian)
        XCTAssertEqual(filter.judge(605), .accepted)
        XCTAssertEqual(filter.judge(600), .accepted)
        XCTAssertEqual(filter.medianIntervalMs ?? 0, 602.5, accuracy: 1e-9)
    }

    private func beats(_ intervalsMs: [Double?], start: Double = 1) -> [HeartBeat] {
        var t = start
        return intervalsMs.map { ibi in
            t += (ibi ?? 1000) / 1000
            return HeartBeat(timeSeconds: t, interBeatIntervalMs: ibi)
        }
    }

    func testRMSSDAndSDNNMatchHandComputedValues() {
        // NN: 800, 820, 780, 810, 790. Successive differences 20, -40, 30, -20:
        // RMSSD = sqrt((400 + 1600 + 900 + 400) / 4) = sqrt(825); SDNN = sqrt(1000 / 4) (mean 800).
        let filtered = HeartStatistics.filter(beats([nil, 800, 820, 780, 810, 790]))
        let end = filtered.last!.timeSeconds
        XCTAssertEqual(HeartStatistics.rmssdMs(filtered, at: end) ?? 0, 825.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(HeartStatistics.sdnnMs(filtered, at: end) ?? 0, 250.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(HeartStatistics.heartRateBPM(filtered, at: end) ?? 0, 75, accuracy: 1e-9)
    }

    func testRMSSDSkipsPairsAcrossARejectedBeat() {
        // 800, 820, 790, [500 ectopic], [1120 pause], 810, 790.
        let filtered = HeartStatistics.filter(beats([nil, 800, 820, 790, 500, 1120, 810, 790]))
        let end = filtered.last!.timeSeconds
        // Pairs: 820-800, 790-820, 790-810 (810 follows the rejected pause, so no pair ends there).
        let expected = ((400.0 + 900 + 400) / 3).squareRoot()
        XCTAssertEqual(HeartStatistics.rmssdMs(filtered, at: end) ?? 0, expected, accuracy: 1e-9)
    }

    /// The windows are found by binary search; against the definitions
    /// walked beat by beat, at beat times exactly (window edges) and between.
    func testWindowedStatisticsMatchTheirDefinitionsEverywhere() {
        var state: UInt64 = 0x1234_5678
        func random() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var intervals: [Double?] = [nil]
        for _ in 0..<400 { intervals.append(random() < 0.04 ? 400 + 900 * random() : 700 + 200 * random()) }
        let filtered = HeartStatistics.filter(beats(intervals))
        func inWindow(_ b: FilteredBeat, _ t: Double, _ w: Double) -> Bool { b.timeSeconds > t - w && b.timeSeconds <= t }
        func rmssd(_ t: Double, _ w: Double) -> Double? {
            var sum = 0.0, count = 0
            for i in filtered.indices where inWindow(filtered[i], t, w) {
                guard let nn = filtered[i].normalIntervalMs, i > 0, let p = filtered[i - 1].normalIntervalMs else { continue }
                sum += (nn - p) * (nn - p)
                count += 1
            }
            return count >= 2 ? (sum / Double(count)).squareRoot() : nil
        }
        func nn(_ t: Double, _ w: Double) -> [Double] { filtered.filter { inWindow($0, t, w) }.compactMap(\.normalIntervalMs) }
        var times = filtered.map(\.timeSeconds)
        times += times.map { $0 + 0.37 } + [-1, 0, times.last! + 100]
        var checked = 0
        for t in times {
            for w in [10.0, 60.0] {
                let mean = nn(t, w).count >= 2 ? 60000 / (nn(t, w).reduce(0, +) / Double(nn(t, w).count)) : nil
                XCTAssertEqual(HeartStatistics.heartRateBPM(filtered, at: t, windowSeconds: w), mean, "t \(t) w \(w)")
                XCTAssertEqual(HeartStatistics.rmssdMs(filtered, at: t, windowSeconds: w), rmssd(t, w), "t \(t) w \(w)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 1500)
    }

    func testStatisticsNeedEnoughBeatsInTheWindow() {
        let filtered = HeartStatistics.filter(beats([nil, 800, 820]))
        let end = filtered.last!.timeSeconds
        XCTAssertNil(HeartStatistics.rmssdMs(filtered, at: end))
        XCTAssertNil(HeartStatistics.sdnnMs(filtered, at: end))
        XCTAssertNil(HeartStatistics.heartRateBPM(filtered, at: end + 30), "nothing in the last 10 s")
    }

    func testBeatPhaseBetweenKnownBeatsAndPredictedForward() {
        XCTAssertEqual(BeatPhase.phase(at: 10.25, lastBeatSeconds: 10, nextBeatSeconds: 11, expectedIntervalMs: 800) ?? -1,
                       0.25, accuracy: 1e-9)
        // Live: the next beat is not known yet; predicted from the expected interval.
        XCTAssertEqual(BeatPhase.phase(at: 10.2, lastBeatSeconds: 10, nextBeatSeconds: nil, expectedIntervalMs: 800) ?? -1,
                       0.25, accuracy: 1e-9)
        XCTAssertEqual(BeatPhase.phase(at: 11.0, lastBeatSeconds: 10, nextBeatSeconds: nil, expectedIntervalMs: 800) ?? -1,
                       0.25, accuracy: 1e-9, "one predicted beat later")
        XCTAssertNil(BeatPhase.phase(at: 12.5, lastBeatSeconds: 10, nextBeatSeconds: nil, expectedIntervalMs: 800),
                     "three intervals without a beat: unknown")
        XCTAssertNil(BeatPhase.phase(at: 9.9, lastBeatSeconds: 10, nextBeatSeconds: nil, expectedIntervalMs: 800))
    }

    func testArousalAndStressAgainstTheRestingBaseline() {
        let baseline = HeartBaseline(restingHeartRateBPM: 60, restingRMSSDMs: 50, maximumHeartRateBPM: 180)
        XCTAssertEqual(baseline.arousal(heartRateBPM: 60), 0)
        XCTAssertEqual(baseline.arousal(heartRateBPM: 90), 0.25, accuracy: 1e-12)
        XCTAssertEqual(baseline.arousal(heartRateBPM: 50), 0, "below rest clamps to 0")
        XCTAssertEqual(baseline.arousal(heartRateBPM: 200), 1)
        XCTAssertEqual(baseline.stress(rmssdMs: 50), 0)
        XCTAssertEqual(baseline.stress(rmssdMs: 20), 0.6, accuracy: 1e-12)
        XCTAssertEqual(baseline.stress(rmssdMs: 80), 0, "more HRV than at rest is no stress")
    }

    func testBaselineMeasuredFromARestingRecording() {
        let intervals: [Double?] = [nil] + (0..<20).map { $0 % 2 == 0 ? 1000 : 1040 }
        let baseline = HeartBaseline.measure(beats(intervals))
        XCTAssertEqual(baseline?.restingHeartRateBPM ?? 0, 60000 / 1020, accuracy: 1e-9)
        XCTAssertEqual(baseline?.restingRMSSDMs ?? 0, 40, accuracy: 1e-9)
        XCTAssertNil(HeartBaseline.measure(beats([nil, 1000, 1000])), "too short to calibrate")
    }
}

final class LiveHeartTests: XCTestCase {
    private func line(_ fields: [String], at hostTime: Double) -> SensorEvent {
        var parser = LineParser()
        let text = LineParser.empathyLine(fields)
        return .line(SensorLine(hostTimeSeconds: hostTime, text: text, verdict: parser.parse(Array(text.utf8))))
    }

    func testLiveBeatTimesFollowASlowBoardClockForTenMinutes() {
        var heart = LiveHeart()
        heart.consume(.connected(path: "p", firmware: "empathy-pulse/1.0.0", format: .empathy, gapSeconds: nil, hostTimeSeconds: 0))
        var state: UInt64 = 99  // fixed pseudo-random arrival delays, 5–25 ms (LCG)
        var worstMs = 0.0
        for i in 1...750 {  // 80 BPM for 9.4 min; the board clock runs 0.5 % slow
            let deviceMs = 400 + i * 750
            let trueHost = Double(deviceMs) / 1000 * 1.005
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let arrival = trueHost + 0.005 + 0.020 * Double(state >> 11) / Double(1 << 53)
            heart.consume(line(["B", "\(deviceMs)", "750", "800", "200"], at: arrival))
            if i > 10 { worstMs = max(worstMs, abs((heart.beats.last?.timeSeconds ?? 0) - (trueHost + 0.005)) * 1000) }
        }
        print("LiveHeart: drifting clock, worst beat error \(String(format: "%.1f", worstMs)) ms")
        // A plain running minimum would lag the host by 0.5 % × 560 s = 2.8 s by now.
        XCTAssertLessThan(worstMs, 15, "worst live beat time error, ms")
        let last = heart.beats.last?.timeSeconds ?? 0
        XCTAssertEqual(heart.heartRateBPM(at: last) ?? 0, 80, accuracy: 0.01)
        XCTAssertEqual(heart.beatPhase(at: last + 0.375) ?? -1, 0.5, accuracy: 0.02, "predicted half-way to the next beat")
        // A frame captured before the last beat arrived is phased between the beats around it, so its
        // burst is not lost: half-way between the last two beats, and just before the last one.
        let previous = heart.beats[heart.beats.count - 2].timeSeconds
        XCTAssertEqual(heart.beatPhase(at: (previous + last) / 2) ?? -1, 0.5, accuracy: 1e-9)
        XCTAssertGreaterThan(heart.beatPhase(at: last - 0.001) ?? -1, 0.99)
        XCTAssertEqual(heart.beatPhase(at: last) ?? -1, 0, accuracy: 1e-9, "the beat's own instant starts the next cycle")
        heart.consume(.disconnected(path: "p", reason: "gone", hostTimeSeconds: last + 1))
        XCTAssertNil(heart.beatPhase(at: last + 1.1), "no phase while disconnected")
    }
}
