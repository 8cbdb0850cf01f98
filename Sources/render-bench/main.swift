// render-bench: renders a clip through a look with a synthetic emotion
// timeline (no analysis needed) and prints the per-stage split as one JSON
// line on stdout. Used by scripts/bench-render.sh.
//
//   render-bench CLIP OUT [LOOK] [FRAMES]
import Effects
import EmpathyCore
import Footage
import Foundation
import Pipeline

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: render-bench CLIP OUT [LOOK] [A-B]\n".utf8))
    exit(64)
}
do {
    let info = try FrameSources.open(arguments[1]).info
    var configuration = RenderConfiguration(
        input: arguments[1], outputDirectory: arguments[2],
        timeline: SyntheticTimeline(frameCount: info.frameCount, framesPerSecond: info.framesPerSecond))
    if arguments.count > 3 { configuration.look = arguments[3] }
    if arguments.count > 4 { configuration.frames = FrameSpec(parsing: arguments[4]) }
    configuration.timesPasses = ProcessInfo.processInfo.environment["RENDER_BENCH_PASSES"] == "1"
    let summary = try RenderJob(configuration: configuration).run(progress: SilentProgress())
    let r = summary.report
    if let failure = r.failure { throw EmpathyError.message(failure) }
    let written = Double(max(r.framesWritten, 1))
    print(String(format: """
        {"frames": %d, "warmUpFrames": %d, "wallSeconds": %.3f, "fps": %.3f, "decodeMsPerFrame": %.2f, \
        "passesMsPerFrame": %.2f, "readbackMsPerFrame": %.2f, "pngMsPerFrame": %.2f, "renderer": "%@"}
        """, r.framesWritten, summary.warmUpFrames, r.wallSeconds, Double(r.framesWritten) / r.wallSeconds,
        1000 * r.decodeSeconds / written, 1000 * summary.passSeconds / written,
        1000 * summary.readbackSeconds / written, 1000 * r.encodeSeconds / written, summary.renderer))
    for stage in summary.passStageSeconds {
        FileHandle.standardError.write(Data(String(format: "  %@: %.1f ms/frame\n", stage.name, 1000 * stage.seconds / Double(summary.warmUpFrames + r.framesWritten)).utf8))
    }
} catch {
    FileHandle.standardError.write(Data("render-bench: error: \(error)\n".utf8))
    exit(1)
}
