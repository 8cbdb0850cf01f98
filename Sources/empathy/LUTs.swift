import ArgumentParser
import Foundation
import Grading
import Pipeline

struct LUTs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "luts", abstract: "List the shipped LUT sets and their looks.")

    func run() throws {
        try reportingErrors {
            for entry in try LUTLibrary.shipped() {
                let lut = try CubeFile.read(path: entry.path)
                let summary = lut.comments.first ?? lut.title ?? ""
                print(entry.qualifiedName.padding(toLength: 24, withPad: " ", startingAt: 0) + summary)
            }
        }
    }
}
