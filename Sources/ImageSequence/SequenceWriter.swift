import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How frames of a sequence are named: `<prefix><number zero-padded to padding digits><suffix>`,
/// e.g. `scene.0001.png` or `scene.0001.exr`. Negative numbers keep the sign inside the width, as printf does.
public struct SequenceNaming: Sendable, Equatable {
    public let prefix: String
    public let suffix: String
    /// Minimum digit count; 0 means no padding (`%d`).
    public let padding: Int
    public let startNumber: Int

    /// `"<stem>.<number>.<fileExtension>"`, e.g. `SequenceNaming(stem: "scene")` → `scene.0001.png`.
    public init(stem: String, padding: Int = 4, startNumber: Int = 1, fileExtension: String = "png") {
        self.prefix = stem + "."
        self.suffix = "." + fileExtension
        self.padding = max(0, padding)
        self.startNumber = startNumber
    }

    /// A printf-style file name with exactly one `%0Nd` or `%d` (N ≤ 12), e.g.
    /// `scene.%04d.png`; `%%` is a literal percent sign. The name must end in
    /// `.<fileExtension>` and must not contain `/`.
    public init(pattern: String, startNumber: Int = 1, fileExtension: String = "png") throws {
        func reject(_ why: String) -> EmpathyError {
            .invalidArgument(
                "bad frame name pattern '\(pattern)': \(why); write it like 'scene.%04d.\(fileExtension)'")
        }
        guard !pattern.contains("/") else { throw reject("it must be a file name, without '/'") }
        guard pattern.lowercased().hasSuffix("." + fileExtension) else { throw reject("it must end in '.\(fileExtension)'") }
        var prefix = ""
        var suffix = ""
        var padding: Int?
        var chars = Array(pattern)[...]
        while let ch = chars.popFirst() {
            guard ch == "%" else {
                if padding == nil { prefix.append(ch) } else { suffix.append(ch) }
                continue
            }
            if chars.first == "%" {
                chars.removeFirst()
                if padding == nil { prefix.append("%") } else { suffix.append("%") }
                continue
            }
            var digits = ""
            while let d = chars.first, d.isASCII, d.isNumber {
                digits.append(d)
                chars.removeFirst()
            }
            guard chars.popFirst() == "d" else {
                throw reject("only %d or %0Nd (e.g. %04d) is allowed after '%'")
            }
            guard padding == nil else { throw reject("it has more than one frame number") }
            if digits.isEmpty {
                padding = 0
            } else {
                guard digits.hasPrefix("0") || digits == "0", let width = Int(digits), width <= 12 else {
                    throw reject("the width must be written %0Nd with N from 1 to 12")
                }
                padding = width
            }
        }
        guard let padding else { throw reject("it has no frame number (%d or %0Nd)") }
        self.prefix = prefix
        self.suffix = suffix
        self.padding = padding
        self.startNumber = startNumber
    }

    public func fileName(number: Int) -> String {
        let digits = String(number.magnitude)
        let sign = number < 0 ? "-" : ""
        let width = max(0, padding - sign.count)
        let zeros = digits.count < width ? String(repeating: "0", count: width - digits.count) : ""
        return prefix + sign + zeros + digits + suffix
    }
}

public struct SequenceStats: Sendable {
    public var framesWritten: Int
    public var framesSkipped: Int
    public var bytesWritten: Int
    /// Sum over frames of the time spent encoding and writing the file; with
    /// several encodes in flight this exceeds the wall-clock time.
    public var encodeSeconds: Double
}

/// Encodes frames on a bounded pool of threads and writes each atomically,
/// in the format of its `FrameEncoder`.
///
/// `submit` hands the frame to a worker and returns; at most
/// `maxConcurrentEncodes` frames are encoded at once, and a further `submit`
/// blocks until one finishes (back-pressure keeps memory bounded). Each file is
/// written to a hidden temporary file in the same folder and renamed into
/// place, so a frame file exists only when complete.
///
/// Shared between the submitting thread and the workers: the mutable state
/// (`firstError`, `stats`) is guarded by `lock`, so the class is
/// `@unchecked Sendable`.
public final class SequenceWriter: @unchecked Sendable {
    public let directory: String
    public let naming: SequenceNaming
    public let encoder: any FrameEncoder
    public let overwrite: Bool
    public let maxConcurrentEncodes: Int

