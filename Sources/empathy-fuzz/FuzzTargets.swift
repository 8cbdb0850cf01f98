import Biometrics
import Effects
import EmpathyCore
import FaceAnalysis
import Foundation
import Fusion
import Grading
import ImageSequence

/// Every parser that reads a user's bytes, as a libFuzzer target: the bytes
/// go in as the file or line would, and the parser must return or throw —
/// never trap, hang or grow without bound. Where a parse succeeds, a
/// round trip or invariant is checked too, and a broken one traps on
/// purpose so libFuzzer keeps the input.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "cube", summary: ".cube LUT files (CubeFile.parse)") { bytes in
            guard let lut = try? CubeFile.parse(bytes, path: "fuzz.cube") else { return }
            // A file that parses writes out and parses back to the same tables.
            let again = try? CubeFile.parse(Array(CubeFile.serialize(lut).utf8), path: "again.cube")
            require(again?.cube?.size == lut.cube?.size && again?.shaper?.size == lut.shaper?.size, "cube round trip")
        },
        FuzzTarget(name: "sensor-lines", summary: "firmware line protocol and PulseSensor formats, byte by byte") { bytes in
            var framer = LineFramer()
            var parser = LineParser()
            for byte in bytes {
                for piece in framer.append(CollectionOfOne(byte)) {
                    if case .line(let line) = piece { _ = parser.parse(line) }
                }
            }
        },
        FuzzTarget(name: "session", summary: "recorded sensor sessions (SensorSession.parse)") { bytes in
            _ = try? SensorSession.parse(text(bytes), path: "fuzz.session.csv")
        },
        FuzzTarget(name: "track", summary: "emotion tracks (EmotionTrackFile.decode)") { bytes in
            guard let rows = try? EmotionTrackFile.decode(text(bytes), path: "fuzz.track.csv") else { return }
            let again = try? EmotionTrackFile.decode(EmotionTrackFile.encode(rows), path: "again.track.csv")
            require(again?.count == rows.count, "track round trip")
            // The renderer's view of it, as `render --track` builds it.
            if let timeline = try? TrackTimeline(rows: rows, path: "fuzz.track.csv", width: 1920, height: 1080) {
                _ = timeline.state(at: rows.count / 2)
            }
        },
        FuzzTarget(name: "landmarks", summary: "landmark sidecars (EmotionTrackFile.decodeLandmarks)") { bytes in
            _ = try? EmotionTrackFile.decodeLandmarks(text(bytes), path: "fuzz.landmarks.csv")
        },
        FuzzTarget(name: "profile", summary: "calibration profiles (NeutralProfile.decode)") { bytes in
            guard let profile = try? NeutralProfile.decode(Data(bytes), path: "fuzz.json") else { return }
            _ = try? profile.expressionFeatures(path: "fuzz.json")
        },
        FuzzTarget(name: "look", summary: "looks JSON (Look.parse)") { bytes in
            _ = try? Look.parse(Data(bytes), path: "fuzz.json", shadersDirectory: nil)
        },
        FuzzTarget(name: "isf", summary: "ISF shader headers and sources (ISFShader.parse)") { bytes in
            _ = try? ISFShader.parse(text(bytes), path: "fuzz.fs")
        },
        FuzzTarget(name: "frames", summary: "--frames expressions (FrameSpec(parsing:))") { bytes in
            guard let spec = FrameSpec(parsing: text(bytes)) else { return }
            require(FrameSpec(parsing: spec.description) == spec, "frame expression round trip")
            require(spec.frames(inClipOf: 50).allSatisfy { (1...50).contains($0) }, "frames inside the clip")
            _ = spec.frames(inClipOf: Int(bytes.first ?? 0))
        },
        FuzzTarget(name: "sequence", summary: "frame-name patterns (SequenceNaming(pattern:))") { bytes in
            guard let naming = try? SequenceNaming(pattern: text(bytes)) else { return }
            for number in [0, 1, 9999, Int(Int32.max)] { _ = naming.fileName(number: number) }
        },
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// The target `main` chose; set once before libFuzzer starts.
nonisolated(unsafe) var selected: FuzzTarget?

/// libFuzzer's entry: one input to the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected?.run(bytes)
    return 0
}

/// Bytes as a file's text: invalid UTF-8 becomes U+FFFD, as the readers see it.
private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A broken invariant: trap, so libFuzzer records the input as a crash.
private func require(_ condition: Bool, _ what: String) {
    if !condition { fatalError("invariant broken: \(what)") }
}
