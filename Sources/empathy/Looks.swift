import ArgumentParser
import Effects
import EmpathyCore
import Foundation

struct Looks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the shipped looks (looks/*.json), the passes each runs, and every pass a look can name.")

    func run() throws {
        try reportingErrors {
            for url in try LookLibrary.shipped() {
                let look = try Look.load(url)
                let marker = look.name == LookLibrary.defaultName ? " (default)" : ""
                print("\(look.name)\(marker)".padding(toLength: 26, withPad: " ", startingAt: 0) + look.description)
                print(String(repeating: " ", count: 26) + "passes: " + look.passes.map(\.kind.name).joined(separator: " → "))
            }
            print("\nPasses (\"pass\": NAME in a look; examples as \"shader\": PATH; fields in looks/README.md):")
            for entry in PassRegistry.listing(shadersDirectory: try ResourceLocator.shadersDirectory()) {
                print("  " + entry.name.padding(toLength: 30, withPad: " ", startingAt: 0) + entry.summary)
                print(String(repeating: " ", count: 32) + entry.location)
            }
        }
    }
}
