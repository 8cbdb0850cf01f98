import CVShim
import EmpathyCore
import Footage
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class VideoSourceBadInputTests: XCTestCase {
    // MARK: Files that do not open

    func testBadFilesEachGiveOneLineMessageNamingTheFile() throws {
        let folder = try makeTemporaryFolder(self)
        let notVideo = "This is a shot list, not a video.\n"
        let cases: [(name: String, make: (String) throws -> Void, expected: (String) -> String)] = [
            (
                "missing.mp4", { _ in },
                { "cannot open clip '\($0)': No such file or directory (ENOENT)" }
            ),
            (
                "a-folder.mp4", { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: false) },
                { "'\($0)': is a folder, not a clip; name a video file, a still image, or an image sequence pattern such as 'folder/shot.%04d.png'" }
            ),
            (
                "text-renamed.mp4", { try Data(notVideo.utf8).write(to: URL(fileURLWithPath: $0)) },
                { "'\($0)': not a video FFmpeg can open (wrong format, or a truncated file whose index is missing); check that it plays, or export it again" }
            ),
            (
                "empty.mp4", { _ = FileManager.default.createFile(atPath: $0, contents: Data()) },
                { "'\($0)': is empty (0 bytes); the export or copy did not finish, make it again" }
            ),
            (
                "a-pipe.mp4", { XCTAssertEqual(mkfifo($0, 0o644), 0) },
                { "'\($0)': is not a regular file (a pipe, socket or device); save the clip to a file first" }
            ),
            (
                // The index (moov atom) is written last: cut in half, the file has none.
                "index-at-end-cut-in-half.mp4",
                { path in
                    let whole = folder + "/index-at-end.mp4"
                    try ffmpeg(["-i", demoClipPath, "-c", "copy", "-movflags", "-faststart", whole])
                    try writePrefix(of: whole, byteCount: try fileSize(whole) / 2, to: path)
                },
                { "'\($0)': not a video FFmpeg can open (wrong format, or a truncated file whose index is missing); check that it plays, or export it again" }
            ),
            (
                "cut-short.png",
                { path in
                    let whole = folder + "/whole.png"
                    try ffmpeg(["-i", demoClipPath, "-frames:v", "1", whole])
                    try writePrefix(of: whole, byteCount: 2000, to: path)
                },
                { "'\($0)': it looks like an image but OpenCV cannot decode it; the file may be truncated or corrupt" }
            ),
            (
                "nothing.%04d.png", { _ in },
                { "'\($0)': no files match the sequence pattern in folder '\(folder)'" }
            ),
            (
                "no-such-folder/shot.%04d.png", { _ in },
                { "'\($0)': cannot list folder '\(folder)/no-such-folder': No such file or directory" }
            ),
        ]
        for testCase in cases {
            let path = folder + "/" + testCase.name
            try testCase.make(path)
            let message = errorMessage({ try VideoSource(path: path) })
            XCTAssertEqual(message, testCase.expected(path), testCase.name)
            XCTAssertEqual(message?.contains("\n"), false, "\(testCase.name): message spans lines")
        }
    }

    /// Running as root reads any file whatever its mode, so the check runs in
    /// a child process as the unprivileged user `nobody` (65534): this same
    /// test, in this same test binary, where the non-root branch does the work.
    func testUnreadableFileSaysPermissionDenied() throws {
        if geteuid() != 0 {
            let folder = try makeTemporaryFolder(self)
            let path = folder + "/locked.mp4"
            try Data("any bytes; the mode is what matters".utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(chmod(path, 0o000), 0)
            XCTAssertEqual(
                errorMessage({ try VideoSource(path: path) }),
                "cannot read clip '\(path)': Permission denied (EACCES)")
            return
        }
        let testBinary = try XCTUnwrap(Bundle.main.executablePath)
        let result = try runCommand(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--", testBinary,
                "FootageTests.VideoSourceBadInputTests/testUnreadableFileSaysPermissionDenied",
            ])
        let output = result.standardOutput + result.standardError
        XCTAssertEqual(
            result.status, 0,
            "child test as nobody failed (it needs to read \(testBinary) and write the temporary folder):\n\(output)")
        XCTAssertTrue(
            output.contains("Executed 1 test, with 0 failures"),
            "child did not run exactly this test:\n\(output)")
    }

    // MARK: Truncated videos

    /// Cut in half, each container still promises its frame count (MP4 with
    /// the index first, Matroska from its header duration; a transport
    /// stream estimates from the last timestamp it finds), and decoding
    /// stops early: the read must throw, naming the frame (1-based).
    func testTruncatedVideoThrowsNamingTheFrameWhereDecodingStopped() throws {
        let folder = try makeTemporaryFolder(self)
        let containers: [(name: String, promised: Int?)] = [
            ("index-first.mp4", 96), ("cut.mkv", 96), ("cut.ts", nil),
        ]
        for container in containers {
            let whole = folder + "/whole-" + container.name
            let cut = folder + "/" + container.name
            let indexFirst = container.name.hasSuffix(".mp4") ? ["-movflags", "+faststart"] : []
            try ffmpeg(["-i", demoClipPath, "-c", "copy"] + indexFirst + [whole])
            try writePrefix(of: whole, byteCount: try fileSize(whole) / 2, to: cut)

            let source = try VideoSource(path: cut)
            if let promised = container.promised {
                XCTAssertEqual(source.info.frameCount, promised, container.name)
            }
            var image = RGBAImage(width: 640, height: 360)
            var framesRead = 0
            var message: String?
            do {
                while try source.read(into: &image) { framesRead += 1 }
            } catch let error as EmpathyError {
                message = error.description
            }
            let expected =
                "'\(cut)': decoding stopped at frame \(framesRead + 1) of \(source.frameCount); the file is truncated or corrupt"
            XCTAssertEqual(message, expected, "\(container.name): read \(framesRead) frames")
            XCTAssertGreaterThan(framesRead, 0, container.name)
            XCTAssertLessThan(framesRead, source.frameCount, container.name)
            XCTAssertEqual(source.nextFrameIndex, framesRead, container.name)
        }
    }

    // MARK: Broken image sequences

    func testImageSequenceWithMissingFrameThrowsNamingTheFile() throws {
        let folder = try makeTemporaryFolder(self)
        let pattern = folder + "/shot.%04d.png"
        try ffmpeg(["-i", demoClipPath, "-frames:v", "5", "-start_number", "1", pattern])
        try FileManager.default.removeItem(atPath: folder + "/shot.0003.png")

        let source = try VideoSource(path: pattern)
        XCTAssertEqual(source.info.frameCount, 5, "a gap must not shorten the clip")
        XCTAssertNotNil(try source.nextFrame())
        XCTAssertNotNil(try source.nextFrame())
        XCTAssertEqual(
            errorMessage({ try source.nextFrame() }),
            "'\(pattern)': frame 3 of 5 is missing: '\(folder)/shot.0003.png' (No such file or directory)")
        try source.seek(toFrameIndex: 3)
        XCTAssertNotNil(try source.nextFrame(), "the frames after the gap still read")
    }

    /// A numbering gap of a hundred million frames is found at once from the
    /// files present, not by walking the span (grade and render check this
    /// before any work).
    func testAWideNumberingGapIsFoundWithoutWalkingTheSpan() throws {
        let folder = try makeTemporaryFolder(self)
        try ffmpeg(["-i", demoClipPath, "-frames:v", "2", "-start_number", "1", folder + "/shot.%08d.png"])
        try FileManager.default.copyItem(atPath: folder + "/shot.00000001.png", toPath: folder + "/shot.99999999.png")
        let source = try VideoSource(path: folder + "/shot.%08d.png")
        XCTAssertEqual(source.info.frameCount, 99_999_999)
        let started = Date()
        XCTAssertEqual(errorMessage({ try source.requireFrames([1...99_999_999]) }),
                       "'\(folder)/shot.%08d.png' has no file for frame 3 of frames 1-99999999; fill the gap, or give --frames a range without it")
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5)
        XCTAssertNoThrow(try source.requireFrames([1...2]))
        XCTAssertNoThrow(try source.requireFrames([99_999_999...99_999_999]))
        XCTAssertNil(source.firstMissingFrameIndex(in: 0...1))
    }

    func testImageSequenceFrameOfAnotherSizeThrows() throws {
        let folder = try makeTemporaryFolder(self)
        let pattern = folder + "/shot.%04d.png"
        try ffmpeg(["-i", demoClipPath, "-frames:v", "3", "-start_number", "1", pattern])
        try ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=32x32", "-frames:v", "1", folder + "/shot.0002.png"])

        let source = try VideoSource(path: pattern)
        XCTAssertNotNil(try source.nextFrame())
        XCTAssertEqual(
            errorMessage({ try source.nextFrame() }),
            "'\(pattern)': frame 2 is 32x32 but the clip is 640x360")
    }

    // MARK: Calls that must not crash

    func testSeekOutsideTheClipThrowsAndLeavesTheSourceUsable() throws {
        let source = try VideoSource(path: demoClipPath)
        for index in [-1, 97, Int.max, Int.min] {
            XCTAssertEqual(
                errorMessage({ try source.seek(toFrameIndex: index) }),
                "cannot seek '\(demoClipPath)' to frame index \(index): the clip has 96 frame(s), indices 0 to 95")
        }
        XCTAssertEqual(source.nextFrameIndex, 0)
        XCTAssertNotNil(try source.nextFrame())
    }

    func testOddPathsGiveErrorsNotCrashes() throws {
        let folder = try makeTemporaryFolder(self)
        let paths = [
            "", "%", "%d", "%s.png", folder + "/a%d%d.png", folder + "/%0999d.png", "/dev/null", "/",
            folder + "/" + String(repeating: "long", count: 2000) + ".mp4",
            folder + "/%04d/shot.png", folder + "/line\nbreak.mp4",
        ]
        for path in paths {
            let message = errorMessage({ try VideoSource(path: path) })
            XCTAssertNotNil(message, "path \(path.debugDescription)")
            if !path.contains("\n") {
                XCTAssertEqual(message?.contains("\n"), false, "\(path.debugDescription): \(message ?? "")")
            }
        }
    }

    /// The shim's own guards, called directly: null pointers and a buffer too
    /// small for a frame come back as argument errors with a message.
    func testShimRejectsNullPointersAndSmallBuffers() throws {
        var error = [CChar](repeating: 0, count: 256)
        var handle: OpaquePointer?
        XCTAssertEqual(Int(cvs_open(nil, &handle, &error, error.count)), CVS_ERR_ARGUMENT)
        XCTAssertNil(handle)

        XCTAssertEqual(Int(cvs_open(demoClipPath, &handle, &error, error.count)), CVS_OK)
        let opened = try XCTUnwrap(handle)
        defer { cvs_close(opened) }
        var small = [UInt8](repeating: 0, count: 16)
        var index: Int64 = -1
        XCTAssertEqual(Int(cvs_read_rgba(opened, &small, small.count, &index, &error, error.count)), CVS_ERR_ARGUMENT)
        XCTAssertEqual(
            String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            "RGBA buffer holds 16 bytes, a 640x360 frame needs 921600")
        XCTAssertEqual(cvs_next_frame_index(opened), 0)
        XCTAssertEqual(Int(cvs_read_rgba(opened, nil, 0, &index, nil, 0)), CVS_ERR_ARGUMENT, "no message buffer is fine")
        XCTAssertEqual(Int(cvs_seek(nil, 0, &error, error.count)), CVS_ERR_ARGUMENT)
        cvs_close(nil)
    }
}
