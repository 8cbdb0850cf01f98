import Foundation
import XCTest

/// Every subcommand's `--help`, as a user reads it: it exits 0, and its
/// text is joined as written (a stray escape in a multi-line string once
/// printed a backslash at the end of lines).
final class HelpTests: XCTestCase {
    func testEverySubcommandsHelpReadsCleanly() throws {
        let top = try EmpathyProcess.run(["--help"])
        XCTAssertEqual(top.status, 0, top.stderr)
        let section = try XCTUnwrap(top.stdout.components(separatedBy: "SUBCOMMANDS:").last, top.stdout)
        // Subcommand lines are indented by two spaces and start with the name.
        let names = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                  name.allSatisfy({ $0.isLowercase || $0 == "-" }) else { return nil }
            return String(name)
        }
        XCTAssertTrue(names.contains("live") && names.contains("render") && names.count >= 8, "\(names)")
        for name in names {
            let help = try EmpathyProcess.run([name, "--help"])
            XCTAssertEqual(help.status, 0, "\(name) --help: \(help.stderr)")
            XCTAssertTrue(help.stdout.contains("USAGE: empathy \(name)"), "\(name) --help:\n\(help.stdout)")
            let bad = help.stdout.split(separator: "\n").filter { $0.hasSuffix("\\") }
            XCTAssertEqual(bad, [], "\(name) --help has lines ending in a backslash")
        }
    }
}
