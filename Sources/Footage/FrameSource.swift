import EmpathyCore
import Foundation

/// Frames in order, with their size, rate and, where known, their count:
/// what every job reads (grade, analyse, calibrate, render). Open one with
/// `FrameSources.open`.
///
/// `VideoSource` — video files, image sequences and stills through OpenCV —
/// is the implementation today; a live camera is the next, with
/// `info.frameCount` nil (no end). Jobs that plan a frame range ask for a
/// count (`ClipInfo.requireFrameCount`); reading frame by frame, as the look
/// renderer and the analyser do, needs none.
public protocol FrameSource: AnyObject, Sendable {
    var info: ClipInfo { get }
    /// 0-based index of the frame the next read returns.
    var nextFrameIndex: Int { get }
    /// Decodes the next frame into `image` (reallocated when its size
    /// differs); false at the end.
    func read(into image: inout RGBAImage) throws -> Bool
    /// The next frame, or nil at the end.
    func nextFrame() throws -> RGBAImage?
    /// Positions the source so the next read returns frame `index`.
    func seek(toFrameIndex index: Int) throws
    /// The first frame index in `indices` (0-based) the source knows it
    /// lacks (a gap in an image sequence), found without reading frames.
    func firstMissingFrameIndex(in indices: ClosedRange<Int>) -> Int?
    /// The file frame `index` (0-based) is read from, when frames are files
    /// of their own (an image sequence); nil otherwise.
    func framePath(atIndex index: Int) -> String?
}

extension FrameSource {
    /// A source that cannot know of gaps (a camera) reports none.
    public func firstMissingFrameIndex(in indices: ClosedRange<Int>) -> Int? { nil }
    public func framePath(atIndex index: Int) -> String? { nil }

    /// Refuses, before any work, an output that would replace one of the
    /// source's own frames: `output(f)` is the file frame f (1-based) would
    /// be written to. Only a sequence read from the output's own folder can
    /// meet it, so other sources cost one check.
    public func requireNotOverwritten(frames: [ClosedRange<Int>], by output: (Int) -> String) throws {
        guard let lowest = frames.first?.lowerBound, let first = framePath(atIndex: lowest - 1),
              let inputFolder = realFolder(of: first), realFolder(of: output(lowest)) == inputFolder else { return }
        // One folder: the same name is the same file.
        for frame in frames.joined() {
            guard let input = framePath(atIndex: frame - 1) else { continue }
            let target = output(frame)
            guard URL(fileURLWithPath: target).lastPathComponent == URL(fileURLWithPath: input).lastPathComponent else { continue }
            throw EmpathyError.invalidArgument(
                "the output '\(target)' would overwrite the input frame '\(input)'; write to another folder with --out")
        }
    }
    /// Checks that `frames` (1-based runs, ascending) are all there, before
    /// any work: a gap is one line naming the first missing frame, found in
    /// time proportional to the files present, not to the numbering's span.
    public func requireFrames(_ frames: [ClosedRange<Int>]) throws {
        for run in frames {
            guard let missing = firstMissingFrameIndex(in: (run.lowerBound - 1)...(run.upperBound - 1)) else { continue }
            throw EmpathyError.invalidArgument(
                "'\(info.path)' has no file for frame \(missing + 1) of frames \(run.lowerBound)-\(run.upperBound); fill the gap, or give --frames a range without it")
        }
    }
}

extension VideoSource: FrameSource {}

/// The one place a path becomes a frame source.
public enum FrameSources {
    /// A video file, an image-sequence pattern (`shot.%04d.png`) or a still.
    public static func open(_ path: String) throws -> any FrameSource {
        try VideoSource(path: path)
    }
}

extension ClipInfo {
    /// The frame count, or one line saying that `what` needs a source with an end.
    public func requireFrameCount(for what: String) throws -> Int {
        guard let frameCount else {
            throw EmpathyError.invalidArgument("'\(path)' has no end (a live source); \(what) needs a clip or an image sequence")
        }
        return frameCount
    }

    /// The frames of `spec` (all frames when nil) that this clip has, as
    /// ascending runs (1-based); one line when the spec lies wholly beyond its end.
    public func frames(in spec: FrameSpec?, for what: String) throws -> [ClosedRange<Int>] {
        let count = try requireFrameCount(for: what)
        let frames = (spec ?? FrameSpec(items: [.init(first: 1, last: nil)])).runs(inClipOf: count)
        guard !frames.isEmpty else {
            throw EmpathyError.invalidArgument(
                "--frames \(spec.map(\.description) ?? "") is beyond '\(path)', which has \(count) frame\(count == 1 ? "" : "s")")
        }
        return frames
    }
}

/// The real path of `path`'s folder, nil when it does not exist.
private func realFolder(of path: String) -> String? {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard let resolved = realpath(folder, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
