import EmpathyCore
import FaceAnalysis
import Foundation
import Fusion
import TestSupport
import XCTest

/// `empathy analyze --sensor` and `empathy calibrate --sensor`, run as the
/// real executable on the demo clip.
final class AnalyzeWithSensorTests: XCTestCase {
    static var root: URL { EmpathyCommand.repositoryRoot }
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-fusion-\(UUID())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tmp)
    }

    private func empathy(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let run = try EmpathyCommand.run(arguments)
        XCTAssertFalse(run.timedOut, "empathy \(arguments) hung")
        return (run.status, run.standardOutput, run.standardError)
    }

    private var demo: String { Self.root.appendingPathComponent("footage/demo/astronaut.mp4").path }

    func testAnalyzeFillsTheHeartColumns() throws {
        let session = tmp.appendingPathComponent("take.csv")
        try SyntheticSession.write(to: session)
        let track = tmp.appendingPathComponent("demo.csv")
        let run = try empathy(["analyze", demo, "--out", track.path, "--sensor", session.path, "--sensor-offset", "20", "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("heart: "), run.stdout)
        let rows = try EmotionTrackFile.read(path: track.path)
        XCTAssertEqual(rows.count, 96)
        for row in rows {
            XCTAssertEqual(try XCTUnwrap(row.heartRateBPM, "frame \(row.frameIndex)"), 75, accuracy: 0.6)
            XCTAssertEqual(try XCTUnwrap(row.rmssdMs), 40, accuracy: 1)
            XCTAssertNotNil(row.beatPhase)
            XCTAssertNotNil(row.fusedArousal)
        }
        try checkKeyLandmarks(track: track.path)
    }

    /// The timeline a render reads from the track carries the key landmarks
    /// from the sidecar analyze wrote beside it, where a face is: eyes level
    /// and apart (the performer's left on the picture's right), the nose
    /// below them, the mouth below the nose, all inside the face box.
    private func checkKeyLandmarks(track: String) throws {
        let timeline = try TrackTimeline.read(path: track, width: 640, height: 360)
        for frame in [0, 40, 95] {
            let s = timeline.state(at: frame)
            let box = try XCTUnwrap(s.faceBox, "frame \(frame)")
            let left = try XCTUnwrap(s.leftEye), right = try XCTUnwrap(s.rightEye)
            let nose = try XCTUnwrap(s.noseTip), mouth = try XCTUnwrap(s.mouthCenter)
            XCTAssertGreaterThan(left.x - right.x, box.width * 0.25, "frame \(frame): eyes \(left) \(right)")
            XCTAssertLessThan(abs(left.y - right.y), box.height * 0.1, "frame \(frame): eyes level")
            XCTAssertGreaterThan(nose.y, max(left.y, right.y), "frame \(frame): nose below the eyes")
            XCTAssertGreaterThan(mouth.y, nose.y, "frame \(frame): mouth below the nose")
            for p in [left, right, nose, mouth] {
                XCTAssert(p.x > box.x && p.x < box.x + box.width && p.y > box.y && p.y < box.y + box.height,
                          "frame \(frame): \(p) outside the face box \(box)")
            }
        }
        // A sidecar from another analysis (here: missing its last frames) is
        // refused, naming both files.
        let sidecar = EmotionTrackFile.landmarksPath(forTrack: track)
        let lines = try String(contentsOfFile: sidecar, encoding: .utf8).split(separator: "\n")
        try (lines.dropLast(5).joined(separator: "\n") + "\n").write(toFile: sidecar, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrackTimeline.read(path: track, width: 640, height: 360)) { error in
            XCTAssert("\(error)".contains("does not match the track"), "\(error)")
            XCTAssert("\(error)".contains("landmarks.csv"), "\(error)")
        }
        // Without the sidecar the track still reads; the landmarks are absent.
        try FileManager.default.removeItem(atPath: sidecar)
        let bare = try TrackTimeline.read(path: track, width: 640, height: 360)
        XCTAssertNotNil(bare.state(at: 0).faceBox)
        XCTAssertNil(bare.state(at: 0).leftEye)
    }

    func testAnalyzeRejectsABadSessionBeforeAnalysing() throws {
        let bad = tmp.appendingPathComponent("notes.csv")
        try "shopping list\n".write(to: bad, atomically: true, encoding: .utf8)
        let track = tmp.appendingPathComponent("demo.csv")
        let run = try empathy(["analyze", demo, "--out", track.path, "--sensor", bad.path, "--quiet"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains(bad.path) && run.stderr.contains("line 1"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: track.path))
        let offsetAlone = try empathy(["analyze", demo, "--out", track.path, "--sensor-offset", "3"])
        XCTAssertEqual(offsetAlone.status, 64, offsetAlone.stderr)
    }

    func testCalibrateStoresRestingHeartValues() throws {
        let session = tmp.appendingPathComponent("rest.csv")
        try SyntheticSession.write(to: session)
        let profilePath = tmp.appendingPathComponent("ana.json")
        let run = try empathy(["calibrate", demo, "--name", "ana", "--out", profilePath.path, "--sensor", session.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let profile = try NeutralProfile.read(path: profilePath.path)
        XCTAssertEqual(try XCTUnwrap(profile.restingHeartRateBPM), 75, accuracy: 0.6)
        XCTAssertEqual(try XCTUnwrap(profile.restingRMSSDMs), 40, accuracy: 1)
        XCTAssertTrue(run.stdout.contains("resting 75"), run.stdout)
    }
}
