/// Splits a byte stream into lines, whatever the chunking: a line may arrive
/// one byte at a time or many lines at once. Lines end in `\n`; a trailing
/// `\r` is dropped. A line longer than `maximumLineBytes` is cut off and
/// reported once as `.tooLong`, and the bytes up to the next `\n` are dropped.
public struct LineFramer: Sendable {
    public enum Piece: Sendable, Equatable {
        case line([UInt8])
        case tooLong
    }

    public static let maximumLineBytes = 120

    private var pending: [UInt8] = []
    private var discarding = false

    public init() {}

    /// Appends bytes and returns the lines they complete, in order.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) -> [Piece] where Bytes.Element == UInt8 {
        var pieces: [Piece] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if discarding {
                    discarding = false
                } else {
                    if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                    pieces.append(.line(pending))
                }
                pending.removeAll(keepingCapacity: true)
                continue
            }
            if discarding { continue }
            pending.append(byte)
            if pending.count > Self.maximumLineBytes {
                pieces.append(.tooLong)
                pending.removeAll(keepingCapacity: true)
                discarding = true
            }
        }
        return pieces
    }

    /// Forgets a partial line (after a reconnect the rest of it never comes).
    public mutating func reset() {
        pending.removeAll()
        discarding = false
    }
}
