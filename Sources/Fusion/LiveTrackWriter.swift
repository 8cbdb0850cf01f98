import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes a live take's emotion track and landmark sidecar row by row as
/// the take runs. Rows go to hidden partial files beside the final names,
/// at least every half second, and `finish()` renames them into place, so
/// the track is never half written under its name. Used from one thread.
public final class LiveTrackWriter {
    public let trackPath: String
    private let parts: [(partial: String, final: String, handle: FileHandle)]
    private var pending = ["", ""]
    private var lastFlush = DispatchTime.now().uptimeNanoseconds
    public private(set) var rows = 0

    public init(trackPath: String, pointCount: Int = 68) throws {
        self.trackPath = trackPath
        let landmarks = EmotionTrackFile.landmarksPath(forTrack: trackPath)
        var parts: [(String, String, FileHandle)] = []
        for (path, what) in [(trackPath, "emotion track"), (landmarks, "landmark sidecar")] {
            try AtomicFile.prepareOutput(path, what: what)
            let partial = AtomicFile.temporaryPath(for: path)
            guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
                throw EmpathyError.io(path: path, operation: "create the \(what)", errno: errno == 0 ? EACCES : errno)
            }
            parts.append((partial, path, handle))
        }
        self.parts = parts
        pending[0] = EmotionTrackFile.header
        pending[1] = EmotionTrackFile.encodeLandmarks([], pointCount: pointCount)
    }

    /// Appends frame `row.frameIndex` (frames must come 0, 1, 2, …).
    public func append(_ row: EmotionTrackRow, landmarks: [SIMD2<Double>]?) throws {
        if let failure { throw failure }
        pending[0] += EmotionTrackFile.encodeRow(row)
        pending[1] += EmotionTrackFile.encodeLandmarkRow(frameIndex: row.frameIndex, faceID: row.faceID,
                                                         points: row.faceFound ? landmarks : nil)
        rows += 1
        if DispatchTime.now().uptimeNanoseconds - lastFlush >= 500_000_000 { try flush() }
    }

    /// Bytes of whole rows on disk, per file; a failed write is cut back to them.
    private var goodLength = [UInt64](repeating: 0, count: 2)
    /// The first write failure (a full disk): later rows are dropped.
    public private(set) var failure: Error?

    public func flush() throws {
        lastFlush = DispatchTime.now().uptimeNanoseconds
        guard failure == nil else { return }
        for (index, part) in parts.enumerated() where !pending[index].isEmpty {
            let bytes = Data(pending[index].utf8)
            do {
                try part.handle.write(contentsOf: bytes)
                goodLength[index] += UInt64(bytes.count)
            } catch {
                let code = errno == 0 ? EIO : errno
                try? part.handle.truncate(atOffset: goodLength[index])
                failure = EmpathyError.io(path: part.final, operation: "write", errno: code)
                throw failure!
            }
            pending[index] = ""
        }
    }

    /// Writes what is left and moves both files into place; after a write
    /// failure, the rows written before it (whole rows only).
    public func finish() throws {
        try? flush()
        for part in parts {
            try? part.handle.close()
            guard rename(part.partial, part.final) == 0 else {
                throw EmpathyError.io(path: part.final, operation: "move into place", errno: errno)
            }
        }
    }

    /// Drops the partial files (the take could not start).
    public func abandon() {
        for part in parts {
            try? part.handle.close()
            unlink(part.partial)
        }
    }
}
