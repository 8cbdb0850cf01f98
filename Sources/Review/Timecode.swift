import EmpathyCore
import Foundation

/// SMPTE non-drop-frame timecode, HH:MM:SS:FF, counted at the clip's
/// nominal rate (its frame rate rounded: 23.976 and 24 count 24 frames a
/// second, 29.97 and 30 count 30), as an editor's timeline shows it.
///
/// Drop-frame timecode (29.97 and 59.94 with `;`) is not written: every
/// timecode here counts frames exactly, which is what the marker exports
/// need to land on a frame, and a non-drop EDL says so in its `FCM:` line.
public struct Timecode: Sendable, Equatable, CustomStringConvertible {
    /// Frames since 00:00:00:00 at `framesPerSecond`.
    public let frames: Int
    /// The nominal rate: whole frames per timecode second.
    public let framesPerSecond: Int

    public init(frames: Int, framesPerSecond: Int) {
        self.frames = frames
        self.framesPerSecond = framesPerSecond
    }

    /// The nominal rate of a clip running at `rate` frames a second.
    public static func nominalRate(_ rate: Double) -> Int { max(1, Int(rate.rounded())) }

    /// Parses `HH:MM:SS:FF`; nil for anything else, or a field out of range.
    public init?(parsing text: String, framesPerSecond: Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
              let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]), let f = Int(parts[3]),
              (0..<24).contains(h), (0..<60).contains(m), (0..<60).contains(s), (0..<framesPerSecond).contains(f)
        else { return nil }
        self.init(frames: ((h * 60 + m) * 60 + s) * framesPerSecond + f, framesPerSecond: framesPerSecond)
    }

    /// A clip's `--start-timecode` at the clip's `rate`; one line naming the
    /// option when `text` is not a timecode of that rate.
    public static func start(_ text: String, clipRate rate: Double) throws -> Timecode {
        let nominal = nominalRate(rate)
        guard let start = Timecode(parsing: text, framesPerSecond: nominal) else {
            throw EmpathyError.invalidArgument(
                "--start-timecode '\(text)' must be HH:MM:SS:FF with frames below \(nominal) (non-drop-frame)")
        }
        return start
    }

    /// `HH:MM:SS:FF`, wrapping at 24 hours as a timecode does.
    public var description: String {
        let day = 24 * 3600 * framesPerSecond
        let n = ((frames % day) + day) % day
        let f = n % framesPerSecond, s = n / framesPerSecond
        return String(format: "%02d:%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60, f)
    }

    public static func + (a: Timecode, frames: Int) -> Timecode {
        Timecode(frames: a.frames + frames, framesPerSecond: a.framesPerSecond)
    }
}
