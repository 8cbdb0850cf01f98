import Effects
import EmpathyCore
import Foundation
import ImageSequence
import XCTest

/// Golden images live in Tests/EffectsTests/Goldens/<name>.png.
///
/// To re-record after a deliberate change: `EMPATHY_RECORD_GOLDENS=1 swift
/// test --filter EffectsTests`. Recording writes the golden and FAILS the
/// test, so a changed golden never passes silently; run again without the
/// variable to check, and commit the PNGs.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    /// Compares `actual` with the golden within `tolerance` code values per
    /// channel; on failure writes the actual picture and a difference
    /// picture (|Δ| × 8) to a temp folder named in the message.
    static func assertMatches(_ actual: RGBAImage, name: String, tolerance: Int,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let url = directory.appendingPathComponent("\(name).png")
        let picture = actual.topDown()
        if ProcessInfo.processInfo.environment["EMPATHY_RECORD_GOLDENS"] == "1" {
            try PNGCodec.write(picture, to: url.path)
            XCTFail("recorded golden \(url.path); run again without EMPATHY_RECORD_GOLDENS to check it", file: file, line: line)
            return
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("no golden \(url.path); record it with EMPATHY_RECORD_GOLDENS=1", file: file, line: line)
            return
        }
        let expected = try PNGCodec.read(path: url.path).topDown()
        guard expected.width == picture.width, expected.height == picture.height else {
            XCTFail("\(name): size \(picture.width)x\(picture.height), golden \(expected.width)x\(expected.height)", file: file, line: line)
            return
        }
        let (worst, beyond, diff) = compare(picture, expected, tolerance: tolerance)
        if worst.delta > tolerance {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-golden-\(name)-\(getpid())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try PNGCodec.write(picture, to: folder.appendingPathComponent("actual.png").path)
            try PNGCodec.write(diff, to: folder.appendingPathComponent("diff.png").path)
            XCTFail("""
                \(name) differs from its golden beyond ±\(tolerance): worst pixel (\(worst.x), \(worst.y)) from the top, \
                channel \(["R", "G", "B", "A"][worst.channel]): expected \(worst.expected), got \(worst.actual); \
                \(beyond) pixels beyond tolerance; actual and diff PNGs in \(folder.path)
                """, file: file, line: line)
        }
    }

    typealias Worst = (delta: Int, x: Int, y: Int, channel: Int, expected: UInt8, actual: UInt8)

    /// Channel by channel: the worst difference (x, y from the top), the
    /// pixels differing by more than `tolerance`, and a difference picture
    /// (|Δ| × 8, opaque).
    static func compare(_ picture: RGBAImage, _ expected: RGBAImage, tolerance: Int)
        -> (worst: Worst, beyond: Int, diff: RGBAImage)
    {
        let picture = picture.topDown(), expected = expected.topDown()
        var worst: Worst = (0, 0, 0, 0, 0, 0)
        var diff = picture
        var beyond = 0
        for y in 0..<picture.height {
            for x in 0..<picture.width {
                let i = picture.offset(x: x, y: y)
                var pixelDelta = 0
                for c in 0..<4 {
                    let delta = abs(Int(picture.pixels[i + c]) - Int(expected.pixels[i + c]))
                    pixelDelta = max(pixelDelta, delta)
                    if delta > worst.delta { worst = (delta, x, y, c, expected.pixels[i + c], picture.pixels[i + c]) }
                    diff.pixels[i + c] = c == 3 ? 255 : UInt8(min(255, delta * 8))
                }
                if pixelDelta > tolerance { beyond += 1 }
            }
        }
        return (worst, beyond, diff)
    }
}

enum TestFrames {
    /// 96×54, top-down: red ramps left→right, green top→bottom, blue a
    /// checker of 8-pixel squares, with a white disc off centre (so flips
    /// and shifts show).
    static func synthetic() -> RGBAImage {
        let width = 96, height = 54
        var pixels = [UInt8](repeating: 255, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 4
                let dx = x - 30, dy = y - 18
                if dx * dx + dy * dy < 64 {
                    pixels[i] = 250; pixels[i + 1] = 250; pixels[i + 2] = 250
                } else {
                    pixels[i] = UInt8(x * 255 / (width - 1))
                    pixels[i + 1] = UInt8(y * 255 / (height - 1))
                    pixels[i + 2] = ((x / 8) + (y / 8)) % 2 == 0 ? 200 : 40
                }
            }
        }
        return RGBAImage(width: width, height: height, pixels: pixels, rowOrder: .topDown)
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var shaders: URL { repositoryRoot.appendingPathComponent("shaders") }
}

/// A timeline with the same state on every frame (beats from the phase).
struct ConstantTimeline: EmotionTimeline {
    var frameCount: Int?
    var framesPerSecond: Double
    var base: EmotionState

    func state(at frameIndex: Int) -> EmotionState {
        var s = base
        let beats = Float(Double(frameIndex) / framesPerSecond) * (s.heartRateBPM ?? 60) / 60
        s.beatPhase = beats - beats.rounded(.down)
        s.beatPulse = exp(-6 * s.beatPhase)
        return s
    }
}
