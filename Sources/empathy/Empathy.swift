import ArgumentParser
import EmpathyCore
import Foundation

@main
struct Empathy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "empathy",
        abstract: "A headless, biometric-reactive visual-effects renderer for film footage.",
        discussion: """
            Grade clips with the Neon Noir looks:
              empathy grade footage/demo/astronaut.mp4 --lut midnight --out graded/
            """,
        version: "0.1.0",
        subcommands: [Grade.self, LUTs.self, Analyze.self, Calibrate.self, Render.self, Looks.self, Shaders.self, Sensor.self])
}

/// Runs `body`; any error is printed as one line, `empathy: error: …`, and the
/// command exits with status 1 (argument mistakes exit 64 via ArgumentParser).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("empathy: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

extension FrameRange: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(parsing: argument)
    }

    public static var defaultCompletionKind: CompletionKind { .default }
}
