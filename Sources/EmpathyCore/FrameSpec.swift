/// The frames a command works on, as users and render farms write them:
/// OpenJD range expressions (the task-parameter syntax of Open Job
/// Description and AWS Deadline Cloud) — `A-B`, `N`, `A-B:S` (every S-th
/// frame from A) and comma-separated lists of those (`1-10,12,20-30:2`) —
/// plus the open ends of a single range, `A-` and `-B`. Frames are numbered
/// from 1, as in an editor's timeline; spaces around numbers are ignored
/// (`1 - 5, 8`), not inside them.
public struct FrameSpec: Sendable, Equatable, CustomStringConvertible {
    /// One item: `first` to `last` (nil: the clip's end) every `step` frames.
    public struct Item: Sendable, Equatable {
        public let first: Int
        public let last: Int?
        public let step: Int

        public init(first: Int, last: Int?, step: Int = 1) {
            self.first = first
            self.last = last
            self.step = step
        }
    }

    public let items: [Item]

    public init(items: [Item]) { self.items = items }

    /// The shortest list of ranges for ascending `frames` (`12-20,45`).
    public init(frames: [Int]) {
        items = Self.runs(of: frames).map { Item(first: $0.lowerBound, last: $0.upperBound) }
    }

    /// Parses an expression; nil for anything else (zero or negative frames,
    /// a range that runs backwards, a step below 1, an empty item, an open
    /// end inside a list).
    public init?(parsing text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var items: [Item] = []
        for part in parts {
            guard let item = Self.item(part.trimmingCharacters(in: .whitespaces), alone: parts.count == 1) else { return nil }
            items.append(item)
        }
        self.items = items
    }

    private static func item(_ text: String, alone: Bool) -> Item? {
        let stepSplit = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
        guard stepSplit.count <= 2 else { return nil }
        var step = 1
        if stepSplit.count == 2 {
            guard let s = number(stepSplit[1]), s >= 1 else { return nil }
            step = s
        }
        let body = stepSplit[0]
        guard body.contains("-") else {
            guard stepSplit.count == 1, let n = number(body), n >= 1 else { return nil }
            return Item(first: n, last: n)
        }
        let ends = body.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
        guard ends.count == 2, !(ends[0].isEmpty && ends[1].isEmpty) else { return nil }
        // Open ends only for a lone range without a step (A- or -B).
        if ends[0].isEmpty || ends[1].isEmpty { guard alone, stepSplit.count == 1 else { return nil } }
        let first = ends[0].isEmpty ? 1 : number(ends[0])
        guard let first, first >= 1 else { return nil }
        if ends[1].isEmpty { return Item(first: first, last: nil) }
        guard let last = number(ends[1]), last >= first else { return nil }
        // A one-frame range has no step to keep: `12-12:2` is frame 12, as `12` is.
        return Item(first: first, last: last, step: first == last ? 1 : step)
    }

    /// Digits only (no sign, no spaces inside) that fit an Int; a frame far
    /// beyond a clip is the clip's to refuse, naming its length.
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// The frames a clip of `frameCount` frames has, as ascending runs of
    /// consecutive frames, each frame once; in time proportional to the
    /// items (and the frames of stepped ones), not to the ranges' lengths.
    public func runs(inClipOf frameCount: Int) -> [ClosedRange<Int>] {
        var pieces: [ClosedRange<Int>] = []
        for item in items {
            let end = min(item.last ?? frameCount, frameCount)
            guard item.first <= end else { continue }
            if item.step == 1 {
                pieces.append(item.first...end)
            } else {
                pieces += stride(from: item.first, through: end, by: item.step).map { $0...$0 }
            }
        }
        var merged: [ClosedRange<Int>] = []
        for piece in pieces.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, piece.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, piece.upperBound)
            } else {
                merged.append(piece)
            }
        }
        return merged
    }

    /// The frames a clip of `frameCount` frames has, ascending, each once.
    public func frames(inClipOf frameCount: Int) -> [Int] { runs(inClipOf: frameCount).flatMap { Array($0) } }

    /// Runs of consecutive frames of an ascending list: `[1,2,3,7,8]` → `[1...3, 7...8]`.
    public static func runs(of frames: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for f in frames {
            if let last = runs.last, f == last.upperBound + 1 { runs[runs.count - 1] = last.lowerBound...f } else { runs.append(f...f) }
        }
        return runs
    }

    /// The canonical text: `A-B`, `N`, `A-B:S`, `A-`, joined with commas.
    public var description: String {
        items.map { item in
            guard let last = item.last else { return "\(item.first)-" }
            if item.first == last { return "\(item.first)" }
            return "\(item.first)-\(last)" + (item.step == 1 ? "" : ":\(item.step)")
        }.joined(separator: ",")
    }
}
