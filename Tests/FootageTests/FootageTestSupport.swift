import EmpathyCore
import Foundation
@_exported import TestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The checkout's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// footage/demo/astronaut.mp4: 640x360, 24 fps, 96 frames (see footage/README.md).
let demoClipPath = repositoryRoot.appendingPathComponent("footage/demo/astronaut.mp4").path

/// footage/bench/astronaut-1080p.mp4, made by footage/make-bench.sh (not committed).
let benchClipPath = repositoryRoot.appendingPathComponent("footage/bench/astronaut-1080p.mp4").path

/// A fresh folder under the system temporary folder (readable by everyone),
/// removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("footage-tests-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    chmod(url.path, 0o755)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// Runs ffmpeg quietly; fails the test with ffmpeg's message when it fails.
@discardableResult
func ffmpeg(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Data {
    let result = try runCommand(
        "/usr/bin/ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + arguments)
    guard result.status == 0 else {
        XCTFail("ffmpeg \(arguments.joined(separator: " ")) failed: \(result.standardError)", file: file, line: line)
        throw EmpathyError.message("ffmpeg failed")
    }
    return result.standardOutputData
}

/// ffmpeg's own decode of the first `frameCount` frames of `path` as packed RGBA.
func ffmpegRGBAFrames(_ path: String, frameCount: Int, width: Int, height: Int) throws -> [[UInt8]] {
    let data = try ffmpeg(["-i", path, "-frames:v", "\(frameCount)", "-f", "rawvideo", "-pix_fmt", "rgba", "-"])
    let frameBytes = width * height * 4
    XCTAssertEqual(data.count, frameBytes * frameCount, "ffmpeg returned \(data.count) bytes")
    let bytes = [UInt8](data)
    return (0..<min(frameCount, bytes.count / frameBytes)).map {
        Array(bytes[($0 * frameBytes)..<(($0 + 1) * frameBytes)])
    }
}

/// The largest per-channel difference between two RGBA images and where it is.
struct PixelDifference: CustomStringConvertible {
    var maxAbsolute = 0
    var worstX = 0
    var worstY = 0
    var worstChannel = 0
    var actualValue: UInt8 = 0
    var expectedValue: UInt8 = 0
    var meanAbsolute = 0.0
    var differingChannels = 0

    init(actual: [UInt8], expected: [UInt8], width: Int) {
        guard actual.count == expected.count else {
            maxAbsolute = Int.max
            return
        }
        var sum = 0
        for i in 0..<actual.count {
            let d = abs(Int(actual[i]) - Int(expected[i]))
            sum += d
            if d > 0 { differingChannels += 1 }
            if d > maxAbsolute {
                maxAbsolute = d
                let pixel = i / 4
                worstX = pixel % width
                worstY = pixel / width
                worstChannel = i % 4
                actualValue = actual[i]
                expectedValue = expected[i]
            }
        }
        meanAbsolute = Double(sum) / Double(max(actual.count, 1))
    }

    var description: String {
        if maxAbsolute == Int.max { return "images differ in size" }
        let channel = ["R", "G", "B", "A"][worstChannel]
        return "max |diff| \(maxAbsolute) at (x \(worstX), y \(worstY)) channel \(channel): got \(actualValue), expected \(expectedValue); "
            + "mean |diff| \(String(format: "%.4f", meanAbsolute)); \(differingChannels) channel values differ"
    }
}

/// The one-line message of the `EmpathyError` thrown by `body`, failing the
/// test when nothing is thrown or the error is of another type.
func errorMessage<T>(
    _ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line
) -> String? {
    do {
        _ = try body()
        XCTFail("expected an error, got none", file: file, line: line)
        return nil
    } catch let error as EmpathyError {
        return error.description
    } catch {
        XCTFail("expected an EmpathyError, got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}

/// Copies the first `byteCount` bytes of `source` to `destination`.
func writePrefix(of source: String, byteCount: Int, to destination: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: source))
    try data.prefix(byteCount).write(to: URL(fileURLWithPath: destination))
}

func fileSize(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.intValue ?? 0
}
