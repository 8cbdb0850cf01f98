import CFuzzer
import Foundation

// empathy-fuzz TARGET [libFuzzer flags and corpus folders]
//
// Runs one FuzzTarget under libFuzzer; scripts/fuzz.sh builds it with
// coverage and AddressSanitizer and runs every target. Without
// instrumentation (the normal build) it still replays files, which is how
// the test command checks the committed corpora and regressions.
var arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget.named(arguments[1]) else {
    let names = FuzzTarget.all.map { "  \($0.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \($0.summary)" }
    FileHandle.standardError.write(Data((["usage: empathy-fuzz TARGET [libFuzzer flags] [corpus folder…]; targets:"] + names)
        .joined(separator: "\n").appending("\n").utf8))
    exit(64)
}
selected = target
arguments.remove(at: 1)
var argc = Int32(arguments.count)
var cStrings = arguments.map { strdup($0) } + [nil]
let status = cStrings.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput)
}
exit(status)
