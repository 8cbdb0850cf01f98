import Biometrics
import EmpathyCore
import Footage
import Foundation
import Fusion
import ImageSequence
import Review

/// Writes the review page of a rendered shot: `<shot>/review/index.html`
/// with everything it needs beside it (the movies, the curves' data, the
/// charting library, the markers as .otio and .edl), opening from file://
/// with no server.
///
/// What it reads: the frames (`<stem>.0001.png` …; the longest run from the
/// first), the manifest `render` wrote (`<stem>.render.json`: clip, look,
/// LUTs, track, session), the track, the session, the source clip. What is
/// missing is one line on the page and in the result, and the page is built
/// from the rest; only a folder with no rendered frames is an error.
public struct ReviewJob {
    public var shotDirectory: String
    /// Default `<shot>/review`.
    public var outputDirectory: String?
    /// The render's stem, when the folder holds several.
    public var stem: String?
    /// Override what the manifest names.
    public var trackPath: String?
    public var sessionPath: String?
    public var sessionOffsetSeconds: Double?
    public var clipPath: String?
    public var startTimecode = "00:00:00:00"
    public var rules = MarkerRules()
    /// The page's movies are scaled down by a whole factor to at most this wide.
    public var movieWidth = 1280

    public init(shotDirectory: String) { self.shotDirectory = shotDirectory }

