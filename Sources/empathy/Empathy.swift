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
        subcommands: [Grade.self, LUTs.self, Analyze.self, Calibrate.self, Render.self, Live.self, Markers.self, ReviewCommand.self, SequenceCommand.self, TrackCommand.self, Looks.self, Shaders.self, Sensor.self])
}

/// Runs `body`; any error is printed as one line, `empathy: error: …`, and the
/// command exits with the README's exit-code contract: 75 (EX_TEMPFAIL) for a
/// failure that may clear by itself (`EmpathyError.isTransient`: a full disk,
/// a shared file system gone, the GPU's context lost), 1 for any other,
/// 64 for argument mistakes (ArgumentParser), 128 + N when stopped by signal N.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw StopRequest.requested.map { ExitCode(128 + $0) } ?? exit
    } catch {
        printError(error)
        // A run stopped by a signal exits as the shell reports one (130 for Ctrl-C, 143 for SIGTERM).
        throw StopRequest.requested.map { ExitCode(128 + $0) } ?? failureExit(transient: isTransientFailure(error))
    }
}

/// The exit status of a failed run: 75 when it may clear by itself, else 1.
func failureExit(transient: Bool) -> ExitCode {
    transient ? ExitCode(EmpathyError.transientExitCode) : ExitCode.failure
}

/// For commands that work frame by frame: Ctrl-C and SIGTERM ask the job to
/// stop at the next frame (`StopRequest`) instead of killing the process
/// mid-write; while it only loads models (`StopRequest.withNothingToClose`)
/// the process ends at once. Keep the returned sources alive while the job runs.
func stoppingBetweenFrames() -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            guard StopRequest.requestFromSignal(number) else { return }
            printError("stopped by \(number == SIGINT ? "Ctrl-C" : "SIGTERM") while loading; nothing was written")
            _exit(128 + number)
        }
        source.resume()
        return source
    }
}

extension FrameSpec: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(parsing: argument)
    }

    public static var defaultCompletionKind: CompletionKind { .default }
}

/// Writes `empathy: error: …` to stderr as one line a terminal shows as it
/// is: control characters and undecodable bytes a message quotes from a
/// user's file (a binary file given as a track) become `?`.
func printError(_ error: Any) {
    let text = String("\(error)".unicodeScalars.map { scalar -> Character in
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{FFFD}" ? "?" : Character(scalar)
    })
    FileHandle.standardError.write(Data("empathy: error: \(text)\n".utf8))
}
