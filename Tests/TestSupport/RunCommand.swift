import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a finished program left: its exit status and its output.
public struct CommandResult: Sendable {
    public let status: Int32
    public let standardOutputData: Data
    public let standardError: String

    public var standardOutput: String { String(decoding: standardOutputData, as: UTF8.self) }
}

/// Runs a program to completion, for tests. Standard error goes to a file so
/// neither pipe can fill up and stall the child; a child still running after
/// `timeoutSeconds` is killed (its exit status then fails the test) rather
/// than hanging the suite.
public func runCommand(_ executable: String, _ arguments: [String], timeoutSeconds: Double = 300) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errorURL = FileManager.default.temporaryDirectory
        .appendingPathComponent("empathy-test-stderr-\(getpid())-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorURL) }
    let errorHandle = try FileHandle(forWritingTo: errorURL)
    process.standardOutput = output
    process.standardError = errorHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
    defer { watchdog.cancel() }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try errorHandle.close()
    let errorText = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
    return CommandResult(status: process.terminationStatus, standardOutputData: data, standardError: errorText)
}
