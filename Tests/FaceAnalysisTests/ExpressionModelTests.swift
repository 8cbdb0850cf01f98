import EmpathyCore
import FaceAnalysis
import Footage
import Foundation
import XCTest

/// The appearance model as OpenCV's DNN module runs it, against an
/// independent numpy forward pass of the same weights
/// (scripts/models/expression_reference.py reads the Keras HDF5 the ONNX file
/// was converted from), on real face crops; and the model's error lines.
final class ExpressionModelTests: XCTestCase {
    /// OpenCV computes in float32, the reference in float64: probabilities
    /// agree to about 5e-7; the tolerance leaves room for other BLAS builds.
    static let tolerance = 1e-5

    func testOpenCVMatchesTheNumpyReferenceOnRealFaceCrops() throws {
        let model = try expressionModel()
        let landmarkModel = try predictor()
        let tracker = FaceTracker(detector: try FaceDetector(), predictor: landmarkModel)
        let folder = try makeTemporaryFolder(self)
        var inputs: [Float] = []
        var outputs: [[Double]] = []
        for (path, frames) in [(expressionClipPath, [0, 25, 60, 93]), (demoClipPath, [0, 48, 90])] {
            let source = try VideoSource(path: path)
            for index in frames {
                try source.seek(toFrameIndex: index)
                tracker.reset()
                guard let frame = try source.nextFrame(), let face = try tracker.update(frame: frame, intervalSeconds: 1.0 / 24).first else {
                    return XCTFail("\(path) frame \(index): no face")
                }
                var input = [Float](repeating: 0, count: 64 * 64)
                let p = try input.withUnsafeMutableBufferPointer {
                    try model.probabilities(in: frame, landmarks: face.landmarks, meanShape: landmarkModel.meanShape, input: $0.baseAddress)
                }
                XCTAssert(input.allSatisfy { $0 >= -1 && $0 <= 1 }, "inputs are scaled to [-1, 1]")
                XCTAssertEqual(try model.probabilities(input: input), p, "the crop path and the input path run the same net")
                inputs += input
                outputs.append(p)
            }
        }
        let inputPath = folder + "/crops.f32"
        try inputs.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: inputPath)) }
        let run = try runCommand(systemPython, [repositoryPath("scripts/models/expression_reference.py"),
                                                repositoryPath("models/.cache/emotion_model.hdf5"), inputPath, String(outputs.count)])
        XCTAssertEqual(run.status, 0, run.standardError)
        let reference = run.standardOutput.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
        XCTAssertEqual(reference.count, outputs.count)
        var worst = (crop: -1, difference: 0.0)
        for (n, (ours, theirs)) in zip(outputs, reference).enumerated() {
            XCTAssertEqual(theirs.count, 7)
            // The reference prints the model's own order; ours is EmotionCategory order.
            for (i, category) in ExpressionModel.outputOrder.enumerated() where i < theirs.count {
                let d = abs(ours[category.index] - theirs[i])
                if d > worst.difference { worst = (n, d) }
            }
        }
        XCTAssertLessThanOrEqual(worst.difference, Self.tolerance, "worst: crop \(worst.crop), difference \(worst.difference)")
    }

    /// Where the crop lands: on a horizontal grey ramp, with landmarks that
    /// are the mean shape scaled by 200 px and moved to (220, 140), the crop
    /// is the square of side 1.06 · 200 centred on (220, 140) + 200 · (0.494,
    /// 0.424); input pixel u must hold the ramp at that square's column u.
    /// The ramp climbs 1.1 codes a pixel across the crop, so a crop placed a
    /// pixel off by the shim (a half-pixel slip in its affine already fails)
    /// misses by more than the tolerance, 0.9 codes: the ramp's own rounding
    /// (0.5) and the resampling.
    func testCropSamplesTheSquareTheLandmarksPlace() throws {
        let model = try expressionModel()
        let mean = try predictor().meanShape
        var frame = RGBAImage(width: 640, height: 480)
        func ramp(_ x: Double) -> Double { min(max((x - 205) * 1.1, 0), 255) }  // grey at pixel index x
        for y in 0..<480 {
            for x in 0..<640 {
                let g = UInt8(ramp(Double(x)).rounded())
                let o = frame.offset(x: x, y: y)
                frame.pixels[o] = g; frame.pixels[o + 1] = g; frame.pixels[o + 2] = g
            }
        }
        let landmarks = mean.map { $0 * 200 + SIMD2(220, 140) }
        var input = [Float](repeating: 0, count: 64 * 64)
        _ = try input.withUnsafeMutableBufferPointer {
            try model.probabilities(in: frame, landmarks: landmarks, meanShape: mean, input: $0.baseAddress)
        }
        let centreX = 220 + 200 * ExpressionModel.cropCentre.x, side = 200 * ExpressionModel.cropSide
        var worst = 0.0
        for v in stride(from: 0, to: 64, by: 7) {
            for u in 0..<64 {
                let x = centreX + (Double(u) + 0.5 - 32) * side / 64 - 0.5  // pixel-index coordinate
                let expected = ramp(x) / 255 * 2 - 1
                worst = max(worst, abs(Double(input[v * 64 + u]) - expected))
            }
        }
        XCTAssertLessThan(worst, 0.9 / 255 * 2, "worst input value \(worst * 255 / 2) codes from the ramp")
    }

    func testCropFollowsTheFaceThroughARotation() throws {
        let model = try expressionModel()
        let landmarkModel = try predictor()
        let frame = try expressionFrame(93)  // the frown, held
        let face = try XCTUnwrap(try FaceTracker(detector: try FaceDetector(), predictor: landmarkModel)
            .update(frame: frame, intervalSeconds: 1.0 / 24).first)
        let upright = try model.probabilities(in: frame, landmarks: face.landmarks, meanShape: landmarkModel.meanShape)
        // The same face turned 15° about the frame's centre: the crop turns with it.
        let angle = 15.0 * .pi / 180
        let centre = SIMD2(Double(frame.width) / 2, Double(frame.height) / 2)
        let turned = rotated(frame, by: angle)
        let points = face.landmarks.map { p -> SIMD2<Double> in
            let d = p - centre
            return centre + SIMD2(cos(angle) * d.x - sin(angle) * d.y, sin(angle) * d.x + cos(angle) * d.y)
        }
        let crop = ExpressionModel.crop(landmarks: points, meanShape: landmarkModel.meanShape)
        XCTAssertEqual(crop.angle - ExpressionModel.crop(landmarks: face.landmarks, meanShape: landmarkModel.meanShape).angle,
                       angle, accuracy: 1e-9)
        let tilted = try model.probabilities(in: turned, landmarks: points, meanShape: landmarkModel.meanShape)
        let worst = zip(upright, tilted).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThan(worst, 0.1, "upright \(upright), turned \(tilted)")
        XCTAssertEqual(EmotionEstimate(scores: tilted).top, EmotionEstimate(scores: upright).top)
    }

    func testMissingShippedModelSaysToRunMakeModels() {
        let path = "/nonexistent/models/\(ExpressionModel.defaultFileName)"
        XCTAssertThrowsError(try ExpressionModel(path: path)) { error in
            let text = "\(error)"
            XCTAssert(text.contains(path) && text.contains("No such file") && text.contains("make models"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    func testFileThatIsNotAnONNXModelIsOneClearLine() throws {
        let path = try makeTemporaryFolder(self) + "/not-a-model.onnx"
        try Data("this is not a network".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ExpressionModel(path: path)) { error in
            let text = "\(error)"
            XCTAssert(text.contains(path) && text.contains("not an ONNX model"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
        let folder = try makeTemporaryFolder(self)
        XCTAssertThrowsError(try ExpressionModel(path: folder)) { error in
            XCTAssert("\(error)".contains("is a folder"), "\(error)")
        }
    }

    func testModelWithTheWrongInputShapeIsOneClearLine() throws {
        // A 48×48 classifier.
        let path = try makeDenseONNX(side: 48, outputs: 7)
        XCTAssertThrowsError(try ExpressionModel(path: path)) { error in
            let text = "\(error)"
            XCTAssert(text.contains(path) && text.contains("1x1x64x64"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    func testModelWithTheWrongNumberOfScoresIsOneClearLine() throws {
        let path = try makeDenseONNX(side: 64, outputs: 5)
        XCTAssertThrowsError(try ExpressionModel(path: path)) { error in
            let text = "\(error)"
            XCTAssert(text.contains(path) && text.contains("gives 5 scores"), text)
        }
    }

    func testLogitOutputsAreTurnedIntoProbabilities() throws {
        // Same contract, no softmax: the reader applies one. Column i of the
        // weights is i / 4096, so an all-ones input gives logit i.
        let path = try makeDenseONNX(side: 64, outputs: 7, weights: "np.tile(np.arange(7, dtype=np.float32), (64 * 64, 1)) / 4096",
                                     softmax: false)
        let model = try ExpressionModel(path: path)
        // All-ones input: logit i is i, so the probabilities are softmax(0…6) in the model's order.
        let p = try model.probabilities(input: [Float](repeating: 1, count: 64 * 64))
        let e = (0..<7).map { exp(Double($0) - 6) }
        let total = e.reduce(0, +)
        for (i, category) in ExpressionModel.outputOrder.enumerated() {
            XCTAssertEqual(p[category.index], e[i] / total, accuracy: 1e-5, "\(category)")
        }
    }

    /// Writes a one-layer ONNX classifier with Debian's python3-onnx: a
    /// 1×1×side×side input, flattened, times `weights` (side² × outputs; a
    /// numpy expression), then a softmax unless `softmax` is false.
    func makeDenseONNX(side: Int, outputs: Int, weights: String? = nil, softmax: Bool = true) throws -> String {
        let folder = try makeTemporaryFolder(self)
        let path = folder + "/model.onnx"
        let script = """
            import sys
            import numpy as np
            from onnx import TensorProto, helper, numpy_helper, save
            side, outputs, softmax = \(side), \(outputs), \(softmax ? "True" : "False")
            w = \(weights ?? "np.ones((side * side, outputs), np.float32) / (side * side)")
            nodes = [helper.make_node('Flatten', ['input'], ['f'], axis=1),
                     helper.make_node('MatMul', ['f', 'w'], ['m' if softmax else 'scores'])]
            if softmax:
                nodes.append(helper.make_node('Softmax', ['m'], ['scores'], axis=1))
            graph = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 1, side, side])],
                                      [helper.make_tensor_value_info('scores', TensorProto.FLOAT, [1, outputs])],
                                      [numpy_helper.from_array(w.astype(np.float32), 'w')])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11)])
            model.ir_version = 6
            save(model, sys.argv[1])
            """
        let scriptPath = folder + "/make.py"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let run = try runCommand(systemPython, [scriptPath, path])
        XCTAssertEqual(run.status, 0, run.standardError)
        return path
    }
}

/// `image` turned by `angle` (radians, clockwise on screen) about its centre; bilinear, black outside.
func rotated(_ image: RGBAImage, by angle: Double) -> RGBAImage {
    var out = RGBAImage(width: image.width, height: image.height)
    let cx = Double(image.width) / 2, cy = Double(image.height) / 2
    let c = cos(angle), s = sin(angle)
    for y in 0..<image.height {
        for x in 0..<image.width {
            // Inverse rotation of the output pixel centre.
            let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
            let sx = c * dx + s * dy + cx - 0.5, sy = -s * dx + c * dy + cy - 0.5
            let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
            guard x0 >= 0, y0 >= 0, x0 + 1 < image.width, y0 + 1 < image.height else { continue }
            let fx = sx - Double(x0), fy = sy - Double(y0)
            let o = out.offset(x: x, y: y)
            for k in 0..<4 {
                func at(_ xx: Int, _ yy: Int) -> Double { Double(image.pixels[image.offset(x: xx, y: yy) + k]) }
                let v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1))
                out.pixels[o + k] = UInt8(max(0, min(255, v.rounded())))
            }
        }
    }
    return out
}
