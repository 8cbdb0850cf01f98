import Foundation
import TestSupport
import XCTest

/// Every committed seed and regression input of every fuzz target, run once
/// through the parsers (the plain build of `empathy-fuzz`, as libFuzzer
/// replays files): a crasher fixed once stays fixed without a fuzzing run.
final class FuzzRegressionTests: XCTestCase {
    private var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testEveryCommittedFuzzInputRunsCleanly() throws {
        let binary = root.appendingPathComponent(".build/debug/empathy-fuzz").path
        let corpus = root.appendingPathComponent("fuzz/corpus")
        let targets = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        XCTAssertGreaterThanOrEqual(targets.count, 10, "\(targets)")
        for target in targets {
            let folders = ["corpus", "regressions"].map { root.appendingPathComponent("fuzz/\($0)/\(target)").path }
                .filter { FileManager.default.fileExists(atPath: $0) }
            let run = try runCommand(binary, [target, "-runs=0"] + folders)
            XCTAssertEqual(run.status, 0, "\(target): \(run.standardError.suffix(600))")
            XCTAssertTrue(run.standardError.contains("INITED"), "\(target) ran no inputs: \(run.standardError.suffix(300))")
        }
    }

    func testAnUnknownTargetListsTheTargets() throws {
        let run = try runCommand(root.appendingPathComponent(".build/debug/empathy-fuzz").path, ["nonsense"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.standardError.contains("cube") && run.standardError.contains("sensor-lines"), run.standardError)
    }
}
