import Biometrics
import EmpathyCore
import FaceAnalysis
import Foundation
@testable import Fusion
import XCTest

/// A 60 s session at 75 BPM: intervals alternate 780/820 ms, so the mean is
/// 800 ms (75 BPM) and every successive difference is 40 ms (RMSSD 40 ms).
enum SyntheticSession {
    static func text(offsetSeconds: Double = 0) -> String {
        var lines = [SessionFormat.magic, "# started_utc=2026-11-21T06:00:00.000Z", "# source=synthetic",
                     "# footage_offset_s=\(offsetSeconds)", SessionFormat.header,
                     "0.000000,connected,,,,,,/dev/ttyACM0"]
        var t = 0.5
        var k = 0
        while t < 60 {
            let interval = k == 0 ? 0 : (k % 2 == 0 ? 780 : 820)
            let ms = Int((t * 1000).rounded())
            lines.append(String(format: "%.6f,beat,%d,%d,%@,,200,", t, ms, interval, interval > 0 ? String(format: "%.1f", 60000.0 / Double(interval)) : ""))
            k += 1
            t += Double(k % 2 == 0 ? 780 : 820) / 1000
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func write(to url: URL, offsetSeconds: Double = 0) throws {
        try text(offsetSeconds: offsetSeconds).write(to: url, atomically: true, encoding: .utf8)
    }
}

final class HeartFusionTests: XCTestCase {
    private func rows(count: Int, fps: Double = 24, arousal: Double) -> [EmotionTrackRow] {
        (0..<count).map { i in
            var row = EmotionTrackRow(frameIndex: i, timeSeconds: Double(i) / fps, faceFound: true)
            row.arousal = arousal
            return row
        }
    }

    func testRowsGetHeartRateRMSSDAndPhaseFromTheSession() throws {
        let session = try SensorSession.parse(SyntheticSession.text(), path: "synthetic.csv", offsetSeconds: 20)
        let fusion = HeartFusion(session: session, baseline: .population)
        let completed = fusion.complete(rows(count: 96, arousal: 0.2))
        var phases: [Double] = []
        for row in completed {
            XCTAssertEqual(try XCTUnwrap(row.heartRateBPM), 75, accuracy: 0.6, "frame \(row.frameIndex)")
            XCTAssertEqual(try XCTUnwrap(row.rmssdMs), 40, accuracy: 1, "frame \(row.frameIndex)")
            let phase = try XCTUnwrap(row.beatPhase)
            XCTAssertTrue((0...1).contains(phase), "phase \(phase)")
            phases.append(phase)
        }
        // About 5 beats in 4 s: the phase wraps (falls) that many times.
        let wraps = zip(phases, phases.dropFirst()).filter { $1 < $0 }.count
        XCTAssertTrue((4...6).contains(wraps), "\(wraps) beats in 4 s at 75 BPM")
    }

    func testFusedArousalFollowsTheDocumentedFormula() throws {
        let session = try SensorSession.parse(SyntheticSession.text(), path: "synthetic.csv", offsetSeconds: 20)
        let baseline = HeartBaseline(restingHeartRateBPM: 60, restingRMSSDMs: 50)
        let row = try XCTUnwrap(HeartFusion(session: session, baseline: baseline).complete(rows(count: 1, arousal: -0.4)).first)
        let hr = try XCTUnwrap(row.heartRateBPM), rmssd = try XCTUnwrap(row.rmssdMs)
        let k = (hr - 60) / (190 - 60), s = 1 - rmssd / 50
        let heart = min(max(3 * k - 0.5 + 0.5 * s, -1), 1)
        XCTAssertEqual(try XCTUnwrap(row.fusedArousal), (-0.4 + heart) / 2, accuracy: 1e-9)
        // A calmer baseline reads the same heart as more aroused.
        XCTAssertGreaterThan(HeartFusion.heartArousal(heartRateBPM: 75, rmssdMs: 40, baseline: baseline),
                             HeartFusion.heartArousal(heartRateBPM: 75, rmssdMs: 40, baseline: .population))
    }

    func testFramesOutsideTheSessionKeepTheFaceArousal() throws {
        // Footage starts 100 s into a 60 s session: no heart data at all.
        let session = try SensorSession.parse(SyntheticSession.text(), path: "synthetic.csv", offsetSeconds: 100)
        let completed = HeartFusion(session: session, baseline: .population).complete(rows(count: 10, arousal: 0.3))
        for row in completed {
            XCTAssertNil(row.heartRateBPM)
            XCTAssertNil(row.beatPhase)
            XCTAssertEqual(row.fusedArousal, 0.3)
        }
        XCTAssertEqual(HeartFusion.coveredFrames(completed), 0)
    }

    func testBaselineComesFromTheProfileWhenItHasOne() {
        var profile = NeutralProfile(name: "a", features: ExpressionFeatures(values: Array(repeating: 0, count: ExpressionFeatures.names.count)),
                                     frameCount: 10, source: "x")
        XCTAssertEqual(HeartFusion.baseline(from: profile), HeartBaseline.population)
        profile.restingHeartRateBPM = 58
        profile.restingRMSSDMs = 61
        XCTAssertEqual(HeartFusion.baseline(from: profile).restingHeartRateBPM, 58)
        XCTAssertEqual(HeartFusion.baseline(from: profile).restingRMSSDMs, 61)
    }
}
