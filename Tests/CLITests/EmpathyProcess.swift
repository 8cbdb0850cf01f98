import Foundation
import TestSupport
import XCTest

/// Runs the real `empathy` executable built beside the tests (through
/// TestSupport's `EmpathyCommand`), with the CLI tests' names for its output.
enum EmpathyProcess {
    static var repositoryRoot: URL { EmpathyCommand.repositoryRoot }

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
        let run = try EmpathyCommand.run(arguments, in: directory, environment: environment, timeoutSeconds: timeoutSeconds)
        if run.timedOut {
            XCTFail("empathy \(arguments.joined(separator: " ")) did not finish in \(timeoutSeconds) s", file: file, line: line)
        }
        return Result(status: run.status, stdout: run.standardOutput, stderr: run.standardError)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("empathy-cli-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
