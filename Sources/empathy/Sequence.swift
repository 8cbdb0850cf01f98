import ArgumentParser
import EmpathyCore
import Foundation
import ImageSequence

struct SequenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequence",
        abstract: "Work with rendered frame sequences.",
        subcommands: [SequenceCheckCommand.self])
}

struct SequenceCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "List the missing, incomplete and foreign frames of a rendered sequence; exit 1 if there are any.",
        discussion: """
            What to run before delivery, and what a failed farm job's re-submission
            renders: missing frames have no file, incomplete ones were cut short (a
            writer killed mid-file), foreign ones are complete but of another size or
            kind than the rest (from another render). Hidden temporary files left by
            a killed writer are listed too. The last line gives the frames to render
            again as a --frames expression; --redo prints only that expression.
              empathy render clip.mp4 --track t.csv --out shot/ --frames "$(empathy sequence check shot/ --frames 1-150000 --redo)"
            """)

    @Argument(help: ArgumentHelp("The folder the sequence was written to.", valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("The frames the sequence should have, as --frames takes them (default: from its first file to its last).",
                               valueName: "A-B"))
    var frames: FrameSpec?

    @Option(help: ArgumentHelp("The clip name of the frames (<stem>.0001.png), when the folder holds several sequences.", valueName: "stem"))
    var stem: String?

    @Option(help: ArgumentHelp("Frame files: png or exr.", valueName: "format"))
    var format = "png"

    @Option(help: "File number of the clip's first frame, as the render was given it.")
    var startNumber = 1

    @Flag(help: "Print only the frames to render again (an empty line when there are none).")
    var redo = false

    func validate() throws {
        guard ["png", "exr"].contains(format) else { throw ValidationError("--format must be png or exr, got '\(format)'") }
        guard (0...999_999_999).contains(startNumber) else {
            throw ValidationError("--start-number must be from 0 to 999999999, got \(startNumber)")
        }
    }

    func run() throws {
        try reportingErrors {
            let sequence = try findSequence()
            let naming = SequenceNaming(stem: sequence.stem, padding: sequence.padding, startNumber: startNumber, fileExtension: format)
            // Open ends run to the last file there; a spec's own ends may run past it.
            let lastPresent = max(1, sequence.numbers[sequence.numbers.count - 1] - startNumber + 1)
            let wanted: [Int]
            if let frames {
                let end = max(lastPresent, frames.items.compactMap(\.last).max() ?? 0)
                guard end <= 10_000_000 else {
                    throw EmpathyError.invalidArgument("--frames \(frames) runs to frame \(end); check at most 10,000,000 frames at a time")
                }
                wanted = frames.frames(inClipOf: end)
            } else {
                wanted = Array(max(1, sequence.numbers[0] - startNumber + 1)...lastPresent)
            }
            let check = SequenceCheck(directory: directory, naming: naming, frames: wanted)
            let redoSpec = FrameSpec(frames: check.framesToRedo).description
            if redo {
                print(redoSpec)
            } else {
                print(report(check))
            }
            if !check.isClean { throw ExitCode.failure }
        }
    }

    /// The one sequence in the folder, or the one --stem names.
    private func findSequence() throws -> SequenceFolder.Sequence {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmpathyError.io(path: directory, operation: "check the sequence in", errno: isDirectory.boolValue ? ENOENT : ENOTDIR)
        }
        let all = SequenceFolder.sequences(in: directory, fileExtension: format)
        if let stem {
            guard let found = all.first(where: { $0.stem == stem }) else {
                // No file yet: every frame is missing.
                guard frames != nil else {
                    throw EmpathyError.invalidArgument("'\(directory)' has no \(format) frames of '\(stem)'; give --frames to list them as missing")
                }
                return SequenceFolder.Sequence(stem: stem, numbers: [startNumber], padding: 4)
            }
            return found
        }
        guard all.count == 1 else {
            throw EmpathyError.invalidArgument(all.isEmpty
                ? "'\(directory)' has no \(format) frames (<clip>.0001.\(format)); give --stem and --frames to list the frames a render should write"
                : "'\(directory)' holds the sequences \(all.map(\.stem).joined(separator: ", ")); choose one with --stem")
        }
        return all[0]
    }

    private func report(_ check: SequenceCheck) -> String {
        func count(_ p: (SequenceCheck.Problem) -> Bool) -> Int { check.findings.filter { p($0.problem) }.count }
        let missing = count { $0 == .missing }, incomplete = count { $0 == .incomplete }
        let foreign = check.findings.count - missing - incomplete
        var lines = ["checked \(check.frames.count) frame\(check.frames.count == 1 ? "" : "s") of \(check.naming.prefix)*\(check.naming.suffix) in \(directory)"
            + (check.shape.map { " (\($0))" } ?? "")
            + ": \(missing) missing, \(incomplete) incomplete, \(foreign) foreign, \(check.temporaries.count) temporary"]
        let shown = 50
        for f in check.findings.prefix(shown) {
            switch f.problem {
            case .missing: lines.append("  missing     \(f.file) (frame \(f.frame))")
            case .incomplete: lines.append("  incomplete  \(f.file) (frame \(f.frame)): cut short, a writer stopped mid-file")
            case .foreign(let why): lines.append("  foreign     \(f.file) (frame \(f.frame)): \(why)")
            }
        }
        if check.findings.count > shown { lines.append("  … and \(check.findings.count - shown) more") }
        for t in check.temporaries { lines.append("  temporary   \(t) (left by a stopped writer; the next render into the folder removes it)") }
        if !check.findings.isEmpty { lines.append("render again: --frames \(FrameSpec(frames: check.framesToRedo))") }
        return lines.joined(separator: "\n")
    }
}
