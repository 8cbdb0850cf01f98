import Biometrics
import Foundation
import XCTest

/// The real firmware running in simavr (firmware/sim/pulse-sim) with a
/// synthetic pulse, its UART on a pty linked at `linkPath`.
final class SimulatedSensor {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let firmwareDirectory = repositoryRoot.appendingPathComponent("firmware")
    static let harnessPath = firmwareDirectory.appendingPathComponent("sim/pulse-sim").path
    static let firmwarePath = firmwareDirectory.appendingPathComponent("build-uno/empathy_pulse.elf").path

    private static let buildLock = NSLock()
    nonisolated(unsafe) private static var buildResult: String??  // guarded by buildLock; inner nil = built

    /// Builds the firmware and the harness once per test run (`make -C firmware sim`).
    static func build() throws {
        buildLock.lock()
        defer { buildLock.unlock() }
        if buildResult == nil {
            let make = Process()
            make.executableURL = URL(fileURLWithPath: "/usr/bin/make")
            make.arguments = ["-s", "-C", firmwareDirectory.path, "sim"]
            let output = Pipe()
            make.standardOutput = output
            make.standardError = output
            try make.run()
            let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            make.waitUntilExit()
            buildResult = make.terminationStatus == 0
                ? .some(nil)
                : .some("`make -C firmware sim` failed (run scripts/install-deps.sh for gcc-avr, arduino-mk, libsimavr-dev):\n\(log)")
        }
        if case let .some(.some(message)) = buildResult { throw EmpathyTestError(message) }
    }

    let directory: URL
    let linkPath: String
    let truthPath: String

    init() throws {
        try Self.build()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pulse-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        linkPath = directory.appendingPathComponent("tty").path
        truthPath = directory.appendingPathComponent("truth.csv").path
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the harness and waits until its pty link exists.
    @discardableResult
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.harnessPath)
        process.arguments = ["--elf", Self.firmwarePath, "--link", linkPath, "--truth", truthPath] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? FileManager.default.removeItem(atPath: linkPath)
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: linkPath)) == nil {
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw EmpathyTestError("pulse-sim did not create its pty link \(linkPath)")
            }
            usleep(10_000)
        }
        return process
    }

    struct TruthBeat {
        var timeSeconds: Double
        var kind: String
    }

    func truth() throws -> [TruthBeat] {
        let text = try String(contentsOfFile: truthPath, encoding: .utf8)
        return text.split(separator: "\n").dropFirst(3).compactMap { row in
            let fields = row.split(separator: ",")
            guard fields.count == 4, let time = Double(fields[1]) else { return nil }
            return TruthBeat(timeSeconds: time, kind: String(fields[3]))
        }
    }
}

struct EmpathyTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects a reader's events (the handler runs on the reader's thread).
/// Shared across threads: `lock` guards `storage`.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [SensorEvent] = []

    func append(_ event: SensorEvent) {
        lock.lock()
        storage.append(event)
        lock.unlock()
    }

    var events: [SensorEvent] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    /// Beats as (device time ms, IBI ms).
    var beats: [(deviceTimeMs: UInt32, interBeatIntervalMs: Int)] {
        events.flatMap { event -> [(deviceTimeMs: UInt32, interBeatIntervalMs: Int)] in
            guard case let .line(line) = event, case let .accepted(messages, _) = line.verdict else { return [] }
            return messages.compactMap { message in
                guard case let .beat(time?, ibi, _, _) = message else { return nil }
                return (time, ibi)
            }
        }
    }
}
