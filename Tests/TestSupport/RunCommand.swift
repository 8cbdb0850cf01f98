import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a finished program left: its exit status and its output.
public struct CommandResult: Sendable {
    public let status: Int32
    public let standardOutputData: Data
    public let standardError: String
    /// The program ran past its time limit and was killed.
    public var timedOut = false

    public var standardOutput: String { String(decoding: standardOutputData, as: UTF8.self) }
    /// Standard error's lines, without empty ones.
    public var errorLines: [Substring] { standardError.split(separator: "\n") }
}

/// Runs a program to completion, for tests. Standard error goes to a file so
/// neither pipe can fill up and stall the child; a child still running after
/// `timeoutSeconds` is killed (its exit status then fails the test) rather
/// than hanging the suite.
public func runCommand(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                       environment: [String: String] = [:], timeoutSeconds: Double = 300) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
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
    let fired = Fired()
    let watchdog = DispatchWorkItem { fired.set(); kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
    defer { watchdog.cancel() }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try errorHandle.close()
    let errorText = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
    var result = CommandResult(status: process.terminationStatus, standardOutputData: data, standardError: errorText)
    result.timedOut = fired.value
    return result
}

/// A flag the watchdog sets from another thread.
private final class Fired: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// The real `empathy` executable, as the tests run it.
public enum EmpathyCommand {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The build beside the test bundle, else the debug build.
    public static var executable: URL {
        let beside = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("empathy")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/empathy")
    }

    /// Runs empathy in `directory` (the repository by default) with its
    /// resources found through EMPATHY_HOME; killed after `timeoutSeconds`.
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                           timeoutSeconds: Double = 300) throws -> CommandResult {
        try runCommand(executable.path, arguments, in: directory ?? repositoryRoot,
                       environment: ["EMPATHY_HOME": repositoryRoot.path].merging(environment) { $1 },
                       timeoutSeconds: timeoutSeconds)
    }
}
