import EmpathyCore
import FaceAnalysis
import Footage
import ImageSequence
import XCTest

/// Frames of the expression clip, decoded once.
let sharedExpressionFrames: Result<[RGBAImage], Error> = Result {
    let source = try VideoSource(path: expressionClipPath)
    var frames: [RGBAImage] = []
    while let frame = try source.nextFrame() { frames.append(frame) }
    return frames
}

func expressionFrame(_ index: Int) throws -> RGBAImage { try sharedExpressionFrames.get()[index] }

/// `image` shifted right by `dx` pixels (black comes in from the left), optionally scaled (nearest) by `scale`.
func shifted(_ image: RGBAImage, dx: Int) -> RGBAImage {
    var out = RGBAImage(width: image.width, height: image.height)
    for y in 0..<image.height {
        for x in 0..<image.width where x - dx >= 0 && x - dx < image.width {
            let s = image.offset(x: x - dx, y: y), d = out.offset(x: x, y: y)
            for c in 0..<4 { out.pixels[d + c] = image.pixels[s + c] }
        }
    }
    return out
}

/// `left` and `right` (scaled by `rightScale`, nearest neighbour) side by side on one frame.
func sideBySide(_ left: RGBAImage, _ right: RGBAImage, rightScale: Double) -> RGBAImage {
    var out = RGBAImage(width: left.width * 2, height: left.height)
    for y in 0..<left.height {
        for x in 0..<left.width {
            let s = left.offset(x: x, y: y), d = out.offset(x: x, y: y)
            for c in 0..<4 { out.pixels[d + c] = left.pixels[s + c] }
            let sx = Int(Double(x) / rightScale), sy = Int(Double(y) / rightScale)
            if sx < right.width, sy < right.height {
                let s2 = right.offset(x: sx, y: sy), d2 = out.offset(x: left.width + x, y: y)
                for c in 0..<4 { out.pixels[d2 + c] = right.pixels[s2 + c] }
            }
        }
    }
    return out
}

final class TrackingTests: XCTestCase {
    func testBoxRefittedFromLandmarksMatchesTheDetectorsBox() throws {
        let detector = try FaceDetector()
        let model = try predictor()
        for index in [0, 25, 60, 95] {
            let frame = try expressionFrame(index)
            guard let box = try detector.detect(in: frame).first else { return XCTFail("no face in frame \(index)") }
            let points = try model.landmarks(in: frame, box: box)
            let refit = FaceTracker.box(fittedTo: points, meanShape: model.meanShape)
            // Tolerance: 0.8 overlap, centres within 6% of the box side.
            XCTAssertGreaterThan(refit.box.overlap(with: box), 0.8, "frame \(index): \(refit.box) vs \(box)")
            XCTAssertLessThan(distanceBetween(refit.box.centre, box.centre), 0.06 * Double(box.width), "frame \(index)")
            XCTAssertLessThan(refit.residualIOD, 0.25, "frame \(index)")
        }
    }

    func testCascadeBoxesAreConvertedToDlibsConvention() throws {
        let hog = try FaceDetector(kind: .hog)
        let cascade = try FaceDetector(kind: .cascade)
        var worst = 1.0
        for index in stride(from: 0, to: 120, by: 10) {
            let frame = try expressionFrame(index)
            guard let h = try hog.detect(in: frame).first, let c = try cascade.detect(in: frame).first else {
                return XCTFail("frame \(index): a detector found no face")
            }
            worst = min(worst, h.overlap(with: c))
        }
        // HOG's boxes come in pyramid steps of 6/5, so the same face confirmed on a
        // crop at another scale gets a box up to ~20% different in side: overlap ≥ 0.65.
        XCTAssertGreaterThan(worst, 0.65, "worst overlap of a cascade-proposed box with dlib's box")
    }

    func testConfirmationFindsTheFaceAndRejectsBackground() throws {
        let detector = try FaceDetector(kind: .cascade)
        let hog = try FaceDetector(kind: .hog)
        let frame = try expressionFrame(0)
        guard let face = try hog.detect(in: frame).first else { return XCTFail("no face") }
        // A proposal off by a fifth of the face is pulled onto the face.
        let nudged = FaceBox(left: face.left + face.width / 5, top: face.top - face.width / 5,
                             right: face.right + face.width / 5, bottom: face.bottom - face.width / 5)
        let confirmed = try XCTUnwrap(try detector.confirm(in: frame, proposal: nudged))
        XCTAssertGreaterThan(confirmed.overlap(with: face), 0.65, "\(confirmed) vs \(face)")
        // The background in the top-left corner is not a face.
        let background = FaceBox(left: 0, top: 0, right: 99, bottom: 99)
        XCTAssertNil(try detector.confirm(in: frame, proposal: background))
    }