    public struct Result {
        public var pagePath: String
        public var frameCount: Int
        public var markerCount: Int
        public var notes: [String]
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        let shot = try Shot.find(in: shotDirectory, stem: stem)
        var notes = shot.notes
        let manifest = shot.manifest
        let fps = manifest?.framesPerSecond ?? 24
        let start = try Timecode.start(startTimecode, clipRate: fps)  // before the movies, not after
        if manifest == nil { notes.append("no \(shot.stem).render.json beside the frames: the look, LUTs and clip are unknown; 24 fps assumed") }
        let out = outputDirectory ?? URL(fileURLWithPath: shotDirectory).appendingPathComponent("review").path
        let staging = AtomicFile.temporaryPath(for: out)
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        do {
            let data = try build(shot: shot, fps: fps, start: start, into: staging, notes: &notes, progress: progress)
            try AtomicFile.write(data.javaScript(), to: staging + "/data.js")
            try copyAssets(into: staging)
            try replace(out, with: staging)
            return Result(pagePath: out + "/index.html", frameCount: shot.numbers.count, markerCount: data.markers.count, notes: notes)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// The movies, the markers and the page's data, into `folder`.
    private func build(shot: Shot, fps: Double, start: Timecode, into folder: String, notes: inout [String],
                       progress: (String) -> Void) throws -> ReviewPageData {
        let manifest = shot.manifest
        let firstIndex = shot.numbers[0] - (manifest?.startNumber ?? 1)   // the clip's frame index of movie frame 0
        let count = shot.numbers.count
        progress("render movie: \(count) frames")
        try PreviewMovie.write(framePaths: shot.framePaths, framesPerSecond: fps, to: folder + "/render.mp4", maxWidth: movieWidth)
        var sourceMovie: String?
        if let clip = clipPath ?? manifest?.clip {
            if FileManager.default.fileExists(atPath: clip) {
                progress("source movie: \(count) frames of \(clip)")
                do {
                    try PreviewMovie.write(clip: clip, frames: (firstIndex + 1)...(firstIndex + count), to: folder + "/source.mp4",
                                           maxWidth: movieWidth)
                    sourceMovie = "source.mp4"
                } catch {
                    notes.append("the source clip could not be put beside the render (\(error)); the wipe is off")
                }
            } else {
                notes.append("the source clip \(clip) is not there; the wipe is off")
            }
        }
        let track = try loadTrack(manifest, stem: shot.stem, firstIndex: firstIndex, count: count, notes: &notes)
        let session = try loadSession(manifest, rows: track.compactMap { $0 }, notes: &notes)
        // Markers over the rendered frames, moved to movie frames.
        let rows = track.compactMap { $0 }
        var markers = MarkerFinder(rules: rules, framesPerSecond: fps).markers(in: rows, session: session)
        for i in markers.indices { markers[i].frame -= firstIndex }
        let export = MarkerExport(name: shot.stem, framesPerSecond: fps, start: start + firstIndex, firstFrame: 0, frameCount: count,
                                  mediaURL: "render.mp4", markers: markers)
        try AtomicFile.write(export.otio(), to: folder + "/markers.otio")
        try AtomicFile.write(export.edl(), to: folder + "/markers.edl")
        return ReviewPageData(
            name: shot.stem, framesPerSecond: fps, frameCount: count, firstNumber: shot.numbers[0], padding: shot.padding,
            start: start + firstIndex, rows: track, beats: beats(session, rows: track, firstIndex: firstIndex, fps: fps),
            markers: markers, renderMovie: "render.mp4", sourceMovie: sourceMovie,
            info: info(shot, session: session != nil ? (sessionPath ?? manifest?.session) : nil, hasTrack: !rows.isEmpty),
            notes: notes)
    }

    /// Track rows by movie frame; nil where the track has none.
    private func loadTrack(_ manifest: RenderManifest?, stem: String, firstIndex: Int, count: Int,
                           notes: inout [String]) throws -> [EmotionTrackRow?] {
        let guess = URL(fileURLWithPath: shotDirectory).appendingPathComponent("\(stem).track.csv").path
        guard let path = trackPath ?? manifest?.track ?? (FileManager.default.fileExists(atPath: guess) ? guess : nil) else {
            notes.append("no emotion track: the curves and markers are left out (give --track)")
            return [EmotionTrackRow?](repeating: nil, count: count)
        }
        let rows: [EmotionTrackRow]
        do { rows = try EmotionTrackFile.read(path: path) } catch {
            if trackPath != nil { throw error }
            notes.append("the track could not be read (\(error)); the curves and markers are left out")
            return [EmotionTrackRow?](repeating: nil, count: count)
        }
        var byFrame = [EmotionTrackRow?](repeating: nil, count: count)
        for row in rows where (firstIndex..<(firstIndex + count)).contains(row.frameIndex) { byFrame[row.frameIndex - firstIndex] = row }
        let covered = byFrame.filter { $0 != nil }.count
        if covered < count {
            notes.append("the track \(path) covers \(covered) of the \(count) rendered frames; the curves have gaps where it has none")
        }
        return byFrame
    }

    private func loadSession(_ manifest: RenderManifest?, rows: [EmotionTrackRow], notes: inout [String]) throws -> SensorSession? {
        guard let path = sessionPath ?? manifest?.session else { return nil }
        guard FileManager.default.fileExists(atPath: path) || sessionPath != nil else {
            notes.append("the session \(path) is not there; beats are taken from the track")
            return nil
        }
        return try MarkersJob.session(path, offsetSeconds: sessionOffsetSeconds ?? manifest?.sessionOffsetSeconds, over: rows, notes: &notes)
    }

    /// Beat times in movie seconds: the session's beats, else where the
    /// track's beat phase starts again.
    private func beats(_ session: SensorSession?, rows: [EmotionTrackRow?], firstIndex: Int, fps: Double) -> [Double] {
        let movieStart = Double(firstIndex) / fps, duration = Double(rows.count) / fps
        if let session {
            return session.beats.map { $0.timeSeconds - session.offsetSeconds - movieStart }.filter { $0 >= 0 && $0 < duration }
        }
        var times: [Double] = []
        for i in rows.indices.dropFirst() {
            if let now = rows[i]?.beatPhase, let before = rows[i - 1]?.beatPhase, now < before - 0.5 { times.append(Double(i) / fps) }
        }
        return times
    }

    private func info(_ shot: Shot, session: String?, hasTrack: Bool) -> [(String, String)] {
        var lines: [(String, String)] = []
        if let m = shot.manifest {
            lines += [("clip", m.clip), ("look", "\(m.look) (\(m.passes.joined(separator: " → ")))"),
                      ("LUTs", m.luts.isEmpty ? "none" : m.luts.joined(separator: ", "))]
            lines.append(("renderer", m.renderer))
        }
        lines.append(("track", hasTrack ? (trackPath ?? shot.manifest?.track ?? "\(shot.stem).track.csv") : "none"))
        lines.append(("session", session ?? "none"))
        lines.append(("frames", "\(shot.numbers[0])–\(shot.numbers[shot.numbers.count - 1])"))
        return lines
    }

    /// The page, its script and style from `pages/review`, and dygraphs from
    /// Debian's libjs-dygraphs.
    private func copyAssets(into folder: String) throws {
        let pages = try ResourceLocator.root().appendingPathComponent("pages/review")
        let dygraphs = URL(fileURLWithPath: "/usr/share/javascript/dygraphs")
        let files = ["index.html", "review.js", "review.css"].map { (pages.appendingPathComponent($0), $0) }
            + ["dygraph.min.js", "dygraph.min.css"].map { (dygraphs.appendingPathComponent($0), $0) }
        for (from, name) in files {
            guard let bytes = FileManager.default.contents(atPath: from.path) else {
                let fix = from.path.hasPrefix(dygraphs.path) ? "install libjs-dygraphs (scripts/install-deps.sh)" : "restore it from the checkout"
                throw EmpathyError.io(path: from.path, operation: "read the review page's \(name); \(fix)", errno: ENOENT)
            }
            var text = String(decoding: bytes, as: UTF8.self)
            // The minified script names its source map, which is not copied: a browser would look for it.
            if name == "dygraph.min.js" { text = text.replacingOccurrences(of: "//# sourceMappingURL=dygraph.min.js.map", with: "") }
            if name == "dygraph.min.css" { text = text.replacingOccurrences(of: "/*# sourceMappingURL=dygraph.min.css.map */", with: "") }
            try AtomicFile.write(text, to: folder + "/" + name)
        }
    }

    /// Puts the finished page folder in place of the old one.
    private func replace(_ out: String, with staging: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: out) {
            let old = staging + ".old"
            try? fm.removeItem(atPath: old)
            guard rename(out, old) == 0 else { throw EmpathyError.io(path: out, operation: "replace the review page", errno: errno) }
            try? fm.removeItem(atPath: old)
        }
        guard rename(staging, out) == 0 else { throw EmpathyError.io(path: out, operation: "write the review page", errno: errno) }
    }
}

/// A rendered shot in a folder: its stem, frame files and manifest.
struct Shot {
    var stem: String
    var manifest: RenderManifest?
    /// The file numbers of the page's frames: the run from the first.
    var numbers: [Int]
    var framePaths: [String]
    var padding: Int
    var notes: [String]

