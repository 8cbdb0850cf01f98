import Biometrics
import EmpathyCore
import Effects
import FaceAnalysis
import Foundation
import Fusion
import Rendering
import XCTest

/// A heartbeat in the sensor session must burst particles on the first frame
/// at or after the beat — not a frame later — all the way from the session
/// through the track (HeartFusion), the timeline (TrackTimeline) and the
/// particle field to the rendered picture.
final class BeatBurstTests: XCTestCase {
    static let fps = 24.0
    static let width = 320, height = 180
    /// A face box centred on (160, 90): the bursts' origin.
    static let box = FaceBox(left: 130, top: 60, right: 189, bottom: 119)

    /// 96 frames with a face, completed from the synthetic 75 BPM session
    /// (beats at session times 0.5, 1.32, 2.1, …; footage time 0 is session time 20 s).
    func timeline() throws -> (TrackTimeline, SensorSession) {
        let session = try SensorSession.parse(SyntheticSession.text(), path: "synthetic.csv", offsetSeconds: 20)
        let rows = (0..<96).map { i -> EmotionTrackRow in
            var row = EmotionTrackRow(frameIndex: i, timeSeconds: Double(i) / Self.fps, faceFound: true, faceID: 1, box: Self.box)
            row.arousal = 0.5
            return row
        }
        let completed = HeartFusion(session: session, baseline: .population).complete(rows)
        return (try TrackTimeline(rows: completed, path: "track.csv", width: Self.width, height: Self.height), session)
    }

    /// The first frame at or after each of the session's beats inside the clip.
    func expectedBeatFrames(_ session: SensorSession) -> [Int] {
        session.beats.map { $0.timeSeconds - session.offsetSeconds }
            .filter { $0 > 0 && $0 < 95 / Self.fps }
            .map { Int(($0 * Self.fps - 1e-9).rounded(.up)) }
    }

    func testBurstsStartOnTheFirstFrameAtOrAfterEachBeat() throws {
        let (timeline, session) = try timeline()
        var field = ParticleField(timeline: timeline, seed: 7)
        field.ambientCount = 0
        let expected = expectedBeatFrames(session)
        XCTAssertGreaterThanOrEqual(expected.count, 4, "75 BPM over 4 s")
        XCTAssertEqual(field.beats(in: 0..<timeline.frameCount!).map(\.frame), expected, "beat frames")
        let origin = SIMD2<Float>(Float(Self.box.left + Self.box.right + 1) / 2 / Float(Self.width),
                                  1 - Float(Self.box.top + Self.box.bottom + 1) / 2 / Float(Self.height))
        // Newborn sparks (age 0) sit exactly on the face centre; older ones have moved.
        func newborn(_ frame: Int) -> Int {
            field.particles(at: frame, state: timeline.state(at: frame)).filter {
                let d = $0.position - origin
                return (d * d).sum() < 1e-10
            }.count
        }
        for f in expected {
            XCTAssertGreaterThanOrEqual(newborn(f), 20, "frame \(f): the beat's burst starts here")
            XCTAssertEqual(newborn(f - 1), 0, "frame \(f - 1): nothing is born before the beat")
            XCTAssertEqual(newborn(f + 1), 0, "frame \(f + 1): the burst has moved on (it was not born late)")
        }
    }

    func testTheRenderedBeatFrameLightsTheFaceCentreAndTheFrameBeforeDoesNot() throws {
        let (timeline, session) = try timeline()
        var field = ParticleField(timeline: timeline, seed: 7)
        field.ambientCount = 0
        let context = try RenderContext()
        let chain = try PassChain(context: context, passes: [try ParticlePass(context: context, field: field)])
        var black = RGBAImage(width: Self.width, height: Self.height)
        for i in stride(from: 3, to: black.pixels.count, by: 4) { black.pixels[i] = 255 }
        // Lit pixels within 3 px of the face centre (160, 90).
        func litAtCentre(_ frame: Int) throws -> Int {
            let out = try chain.render(black, inputs: FrameInputs(frameIndex: frame, framesPerSecond: Self.fps,
                                                                 state: timeline.state(at: frame))).topDown()
            var lit = 0
            for y in 87...93 {
                for x in 157...163 where out.pixels[out.offset(x: x, y: y)] > 16 || out.pixels[out.offset(x: x, y: y) + 2] > 16 { lit += 1 }
            }
            return lit
        }
        let beat = try XCTUnwrap(expectedBeatFrames(session).first)
        XCTAssertGreaterThan(try litAtCentre(beat), 10, "frame \(beat), the beat frame: the burst lights the face centre")
        XCTAssertEqual(try litAtCentre(beat - 1), 0, "frame \(beat - 1), before the beat: no spark at the face centre")
    }
}
