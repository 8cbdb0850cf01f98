import EmpathyCore
import FaceAnalysis
import Foundation
@_exported import TestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The checkout's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func repositoryPath(_ relative: String) -> String {
    repositoryRoot.appendingPathComponent(relative).path
}

/// footage/demo/astronaut.mp4: 640x360, 24 fps, 96 frames, one face.
let demoClipPath = repositoryPath("footage/demo/astronaut.mp4")

/// The landmark model is loaded once (1.3–1.8 s) and shared by the tests.
let sharedPredictor: Result<LandmarkPredictor, Error> = Result { try LandmarkPredictor() }

func predictor() throws -> LandmarkPredictor { try sharedPredictor.get() }

/// A fresh folder under the system temporary folder, removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("face-tests-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// Builds Reference/dlib_reference.cpp (dlib's own detector and predictor)
/// once per source version, in the temporary folder.
func dlibReferenceProgram() throws -> String {
    let source = repositoryRoot.appendingPathComponent("Tests/FaceAnalysisTests/Reference/dlib_reference.cpp").path
    let text = try String(contentsOfFile: source, encoding: .utf8)
    var hash: UInt64 = 1469598103934665603
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
    let binary = FileManager.default.temporaryDirectory
        .appendingPathComponent("empathy-dlib-reference-\(String(hash, radix: 16))").path
    if FileManager.default.isExecutableFile(atPath: binary) { return binary }
    let partial = binary + ".\(getpid()).partial"
    let result = try runCommand("/bin/sh", ["-c",
        "c++ -std=c++17 -O2 '\(source)' -o '\(partial)' $(pkg-config --cflags --libs dlib-1) -lblas -llapack"])
    guard result.status == 0 else {
        throw EmpathyError.message("cannot build the dlib reference program: \(result.standardError)")
    }
    rename(partial, binary)
    return binary
}

/// Faces as dlib reports them: box and landmarks, from the reference program's output.
struct ReferenceFace {
    var box: FaceBox
    var points: [SIMD2<Double>]
}

func parseReference(_ text: String) -> [ReferenceFace] {
    var faces: [ReferenceFace] = []
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.first == "box", fields.count == 5 {
            let v = fields.dropFirst().compactMap { Int($0) }
            faces.append(ReferenceFace(box: FaceBox(left: v[0], top: v[1], right: v[2], bottom: v[3]), points: []))
        } else if fields.count == 2, let x = Double(fields[0]), let y = Double(fields[1]), !faces.isEmpty {
            faces[faces.count - 1].points.append(SIMD2(x, y))
        }
    }
    return faces
}

/// The shipped appearance model (models/expression-fer2013.onnx, built by
/// `make models`), loaded once.
let sharedExpressionModel: Result<ExpressionModel, Error> = Result { try ExpressionModel.shipped() }

func expressionModel() throws -> ExpressionModel { try sharedExpressionModel.get() }

/// The Debian system Python, which sees python3-numpy, -h5py and -onnx (a
/// Python earlier on PATH may not).
let systemPython = "/usr/bin/python3"
