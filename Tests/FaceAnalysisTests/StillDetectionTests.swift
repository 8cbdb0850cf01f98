import EmpathyCore
import FaceAnalysis
import Foundation
import Fusion
import ImageSequence
import Pipeline
import XCTest

/// Stills are detected as dlib's own pipeline does it: the grey picture
/// upsampled once, HOG on that, boxes mapped back, then the 68-point
/// predictor on the original. `Reference/dlib_reference.cpp --upsample` is
/// that pipeline, so boxes and landmarks must be equal (tolerance 0 px: the
/// same model on the same box gives the same points).
final class StillDetectionTests: XCTestCase {
    /// A still of `size`, mid-grey, with expression frame 25 (the smile,
    /// 480×480) scaled by `scale` at (x, y), made by ffmpeg.
    func makeStill(_ folder: String, width: Int, height: Int, scale: Double, x: Int, y: Int) throws -> String {
        let frame = folder + "/frame.png"
        if !FileManager.default.fileExists(atPath: frame) { try PNGCodec.write(try expressionFrame(25), to: frame) }
        let side = Int((480 * scale).rounded())
        let path = folder + "/still-\(width)x\(height).png"
        let run = try runCommand("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", frame, "-vf",
                                                     "scale=\(side):\(side):flags=bicubic,pad=\(width):\(height):\(x):\(y):color=gray",
                                                     "-frames:v", "1", path])
        XCTAssertEqual(run.status, 0, run.standardError)
        return path
    }

    /// The still analysed by `empathy analyze`'s job: its one row and landmarks.
    func analyse(_ path: String) throws -> (row: EmotionTrackRow, points: [SIMD2<Double>]) {
        let track = path + ".track.csv"
        _ = try AnalyzeJob(inputPath: path, trackPath: track).run()
        let row = try XCTUnwrap(try EmotionTrackFile.read(path: track).first)
        let points = try XCTUnwrap(try EmotionTrackFile.readLandmarks(path: EmotionTrackFile.landmarksPath(forTrack: track))[0],
                                   "\(path): no face")
        return (row, points)
    }

    func testStillsFrom200pxTo4460pxGiveDlibsOwnBoxAndLandmarks() throws {
        let folder = try makeTemporaryFolder(self)
        let reference = try dlibReferenceProgram()
        // 200 px: a 80-px face, found only thanks to the upsample; 1280: the whole
        // pyramid; 2048 and 4460: the scan starts at pyramid levels 4 and 9.
        let stills = [
            try makeStill(folder, width: 200, height: 200, scale: 200.0 / 480, x: 0, y: 0),
            try makeStill(folder, width: 1280, height: 853, scale: 1.2, x: 500, y: 200),
            try makeStill(folder, width: 2048, height: 1365, scale: 2, x: 900, y: 300),
            try makeStill(folder, width: 4460, height: 2974, scale: 3, x: 1700, y: 900),
        ]
        for still in stills {
            let run = try runCommand(reference, ["--upsample", LandmarkPredictor.defaultModelPath, still])
            XCTAssertEqual(run.status, 0, run.standardError)
            let expected = parseReference(run.standardOutput)
            XCTAssertEqual(expected.count, 1, "\(still): dlib finds one face")
            guard let face = expected.first else { continue }
            let (row, points) = try analyse(still)
            XCTAssertEqual(row.box.map { [$0.left, $0.top, $0.right, $0.bottom] },
                           [face.box.left, face.box.top, face.box.right, face.box.bottom], still)
            let iod = Landmark68.interOcularDistance(face.points)
            var worst = (index: -1, iod: 0.0)
            for (i, (a, b)) in zip(points, face.points).enumerated() {
                let d = ((a - b) * (a - b)).sum().squareRoot() / iod
                if d > worst.iod { worst = (i, d) }
            }
            XCTAssertEqual(points.count, 68)
            XCTAssertEqual(worst.iod, 0, accuracy: 1e-9, "\(still): worst landmark \(worst.index) is \(100 * worst.iod) % IOD from dlib's")
            XCTAssertEqual(row.estimate.top, .happiness, "\(still): \(row.categories)")
        }
    }

    func testAn8KStillIsReadWithoutRefusingItsScale() throws {
        // dlib's own pipeline would take ~13 s and 1.2 GB here; the shim scans
        // from pyramid level 12 (faces from ~320 px) in about 1.5 s.
        let folder = try makeTemporaryFolder(self)
        let still = try makeStill(folder, width: 7680, height: 4320, scale: 5, x: 3000, y: 1000)
        let (row, points) = try analyse(still)
        XCTAssertTrue(row.faceFound)
        XCTAssertEqual(row.estimate.top, .happiness, "\(row.categories)")
        // The landmarks are the 480-px frame's, scaled by 5 and moved, up to
        // what 5× the detail changes (whole-pixel points at 480 px are 5 px
        // steps here): median within 1.5 % IOD, every point within 5 %.
        let small = try analyse(try makeStill(folder, width: 480, height: 480, scale: 1, x: 0, y: 0)).points
        let iod = Landmark68.interOcularDistance(points)
        let errors = zip(points, small).map { a, b -> Double in
            let expected = b * 5 + SIMD2(3000, 1000)
            return ((a - expected) * (a - expected)).sum().squareRoot() / iod
        }.sorted()
        XCTAssertEqual(errors.count, 68)
        XCTAssertLessThan(errors[34], 0.015, "median landmark \(100 * errors[34]) % IOD from the scaled 480-px still's")
        XCTAssertLessThan(errors.last ?? 1, 0.05, "worst landmark \(100 * (errors.last ?? 1)) % IOD from the scaled 480-px still's")
    }
}
