import EmpathyCore
import Foundation
import Grading
import XCTest

/// Shared helpers for the grading tests: paths, temp folders, processes.
enum TestSupport {
    /// The package root (three folders above this file).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let neonNoirDirectory = packageRoot.appendingPathComponent("shaders/luts/neon-noir")

    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("grading-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `executable` with `arguments`; returns stdout, or throws with stderr.
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EmpathyError.message(
                "\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): "
                    + String(decoding: stderr, as: UTF8.self))
        }
        return stdout
    }

    /// Finds an executable on the usual system paths.
    static func tool(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A deterministic pseudo-random sequence (64-bit LCG, Knuth's constants).
    struct LCG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func unit() -> Float { Float(next() % 1_000_001) / 1_000_000 }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    }

    /// A 64×128 test picture: the top half holds every colour of a 16-level
    /// grid (codes 0, 17, …, 255; red fastest), the bottom half pseudo-random colours.
    static func probeImage() -> RGBAImage {
        let width = 64, height = 128
        var image = RGBAImage(width: width, height: height)
        var random = LCG(state: 42)
        for i in 0..<(width * height) {
            let o = i * 4
            if i < 4096 {
                image.pixels[o] = UInt8((i % 16) * 17)
                image.pixels[o + 1] = UInt8((i / 16 % 16) * 17)
                image.pixels[o + 2] = UInt8((i / 256) * 17)
            } else {
                image.pixels[o] = random.byte(); image.pixels[o + 1] = random.byte(); image.pixels[o + 2] = random.byte()
            }
        }
        return image
    }
}
