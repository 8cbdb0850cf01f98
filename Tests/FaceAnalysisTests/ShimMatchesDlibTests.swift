import EmpathyCore
import FaceAnalysis
import Footage
import ImageSequence
import XCTest

/// The shim must give exactly what dlib itself gives on the same pictures:
/// same boxes, same landmarks (dlib rounds points to whole pixels, so
/// "exactly" means tolerance 0 px).
final class ShimMatchesDlibTests: XCTestCase {
    func testDetectionAndLandmarksEqualDlibsOwnOnRealFrames() throws {
        let reference = try dlibReferenceProgram()
        let folder = try makeTemporaryFolder(self)
        let detector = try FaceDetector(kind: .hog)
        let model = try predictor()
        let source = try VideoSource(path: demoClipPath)
        var frames: [RGBAImage] = []
        for index in [0, 47, 95] {
            try source.seek(toFrameIndex: index)
            guard let frame = try source.nextFrame() else { return XCTFail("demo clip ended before frame \(index)") }
            frames.append(frame)
        }
        if FileManager.default.fileExists(atPath: expressionClipPath) {
            let clip = try VideoSource(path: expressionClipPath)
            try clip.seek(toFrameIndex: 40)
            if let frame = try clip.nextFrame() { frames.append(frame) }
        }
        var comparedPoints = 0
        for (n, frame) in frames.enumerated() {
            let png = "\(folder)/frame\(n).png"
            try PNGCodec.write(frame, to: png)
            let run = try runCommand(reference, [LandmarkPredictor.defaultModelPath, png])
            XCTAssertEqual(run.status, 0, run.standardError)
            let expected = parseReference(run.standardOutput)
            let boxes = try detector.detect(in: frame)
            XCTAssertEqual(expected.count, 1, "frame \(n): dlib should find exactly one face")
            XCTAssertEqual(boxes.map { [$0.left, $0.top, $0.right, $0.bottom] },
                           expected.map { [$0.box.left, $0.box.top, $0.box.right, $0.box.bottom] }, "frame \(n)")
            for face in expected {
                let points = try model.landmarks(in: frame, box: face.box)
                XCTAssertEqual(points.count, 68)
                var worst = (index: -1, distance: 0.0)
                for (i, (a, b)) in zip(points, face.points).enumerated() {
                    let d = ((a - b) * (a - b)).sum().squareRoot()
                    if d > worst.distance { worst = (i, d) }
                }
                comparedPoints += points.count
                XCTAssertEqual(worst.distance, 0, "frame \(n): worst landmark \(worst.index) is \(worst.distance) px from dlib's")
            }
        }
        XCTAssertGreaterThanOrEqual(comparedPoints, 3 * 68)
    }

    func testMeanShapeIsInsideTheUnitBox() throws {
        let model = try predictor()
        XCTAssertEqual(model.pointCount, 68)
        XCTAssertEqual(model.meanShape.count, 68)
        for p in model.meanShape {
            XCTAssert(p.x > -0.1 && p.x < 1.1 && p.y > -0.1 && p.y < 1.1, "mean-shape point \(p) outside the box")
        }
        // Point 36 (right eye, outer corner in the image's left half) lies left of point 45.
        XCTAssertLessThan(model.meanShape[36].x, model.meanShape[45].x)
    }

    func testUnreadableModelIsOneClearLine() {
        XCTAssertThrowsError(try LandmarkPredictor(modelPath: "/nonexistent/model.dat")) { error in
            let text = "\(error)"
            XCTAssert(text.contains("/nonexistent/model.dat") && text.contains("No such file"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID().uuidString).dat").path
        _ = FileManager.default.createFile(atPath: folder, contents: Data("not a model".utf8))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertThrowsError(try LandmarkPredictor(modelPath: folder)) { error in
            let text = "\(error)"
            XCTAssert(text.contains("not a dlib shape predictor"), text)
            XCTAssertFalse(text.contains("\n"))
        }
    }

    func testBadCascadeFileIsOneClearLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-cascade-\(UUID().uuidString).xml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("<nope/>".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try FaceDetector(kind: .cascade, cascadePath: path)) { error in
            XCTAssert("\(error)".contains("not an OpenCV cascade file"), "\(error)")
        }
    }

    func testFrameWithoutAFaceGivesNoBoxes() throws {
        let detector = try FaceDetector(kind: .hog)
        var blank = RGBAImage(width: 320, height: 240)
        for i in stride(from: 0, to: blank.pixels.count, by: 4) { blank.pixels[i] = UInt8(i / 4 % 251) }
        XCTAssertEqual(try detector.detect(in: blank), [])
    }
}

/// footage/expressions/astronaut-expressions.mp4 (made by footage/make-expressions.py).
let expressionClipPath = repositoryPath("footage/expressions/astronaut-expressions.mp4")
