import ArgumentParser
import Effects
import EmpathyCore
import Foundation
import Rendering

struct Shaders: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with pass shaders (ISF-style GLSL ES fragment shaders).",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate shaders: parse the JSON header and compile them headlessly.",
            discussion: """
                Without files, checks every shader a look can run: those of the registered
                passes, shaders/passes and shaders/isf. Errors name the file and line:
                'shaders/isf/mine.fs' line 12: …
                """)

        @Argument(help: ArgumentHelp("Shader files (.frag or .fs); none checks every shipped shader.", valueName: "file"))
        var files: [String] = []

        @Option(help: ArgumentHelp("EGL platform: auto, device (GPU) or surfaceless (Mesa).", valueName: "platform"))
        var egl: RenderContext.Platform = .automatic

        func run() throws {
            try reportingErrors {
                let context = try RenderContext(platform: egl)
                var failures = 0
                let urls = files.isEmpty
                    ? PassRegistry.listing(shadersDirectory: try ResourceLocator.shadersDirectory()).compactMap(\.shader)
                    : files.map { URL(fileURLWithPath: $0) }
                for url in urls {
                    do {
                        print(try ShaderCheckReport.check(url, context: context).summary)
                    } catch {
                        printError(error)
                        failures += 1
                    }
                }
                if failures > 0 { throw ExitCode.failure }
            }
        }
    }
}