    static func find(in directory: String, stem wanted: String?) throws -> Shot {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmpathyError.io(path: directory, operation: "review the shot (a render's output folder)", errno: ENOENT)
        }
        let sequences = SequenceFolder.sequences(in: directory).filter { !$0.stem.hasSuffix(".matte") }
        let stems = sequences.map(\.stem)
        guard !stems.isEmpty else {
            throw EmpathyError.message("'\(directory)' has no rendered frames (<clip>.0001.png …); render into it with 'empathy render CLIP --out \(directory)'")
        }
        guard let stem = wanted ?? (stems.count == 1 ? stems[0] : nil) else {
            throw EmpathyError.invalidArgument("'\(directory)' holds the frames of \(stems.joined(separator: ", ")); choose one with --stem")
        }
        guard let sequence = sequences.first(where: { $0.stem == stem }) else {
            throw EmpathyError.invalidArgument("'\(directory)' has no frames of '\(stem)'; it holds \(stems.joined(separator: ", "))")
        }
        let manifestPath = RenderManifest.path(inDirectory: directory, stem: stem)
        let manifest = FileManager.default.fileExists(atPath: manifestPath) ? try RenderManifest.read(path: manifestPath) : nil
        let run = FrameSpec.runs(of: sequence.numbers)[0]
        var notes: [String] = []
        if sequence.numbers.count > run.count {
            let next = sequence.numbers[run.count]
            notes.append("frames \(run.upperBound + 1)–\(next - 1) are missing; the page shows frames \(run.lowerBound)–\(run.upperBound)")
        }
        let naming = SequenceNaming(stem: stem, padding: sequence.padding)
        let paths = run.map { URL(fileURLWithPath: directory).appendingPathComponent(naming.fileName(number: $0)).path }
        if let incomplete = paths.first(where: { !PNGCodec.isComplete(path: $0) }) {
            throw EmpathyError.badFile(path: incomplete, line: nil,
                                       message: "is incomplete (a render stopped while writing it); render the shot again to finish it")
        }
        return Shot(stem: stem, manifest: manifest, numbers: Array(run), framePaths: paths, padding: sequence.padding, notes: notes)
    }
}
