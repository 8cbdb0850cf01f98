import ArgumentParser
import Effects
import Foundation
import Rendering

struct Shaders: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with pass shaders (ISF-style GLSL ES fragment shaders).",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate shaders: parse the JSON header and compile them headlessly.",
            discussion: "Errors name the file and line: 'shaders/isf/mine.fs' line 12: …")

        @Argument(help: ArgumentHelp("Shader files (.frag or .fs).", valueName: "file"))
        var files: [String]

        @Option(help: ArgumentHelp("EGL platform: auto, device (GPU) or surfaceless (Mesa).", valueName: "platform"))
        var egl: RenderContext.Platform = .automatic

        func run() throws {
            try reportingErrors {
                let context = try RenderContext(platform: egl)
                var failures = 0
                for file in files {
                    do {
                        print(try ShaderCheckReport.check(URL(fileURLWithPath: file), context: context).summary)
                    } catch {
                        FileHandle.standardError.write(Data("empathy: error: \(error)\n".utf8))
                        failures += 1
                    }
                }
                if failures > 0 { throw ExitCode.failure }
            }
        }
    }
}