    func testCascadeTrackingKeepsOneFaceThroughTheDemoClip() throws {
        var options = AnalysisOptions()
        options.tracker.detector = .cascade
        let analyzer = try FaceAnalyzer(detector: try FaceDetector(kind: .cascade), predictor: try predictor(), profile: nil, expressionModel: nil, options: options)
        let source = try VideoSource(path: demoClipPath)
        var index = 0, ids = Set<Int>(), found = 0
        while let frame = try source.nextFrame() {
            let result = try analyzer.analyze(frame: frame, frameIndex: index, timeSeconds: Double(index) / 24, intervalSeconds: 1.0 / 24)
            ids.formUnion(result.faces.map(\.id))
            if result.reading.faceFound { found += 1 }
            index += 1
        }
        XCTAssertEqual(ids, [1])
        XCTAssertEqual(found, index)
    }

    func testTinyFacesAreDroppedRatherThanTracked() throws {
        var options = AnalysisOptions()
        options.tracker.minFaceSidePixels = 400  // the clip's face box is ~180 px
        let analyzer = try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: nil, expressionModel: nil, options: options)
        for index in 0..<3 {
            let result = try analyzer.analyze(frame: try expressionFrame(index), frameIndex: index,
                                              timeSeconds: Double(index) / 24, intervalSeconds: 1.0 / 24)
            XCTAssertFalse(result.reading.faceFound)
            XCTAssertEqual(result.reading.estimate.top, .neutral)
        }
    }

    func testFaceLeavingTheFrameIsMarkedAndScoresRelaxToNeutral() throws {
        let analyzer = try FaceAnalyzer(detector: try FaceDetector(), predictor: try predictor(), profile: nil, expressionModel: try expressionModel())
        var frames: [RGBAImage] = Array(repeating: try expressionFrame(0), count: 12)  // neutral: the baseline
        let smile = try expressionFrame(25)
        frames += Array(repeating: smile, count: 8)
        frames += (1...10).map { shifted(smile, dx: $0 * 40) }  // slides out to the right
        frames += Array(repeating: RGBAImage(width: smile.width, height: smile.height), count: 24)
        var rows: [FaceReading] = []
        for (i, frame) in frames.enumerated() {
            rows.append(try analyzer.analyze(frame: frame, frameIndex: i, timeSeconds: Double(i) / 24, intervalSeconds: 1.0 / 24).reading)
        }
        XCTAssert(rows[12..<20].allSatisfy(\.faceFound))
        XCTAssertGreaterThan(rows[19].valence, 0.2, "smiling face before it leaves")
        XCTAssert(rows.suffix(24).allSatisfy { !$0.faceFound }, "blank frames must be marked face_found=0")
        guard let lost = rows.firstIndex(where: { $0.frameIndex > 12 && !$0.faceFound }) else { return XCTFail("face never lost") }
        for i in (lost + 1)..<rows.count {
            XCTAssertLessThanOrEqual(abs(rows[i].valence), abs(rows[i - 1].valence) + 1e-12, "valence must relax, frame \(i)")
            XCTAssertFalse(rows[i].faceFound, "frame \(i): a lost face stays lost on blank frames")
        }
        // Relaxing as exp(−t / 0.5 s) for a second or more: under a tenth of the smile's valence.
        XCTAssertLessThan(abs(rows.last!.valence), 0.1 * rows[19].valence)
        XCTAssertEqual(rows.last!.estimate.top, .neutral)
    }

    func testTwoFacesKeepDistinctStableIDsAndTheLargestIsThePerformer() throws {
        let model = try predictor()
        func frame(_ index: Int) throws -> RGBAImage {
            sideBySide(try expressionFrame(index), try expressionFrame(0), rightScale: 0.85)
        }
        // Which ID each side gets depends on detection order; find it from a first run.
        var sideOfID: [Int: Bool] = [:]  // ID -> is on the left
        for chosen in [nil, "right"] as [String?] {
            var options = AnalysisOptions()
            if chosen != nil { options.performerID = sideOfID.first { !$0.value }?.key }
            let analyzer = try FaceAnalyzer(detector: try FaceDetector(), predictor: model, profile: nil, expressionModel: nil, options: options)
            var performers = Set<Int?>()
            for index in stride(from: 0, to: 40, by: 2) {
                let image = try frame(index)
                let result = try analyzer.analyze(frame: image, frameIndex: index, timeSeconds: Double(index) / 24,
                                                  intervalSeconds: 2.0 / 24)
                XCTAssertEqual(result.faces.count, 2, "frame \(index)")
                for face in result.faces {
                    let isLeft = face.box.centre.x < Double(image.width / 2)
                    if let known = sideOfID[face.id] {
                        XCTAssertEqual(known, isLeft, "face \(face.id) changed sides at frame \(index)")
                    } else {
                        sideOfID[face.id] = isLeft
                    }
                }
                performers.insert(result.reading.faceID)
            }
            XCTAssertEqual(sideOfID.count, 2, "two faces, two IDs: \(sideOfID)")
            let expected = sideOfID.first { $0.value == (chosen == nil) }?.key
            XCTAssertEqual(performers, [expected], chosen == nil ? "largest face (left)" : "--face of the right face")
        }
    }
}

func distanceBetween(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
    let d = a - b
    return (d * d).sum().squareRoot()
}
