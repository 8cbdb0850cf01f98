import Foundation

/// The human summary printed at the end of `empathy grade`.
public enum GradeReportFormatter {
    public static func text(_ summary: GradeSummary) -> String {
        var lines: [String] = []
        let written = summary.framesWritten
        let fps = summary.wallSeconds > 0 ? Double(written) / summary.wallSeconds : 0
        lines.append(String(format: "Graded %d frame%@ from %d clip%@ in %.1f s (%.1f fps) with %@ on %@",
                            written, written == 1 ? "" : "s", summary.clips.count, summary.clips.count == 1 ? "" : "s",
                            summary.wallSeconds, fps, summary.lutPath, summary.renderer))
        for clip in summary.clips {
            let name = URL(fileURLWithPath: clip.input).lastPathComponent
            var line = String(format: "  %@: %d written, %d skipped, %.1f MB → %@/%@",
                              name, clip.framesWritten, clip.framesSkipped, Double(clip.bytesWritten) / 1e6,
                              clip.outputDirectory, clip.firstFileName)
            if clip.framesWritten > 0 {
                line += String(format: " (decode %.0f ms, grade %.0f ms, encode %.0f ms per frame)",
                               1000 * clip.decodeSeconds / Double(clip.framesWritten),
                               1000 * clip.renderSeconds / Double(clip.framesWritten),
                               1000 * clip.encodeSeconds / Double(clip.framesWritten))
            }
            if let failure = clip.failure { line += "\n    FAILED: \(failure)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
