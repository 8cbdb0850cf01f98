import Foundation
import TestSupport

/// An `empathy` for the farm tests that fails once, as a vanished share
/// would: its first render of the chunk `frames` exits 75 (EX_TEMPFAIL) with
/// one error line; every other call runs the real executable. Returns the
/// script's path (in `folder`, beside the marker file it leaves).
func failOnceEmpathy(in folder: URL, chunk frames: String) throws -> String {
    let marker = folder.appendingPathComponent("failed-once").path
    let wrapper = folder.appendingPathComponent("empathy-fail-once").path
    try """
        #!/usr/bin/env bash
        if [ "$1" = render ] && [[ " $* " == *" --frames \(frames) "* ]] && [ ! -e '\(marker)' ]; then
          touch '\(marker)'; echo 'empathy: error: the share went away (simulated)' >&2; exit 75
        fi
        exec '\(EmpathyCommand.executable.path)' "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
    chmod(wrapper, 0o755)
    return wrapper
}
