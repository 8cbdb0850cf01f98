import ArgumentParser
import Effects
import Foundation

struct Looks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the shipped looks (looks/*.json) and the passes each runs.")

    func run() throws {
        try reportingErrors {
            for url in try LookLibrary.shipped() {
                let look = try Look.load(url)
                let marker = look.name == LookLibrary.defaultName ? " (default)" : ""
                print("\(look.name)\(marker)".padding(toLength: 26, withPad: " ", startingAt: 0) + look.description)
                let passes = look.passes.map { pass -> String in
                    switch pass.kind {
                    case let .shader(path): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                    case .emotionGrade: return "emotion-grade"
                    case .particles: return "particles"
                    }
                }
                print(String(repeating: " ", count: 26) + "passes: " + passes.joined(separator: " → "))
            }
        }
    }
}
