import EmpathyCore
import Foundation
import XCTest

@testable import ImageSequence

final class SequenceWriterTests: XCTestCase {
    private let naming = SequenceNaming(stem: "scene")

    /// Frame `number`'s picture: random content seeded by its number.
    private func frame(_ number: Int, width: Int = 23, height: Int = 9) -> RGBAImage {
        Self.frameImage(number, width: width, height: height)
    }

    private static func frameImage(_ number: Int, width: Int, height: Int) -> RGBAImage {
        TestImages.random(width: width, height: height, seed: UInt64(number), rowOrder: number % 2 == 0 ? .bottomUp : .topDown)
    }

    private func assertFrameOnDisk(_ writer: SequenceWriter, _ number: Int, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let decoded = try PNGCodec.read(path: writer.path(number: number))
            assertImagesEqual(
                decoded, TestImages.expectedDecode(of: frame(number), keepAlpha: (writer.encoder as? PNGEncoder)?.options.keepAlpha ?? false),
                "frame \(number)", file: file, line: line)
        } catch {
            XCTFail("frame \(number): \(error)", file: file, line: line)
        }
    }

    private func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    func testWritesEveryFrameWithStatsAndNoTemporaryFiles() throws {
        let dir = try makeTemporaryDirectory(self) + "/deep/er/out"
        let writer = try SequenceWriter(directory: dir, naming: naming, maxConcurrentEncodes: 2)
        for number in 1...5 { try writer.submit(frame(number), number: number) }
        let stats = try writer.finish()
        XCTAssertEqual(stats.framesWritten, 5)
        XCTAssertEqual(stats.framesSkipped, 0)
        XCTAssertGreaterThan(stats.encodeSeconds, 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, (1...5).map { naming.fileName(number: $0) })
        let total = try names.reduce(0) { sum, name in
            sum + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + name))[.size] as? Int ?? 0)
        }
        XCTAssertEqual(stats.bytesWritten, total)
        for number in 1...5 { assertFrameOnDisk(writer, number) }
    }

    func testPathJoinsFolderAndFrameName() throws {
        let dir = try makeTemporaryDirectory(self)
        let writer = try SequenceWriter(directory: dir + "/out/", naming: try SequenceNaming(pattern: "shot_%03d.png"))
        XCTAssertEqual(writer.path(number: 7), dir + "/out/shot_007.png")
    }

    func testSkipsCompleteFramesAndRedoesTruncatedOnes() throws {
        let dir = try makeTemporaryDirectory(self)
        let first = try SequenceWriter(directory: dir, naming: naming)
        for number in 1...3 { try first.submit(frame(number), number: number) }
        _ = try first.finish()
        // A killed run left frame 2 cut short.
        let path2 = first.path(number: 2)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path2)))
        try AtomicFile.write(Array(bytes.prefix(bytes.count - 5)), to: path2)
        let inode1 = inode(first.path(number: 1))

        let second = try SequenceWriter(directory: dir, naming: naming)
        XCTAssertEqual((1...4).map { second.isComplete(number: $0) }, [true, false, true, false])
        for number in 1...4 {
            if second.isComplete(number: number) {
                second.noteSkipped()
            } else {
                try second.submit(frame(number), number: number)
            }
        }
        let stats = try second.finish()
        XCTAssertEqual(stats.framesWritten, 2)
        XCTAssertEqual(stats.framesSkipped, 2)
        XCTAssertEqual(inode(second.path(number: 1)), inode1, "a complete frame must not be rewritten")
        for number in 1...4 { assertFrameOnDisk(second, number) }
    }

    func testOverwriteRewritesCompleteFrames() throws {
        let dir = try makeTemporaryDirectory(self)
        let path = dir + "/" + naming.fileName(number: 1)
        try PNGCodec.write(frame(99), to: path)
        let writer = try SequenceWriter(directory: dir, naming: naming, overwrite: true)
        XCTAssertFalse(writer.isComplete(number: 1))
        try writer.submit(frame(1), number: 1)
        XCTAssertEqual(try writer.finish().framesWritten, 1)
        assertFrameOnDisk(writer, 1)
    }

    func testFailingWriteLeavesNoFileWithTheFinalNameAndIsReported() throws {
        let dir = try makeTemporaryDirectory(self)
        let writer = try SequenceWriter(directory: dir, naming: naming)
        // The target of frame 2 is a folder (with a file in it), so the rename fails.
        let blocked = writer.path(number: 2)
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        try AtomicFile.write("keep", to: blocked + "/keep.txt")
        try writer.submit(frame(1), number: 1)
        try writer.submit(frame(2), number: 2)
        XCTAssertThrowsError(try writer.finish()) { error in
            XCTAssertTrue("\(error)".contains(blocked), "must name the frame: \(error)")
        }
        XCTAssertThrowsError(try writer.submit(frame(3), number: 3), "a later submit must rethrow the failure")
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: blocked, isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertFalse(writer.isComplete(number: 2))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, [naming.fileName(number: 1), naming.fileName(number: 2)], "no temporary files, no frame 3")
        assertFrameOnDisk(writer, 1)
    }

    func testUnwritableFolderFailsAtInitWithOneClearLine() throws {
        let dir = try makeTemporaryDirectory(self)
        let regularFile = dir + "/notes.txt"
        try AtomicFile.write("not a folder", to: regularFile)
        let cases: [(String, String)] = [
            (regularFile + "/out", "ENOTDIR"),
            (regularFile, "not a folder"),
            ("/proc/empathy-frames", "ENOENT"),
        ]
        for (path, reason) in cases {
            XCTAssertThrowsError(try SequenceWriter(directory: path, naming: naming), path) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path), "must name the folder: \(message)")
                XCTAssertTrue(message.contains(reason), "\(path) should say \(reason): \(message)")
                XCTAssertTrue(message.contains("choose"), "must say what to do: \(message)")
                XCTAssertFalse(message.contains("\n"), "one line: \(message)")
            }
        }
    }

    func testInitRejectsBadSettings() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try SequenceWriter(directory: dir, naming: naming, maxConcurrentEncodes: 0)) { error in
            XCTAssertTrue("\(error)".contains("maxConcurrentEncodes"), "\(error)")
        }
        XCTAssertThrowsError(
            try SequenceWriter(directory: dir, naming: naming, options: PNGOptions(encoder: .libpng, compressionLevel: 11)))
    }

    func testStaleTemporaryFilesAreRemovedAndNeverTakenForFrames() throws {
        let dir = try makeTemporaryDirectory(self)
        // pid_max on Linux is at most 4194304, so this process cannot exist.
        let deadPid = 4_194_305
        let stale = dir + "/.scene.0001.png.\(deadPid).tmp.12345"
        let fresh = dir + "/.scene.0002.png.\(deadPid).tmp.678"
        let live = dir + "/.scene.0003.png.\(getpid()).tmp.9"
        let unrelated = dir + "/.notes.tmp"
        let complete = try PNGCodec.encode(frame(1))
        for path in [stale, fresh, live, unrelated] { try AtomicFile.write(complete, to: path) }
        var old = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, stale, &old, 0), 0)

        let writer = try SequenceWriter(directory: dir, naming: naming)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "a dead run's old temporary file is removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh),
                       "a dead run's recent one too: the sequence lock says no other run writes here")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live))
        XCTAssertTrue(FileManager.default.fileExists(atPath: unrelated))
        XCTAssertEqual((1...3).map { writer.isComplete(number: $0) }, [false, false, false])
    }

    func testTemporaryFileOwnerParsesAtomicFileNames() {
        let table: [(String, pid_t?)] = [
            (".scene.0001.png.123.tmp.456", 123),
            (".scene.0001.png.123.tmp", 123),
            ("scene.0001.png", nil),
            (".scene.0001.png.abc.tmp.1", nil),
            (".other.0001.png.123.tmp.1", nil),
            (".scene.0001.png.123.bak", nil),
        ]
        for (name, pid) in table {
            XCTAssertEqual(SequenceWriter.temporaryFileOwner(name, naming: naming), pid, name)
        }
    }

    func testConcurrentSubmitsOfManyFramesWriteEveryFrameCorrectly() throws {
        let dir = try makeTemporaryDirectory(self)
        let writer = try SequenceWriter(directory: dir, naming: naming, maxConcurrentEncodes: 3)
        let frameCount = 60
        let failures = FailureList()
        // Several threads submit at once, each a different slice of frames.
        DispatchQueue.concurrentPerform(iterations: 4) { slice in
            for number in stride(from: slice + 1, through: frameCount, by: 4) {
                do { try writer.submit(Self.frameImage(number, width: 41, height: 17), number: number) } catch { failures.add("\(error)") }
            }
        }
        let stats = try writer.finish()
        XCTAssertEqual(failures.all, [])
        XCTAssertLessThanOrEqual(writer.peakEncodesInFlight, 3, "back-pressure must cap encodes in flight")
        XCTAssertGreaterThanOrEqual(writer.peakEncodesInFlight, 1)
        XCTAssertEqual(stats.framesWritten, frameCount)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, (1...frameCount).map { naming.fileName(number: $0) })
        for number in 1...frameCount {
            let decoded = try PNGCodec.read(path: writer.path(number: number))
            assertImagesEqual(
                decoded, TestImages.expectedDecode(of: frame(number, width: 41, height: 17), keepAlpha: false), "frame \(number)")
        }
    }

    /// Two writers sharing a live take's lowered-priority encoder threads:
    /// every frame written and decoding to what was submitted, each encode at
    /// the threads' nice value while the submitting thread keeps its own,
    /// the backlog capped by the writer's bound, and `stop` returning only
    /// when the threads are gone.
    func testEncoderThreadsWriteEveryFrameAtTheirLowerPriority() throws {
        let dir = try makeTemporaryDirectory(self)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let ownNice = getpriority(which, 0)
        let threads = EncoderThreads(count: 2, niceness: min(ownNice + 7, 19), name: "test-encoder")
        let niceValues = Locked<Set<Int32>>([])
        let a = try SequenceWriter(directory: dir, naming: naming, maxConcurrentEncodes: 4, threads: threads)
        let b = try SequenceWriter(directory: dir, naming: SequenceNaming(stem: "other"), maxConcurrentEncodes: 4, threads: threads)
        for number in 1...24 {
            try a.submit(.rgba8(Self.frameImage(number, width: 41, height: 17)), number: number) {
                niceValues.update { _ = $0.insert(getpriority(which, 0)) }
            }
            try b.submit(Self.frameImage(number + 100, width: 41, height: 17), number: number)
        }
        XCTAssertEqual(try a.finish().framesWritten, 24)
        XCTAssertEqual(try b.finish().framesWritten, 24)
        threads.stop()
        XCTAssertEqual(niceValues.get(), [min(ownNice + 7, 19)], "every encode ran at the threads' nice value")
        XCTAssertEqual(getpriority(which, 0), ownNice, "the submitting thread keeps its priority")
        XCTAssertLessThanOrEqual(a.peakEncodesInFlight, 2, "two threads encode at most two frames at once")
        for number in [1, 13, 24] {
            assertImagesEqual(try PNGCodec.read(path: a.path(number: number)),
                              TestImages.expectedDecode(of: frame(number, width: 41, height: 17), keepAlpha: false), "frame \(number)")
            assertImagesEqual(try PNGCodec.read(path: b.path(number: number)),
                              TestImages.expectedDecode(of: frame(number + 100, width: 41, height: 17), keepAlpha: false), "other \(number)")
        }
    }

    /// `framesPending` counts the frames submitted and not yet written: all
    /// of them while the one encoder thread is held, none after `finish`.
    func testFramesPendingCountsSubmittedFramesUntilTheyAreWritten() throws {
        let dir = try makeTemporaryDirectory(self)
        let threads = EncoderThreads(count: 1, niceness: 0, name: "test-encoder")
        defer { threads.stop() }
        let held = DispatchSemaphore(value: 0)
        threads.run { held.wait() }
        let writer = try SequenceWriter(directory: dir, naming: naming, maxConcurrentEncodes: 4, threads: threads)
        XCTAssertEqual(writer.framesPending, 0)
        for number in 1...3 { try writer.submit(Self.frameImage(number, width: 9, height: 5), number: number) }
        XCTAssertEqual(writer.framesPending, 3, "the thread is held: nothing written yet")
        held.signal()
        XCTAssertEqual(try writer.finish().framesWritten, 3)
        XCTAssertEqual(writer.framesPending, 0)
    }

    /// Writers of the same sequence exclude each other by file number: a
    /// second writer of numbers another holds is refused with one line naming
    /// them (in this process too); writers of other numbers (a farm's chunks)
    /// go on side by side; the lock file goes when the last one finishes.
    func testWritersOfOneSequenceExcludeEachOtherByFileNumber() throws {
        let dir = try makeTemporaryDirectory(self)
        let first = try SequenceWriter(directory: dir, naming: naming, numbers: [1...4, 9...9])
        XCTAssertThrowsError(try SequenceWriter(directory: dir, naming: naming, numbers: [4...6])) { error in
            XCTAssertEqual("\(error)", "another run is writing '\(dir)/scene.….png' numbers 1-4, which this run would write too; wait for it to finish, or write elsewhere with --out")
        }
        XCTAssertThrowsError(try SequenceWriter(directory: dir, naming: naming), "a writer of every number")
        let second = try SequenceWriter(directory: dir, naming: naming, numbers: [5...8, 10...12])
        XCTAssertNoThrow(try SequenceWriter(directory: dir, naming: SequenceNaming(stem: "other")), "another sequence in the folder is fine")
        _ = try first.finish()
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/.scene.lock"), "the second writer still holds numbers")
        XCTAssertThrowsError(try SequenceWriter(directory: dir, naming: naming, numbers: [12...20])) { error in
            XCTAssertTrue("\(error)".contains("numbers 10-12"), "\(error)")
        }
        XCTAssertNoThrow(try SequenceWriter(directory: dir, naming: naming, numbers: [1...4]).finish(), "the first's numbers are free again")
        _ = try second.finish()
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/.scene.lock"))
        XCTAssertNoThrow(try SequenceWriter(directory: dir, naming: naming).finish())
    }
}

/// Errors collected from several threads; guarded by a lock, hence `@unchecked Sendable`.
final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
