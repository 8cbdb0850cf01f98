import Foundation
import XCTest

/// Runs the real `empathy` executable built beside the tests.
enum EmpathyProcess {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL {
        let beside = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("empathy")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/empathy")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// stderr's lines, without empty ones.
        var errorLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// Runs empathy with `arguments` in `directory`; fails the test if it
    /// takes longer than `timeoutSeconds` (a hang is a bug).
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    timeoutSeconds: Double = 120, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? repositoryRoot
        var env = ProcessInfo.processInfo.environment
        env["EMPATHY_HOME"] = repositoryRoot.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-out-\(UUID())")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-err-\(UUID())")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            XCTFail("empathy \(arguments.joined(separator: " ")) did not finish in \(timeoutSeconds) s", file: file, line: line)
            process.waitUntilExit()
        }
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-cli-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
