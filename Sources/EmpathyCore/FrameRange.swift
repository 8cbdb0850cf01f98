/// An inclusive range of frame numbers as users write it: `A-B`, `A-` (to the
/// end), `-B` (from the first), or a single `N`. Frames are numbered from 1,
/// as in an editor's timeline.
public struct FrameRange: Sendable, Equatable, CustomStringConvertible {
    public let first: Int
    public let last: Int?

    public init(first: Int = 1, last: Int? = nil) {
        self.first = first
        self.last = last
    }

    /// Parses `A-B`, `A-`, `-B` or `N`.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.contains("-"), let n = Int(trimmed) {
            guard n >= 1 else { return nil }
            self.init(first: n, last: n)
            return
        }
        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty) else { return nil }
        let a = parts[0].isEmpty ? 1 : Int(parts[0])
        let b: Int?? = parts[1].isEmpty ? .some(nil) : Int(parts[1]).map { .some($0) }
        guard let first = a, first >= 1, let lastOpt = b else { return nil }
        if let last = lastOpt, last < first { return nil }
        self.init(first: first, last: lastOpt)
    }

    /// Clamps the range to a clip of `frameCount` frames; nil when nothing is left.
    public func clamped(toFrameCount frameCount: Int) -> ClosedRange<Int>? {
        let end = min(last ?? frameCount, frameCount)
        guard first <= end else { return nil }
        return first...end
    }

    public var description: String {
        if let last { return first == last ? "\(first)" : "\(first)-\(last)" }
        return "\(first)-"
    }
}

import Foundation