    private let lock = NSLock()
    private var firstError: Error?
    private var stats = SequenceStats(framesWritten: 0, framesSkipped: 0, bytesWritten: 0, encodeSeconds: 0)
    private var encodesInFlight = 0
    private var pending = 0
    /// Frames submitted and not yet on disk (or failed): waiting or encoding.
    public var framesPending: Int { lock.withLock { pending } }
    /// Most encodes ever running at once (never above `maxConcurrentEncodes`).
    var peakEncodesInFlight: Int { lock.withLock { peak } }
    private var peak = 0
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "empathy.sequence-writer", attributes: .concurrent)
    private let threads: EncoderThreads?

    /// The open lock file while this writer owns the sequence (`finish` lets go).
    private var lockDescriptor: Int32 = -1

    /// Creates `directory` (with parents), checks it is writable by creating
    /// and removing a probe file, locks the file numbers it will write
    /// (`numbers`; nil: all of them), and then removes temporary frame files
    /// left by a killed run (their process is gone). Runs writing other
    /// numbers of the same sequence go on side by side (a farm's chunks); a
    /// run that would write a number another run holds is refused with one
    /// line naming that run. Other runs' temporary files are never taken for
    /// frames: completeness is checked on the final names only.
    ///
    /// Encodes run on the shared dispatch pool, or on `threads` when given
    /// (a live take's lowered-priority encoders); then `maxConcurrentEncodes`
    /// bounds the frames waiting for those threads or encoding on them.
    public convenience init(
        directory: String, naming: SequenceNaming, options: PNGOptions = .default, overwrite: Bool = false,
        numbers: [ClosedRange<Int>]? = nil, maxConcurrentEncodes: Int = ProcessInfo.processInfo.activeProcessorCount,
        threads: EncoderThreads? = nil
    ) throws {
        try self.init(directory: directory, naming: naming, encoder: try PNGEncoder(options: options), overwrite: overwrite,
                      numbers: numbers, maxConcurrentEncodes: maxConcurrentEncodes, threads: threads)
    }

    public init(
        directory: String, naming: SequenceNaming, encoder: any FrameEncoder, overwrite: Bool = false,
        numbers: [ClosedRange<Int>]? = nil, maxConcurrentEncodes: Int = ProcessInfo.processInfo.activeProcessorCount,
        threads: EncoderThreads? = nil
    ) throws {
        guard naming.suffix.lowercased().hasSuffix("." + encoder.format.fileExtension) else {
            throw EmpathyError.invalidArgument(
                "frame names ending '\(naming.suffix)' do not suit \(encoder.format.rawValue) frames; end them in '.\(encoder.format.fileExtension)'")
        }
        guard maxConcurrentEncodes >= 1 else {
            throw EmpathyError.invalidArgument(
                "maxConcurrentEncodes must be at least 1 (got \(maxConcurrentEncodes))")
        }
        var dir = directory.isEmpty ? "." : directory
        while dir.count > 1, dir.hasSuffix("/") { dir.removeLast() }
        self.directory = dir
        self.naming = naming
        self.encoder = encoder
        self.overwrite = overwrite
        self.maxConcurrentEncodes = maxConcurrentEncodes
        self.threads = threads
        self.slots = DispatchSemaphore(value: maxConcurrentEncodes)

        try AtomicFile.makeDirectories(dir)
        let probe = dir + "/.empathy-write-probe.\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let failure = EmpathyError.io(path: dir, operation: "write frames to", errno: errno)
            throw EmpathyError.message("\(failure); choose an output folder you can write to")
        }
        close(fd)
        unlink(probe)
        try lockSequence(numbers: numbers)
        removeStaleTemporaryFiles()
    }

    deinit { unlockSequence() }

    /// Open-file-description record locks (Linux `F_OFD_SETLK`) on
    /// `<directory>/.<stem>.lock`, one byte per file number: the bytes of the
    /// numbers this writer writes, held for its life. Disjoint writers do not
    /// conflict; an overlapping one is refused, naming the numbers held. OFD
    /// locks belong to the open file, not the process, so two writers in one
    /// process exclude each other too, and closing one never drops the
    /// other's. They go with the process, so a killed run never leaves
    /// numbers locked; the last writer to finish removes the file. Linux's
    /// NFS client passes them to the server's lock manager.
    private func lockSequence(numbers: [ClosedRange<Int>]?) throws {
        for _ in 0..<8 where lockDescriptor < 0 { try lockSequenceOnce(numbers: numbers) }
        guard lockDescriptor >= 0 else {
            throw EmpathyError.message("cannot lock '\(lockPath)': it keeps being replaced; is another program removing files there?")
        }
    }

    private var lockPath: String { directory + "/." + naming.prefix + "lock" }

    /// Linux's open-file-description lock commands (fcntl.h, not in Swift's Glibc module).
    private static let getLock: Int32 = 36, setLock: Int32 = 37

    /// A write lock on `count` bytes from `start` (0: to the end and beyond).
    private static func record(_ start: Int, _ count: Int) -> flock {
        var record = flock()
        record.l_type = Int16(F_WRLCK)
        record.l_whence = Int16(SEEK_SET)
        record.l_start = off_t(start)
        record.l_len = off_t(count)
        return record
    }

    /// One attempt; leaves `lockDescriptor` unset when the file was removed
    /// by a finishing run between our open and our lock (then try again).
    private func lockSequenceOnce(numbers: [ClosedRange<Int>]?) throws {
        let path = lockPath
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EmpathyError.io(path: path, operation: "create the sequence lock", errno: errno) }
        for range in numbers?.map({ (max(0, $0.lowerBound), $0.count) }) ?? [(0, 0)] {
            var record = Self.record(range.0, range.1)
            guard fcntl(fd, Self.setLock, &record) != 0 else { continue }
            let code = errno
            var holder = Self.record(range.0, range.1)
            let held = fcntl(fd, Self.getLock, &holder) == 0 && holder.l_type != Int16(F_UNLCK)
                ? " \(holder.l_start)" + (holder.l_len == 0 ? " on" : holder.l_len > 1 ? "-\(holder.l_start + holder.l_len - 1)" : "") : ""
            close(fd)  // lets go of the ranges already locked
            guard code == EAGAIN || code == EACCES else { throw EmpathyError.io(path: path, operation: "lock", errno: code) }
            throw EmpathyError.message(
                "another run is writing '\(directory)/\(naming.prefix)…\(naming.suffix)' numbers\(held), which this run would write too; wait for it to finish, or write elsewhere with --out")
        }
        var held = stat(), named = stat()
        guard fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else {
            close(fd)
            return
        }
        lockDescriptor = fd
    }

    private func unlockSequence() {
        let fd = lock.withLock { () -> Int32 in
            defer { lockDescriptor = -1 }
            return lockDescriptor
        }
        guard fd >= 0 else { return }
        // The whole file locked means no other run holds any number: the
        // file goes (while still locked: a run waiting on it sees it gone and retries).
        var whole = Self.record(0, 0)
        if fcntl(fd, Self.setLock, &whole) == 0 { unlink(lockPath) }
        close(fd)
    }

    public func path(number: Int) -> String {
        directory + "/" + naming.fileName(number: number)
    }

    public func isComplete(number: Int) -> Bool {
        !overwrite && encoder.isComplete(path: path(number: number))
    }

    /// Queues `image` to be encoded and written as frame `number`. Blocks while
    /// `maxConcurrentEncodes` encodes are in flight. Throws the first failure
    /// of an earlier frame, if any, without queueing this one.
    public func submit(_ image: RGBAImage, number: Int) throws {
        try submit(.rgba8(image), number: number)
    }

    /// Queues a frame of either precision (see `submit(_:number:)` above);
    /// `written` is called once it is on disk.
    public func submit(_ frame: EncodableFrame, number: Int, written: (@Sendable () -> Void)? = nil) throws {
        if let error = lock.withLock({ firstError }) { throw error }
        slots.wait()
        if let error = lock.withLock({ firstError }) {
            slots.signal()
            throw error
        }
        let target = path(number: number)
        let encoder = encoder
        group.enter()
        lock.withLock { pending += 1 }
        let job: @Sendable () -> Void = { [self] in
            defer {
                lock.withLock { pending -= 1 }
                slots.signal()
                group.leave()
            }
            lock.withLock {
                encodesInFlight += 1
                peak = max(peak, encodesInFlight)
            }
            defer { lock.withLock { encodesInFlight -= 1 } }
            do {
                let start = DispatchTime.now().uptimeNanoseconds
                var count = 0
                try AtomicFile.write(to: target) { file in
                    count = try encoder.write(frame, to: file, reportingAs: target)
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                lock.withLock {
                    stats.framesWritten += 1
                    stats.bytesWritten += count
                    stats.encodeSeconds += seconds
                }
                written?()
            } catch {
                lock.withLock { if firstError == nil { firstError = error } }
            }
        }
        if let threads { threads.run(job) } else { queue.async(execute: job) }
    }

    /// Waits for every submitted frame; throws the first failure.
    public func finish() throws -> SequenceStats {
        let (stats, error) = finishCounting()
        if let error { throw error }
        return stats
    }

    /// Waits for the frames in flight and returns what was written, with the
    /// first failure, if any: after a failure (a full disk) the frames
    /// written before it are still counted, as they are on disk.
    public func finishCounting() -> (stats: SequenceStats, firstError: Error?) {
        group.wait()
        unlockSequence()
        return lock.withLock { (stats, firstError) }
    }

    public func noteSkipped() {
        lock.withLock { stats.framesSkipped += 1 }
    }

    /// Removes `.<frame name>.<pid>.tmp*` files (AtomicFile's temporary names)
    /// whose frame name matches this sequence and whose process no longer
    /// runs here. Called with the sequence locked, so no other run (on this
    /// host, or another honouring the lock on shared storage) is writing them.
    private func removeStaleTemporaryFiles() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            guard let pid = Self.temporaryFileOwner(name, naming: naming), AtomicFile.isGone(pid) else { continue }
            AtomicFile.removeRegularFile(directory + "/" + name)
        }
    }

    /// The pid in a temporary frame name `.<prefix…suffix>.<pid>.tmp[.<n>]`, or nil.
    static func temporaryFileOwner(_ name: String, naming: SequenceNaming) -> pid_t? {
        guard let (file, pid) = AtomicFile.parseTemporaryName(name),
              file.hasPrefix(naming.prefix), file.hasSuffix(naming.suffix) else { return nil }
        return pid
    }
}
