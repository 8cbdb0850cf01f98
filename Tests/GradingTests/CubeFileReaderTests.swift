import EmpathyCore
import Foundation
import Grading
import XCTest

/// The `.cube` reader: what it accepts, and the exact message for what it rejects.
final class CubeFileReaderTests: XCTestCase {
    /// The eight entries of a 2³ identity table, red fastest.
    static let identity2Entries = [
        "0 0 0", "1 0 0", "0 1 0", "1 1 0", "0 0 1", "1 0 1", "0 1 1", "1 1 1",
    ].joined(separator: "\n") + "\n"

    func parse(_ text: String, path: String = "t.cube") throws -> CubeLUT {
        try CubeFile.parse(Array(text.utf8), path: path)
    }

    func parseBytes(_ bytes: [UInt8]) throws -> CubeLUT {
        try CubeFile.parse(bytes, path: "t.cube")
    }

    /// The error's one-line description, or a failure note when it parsed.
    func rejection(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "(accepted)"
        } catch {
            return "\(error)"
        }
    }

    // MARK: Accepted

    func testParserAcceptsMinimalAdobe3DFileWithRedFastest() throws {
        let lut = try parse("LUT_3D_SIZE 2\n" + Self.identity2Entries)
        let cube = try XCTUnwrap(lut.cube)
        XCTAssertNil(lut.shaper)
        XCTAssertNil(lut.title)
        XCTAssertEqual(cube.size, 2)
        XCTAssertEqual(cube, LUT3D.identity(size: 2))
        XCTAssertEqual(Array(cube.values[3..<6]), [1, 0, 0], "entry 1 is red = 1: red varies fastest")
    }

    func testParserAcceptsOneDimensionalFileWithDomain() throws {
        let lut = try parse("""
            TITLE "ramp"
            LUT_1D_SIZE 3
            DOMAIN_MIN -0.5 0 0
            DOMAIN_MAX 1.5 2 1
            0 0 0
            0.25 0.5 0.75
            1 1 1
            """)
        XCTAssertNil(lut.cube)
        let shaper = try XCTUnwrap(lut.shaper)
        XCTAssertEqual(lut.title, "ramp")
        XCTAssertEqual(shaper.size, 3)
        XCTAssertEqual(shaper.domainMin, SIMD3(-0.5, 0, 0))
        XCTAssertEqual(shaper.domainMax, SIMD3(1.5, 2, 1))
        XCTAssertEqual(shaper.values, [0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1])
    }

    func testParserAcceptsThreeDimensionalFileWithDomain() throws {
        let lut = try parse("DOMAIN_MIN 0 0 -1\nDOMAIN_MAX 2 2 2\nLUT_3D_SIZE 2\n" + Self.identity2Entries)
        let cube = try XCTUnwrap(lut.cube)
        XCTAssertEqual(cube.domainMin, SIMD3(0, 0, -1))
        XCTAssertEqual(cube.domainMax, SIMD3(2, 2, 2))
    }

    func testParserAcceptsResolveShaperThenCubeWithInputRanges() throws {
        let lut = try parse("""
            LUT_1D_SIZE 2
            LUT_1D_INPUT_RANGE 0 4
            LUT_3D_SIZE 2
            LUT_3D_INPUT_RANGE -0.25 1.25
            0 0 0
            1 1 1

            """ + Self.identity2Entries)
        let shaper = try XCTUnwrap(lut.shaper)
        let cube = try XCTUnwrap(lut.cube)
        XCTAssertEqual(shaper.values, [0, 0, 0, 1, 1, 1], "the 1D entries come first")
        XCTAssertEqual(shaper.domainMin, SIMD3(repeating: 0))
        XCTAssertEqual(shaper.domainMax, SIMD3(repeating: 4))
        XCTAssertEqual(cube.values, LUT3D.identity(size: 2).values)
        XCTAssertEqual(cube.domainMin, SIMD3(repeating: -0.25))
        XCTAssertEqual(cube.domainMax, SIMD3(repeating: 1.25))
    }

    func testParserAcceptsInputRangeInThreeDimensionalOnlyFile() throws {
        let lut = try parse("LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 0 2\n" + Self.identity2Entries)
        XCTAssertEqual(lut.cube?.domainMax, SIMD3(repeating: 2))
    }

    func testParserAcceptsNumberSpellings() throws {
        let lut = try parse("LUT_1D_SIZE 2\n+0.5 .25 5.\n1e-1 2.5E+1 -0\n")
        XCTAssertEqual(lut.shaper?.values, [0.5, 0.25, 5, 0.1, 25, 0])
    }

    func testParserAcceptsUnquotedTitleAndKeepsCommentLines() throws {
        let lut = try parse("# first\n#second\nTITLE Night Drive\nLUT_3D_SIZE 2\n" + Self.identity2Entries)
        XCTAssertEqual(lut.title, "Night Drive")
        XCTAssertEqual(lut.comments, ["first", "second"])
    }

    func testParserAcceptsFileWithoutFinalNewline() throws {
        let text = "LUT_3D_SIZE 2\n" + Self.identity2Entries.dropLast()
        XCTAssertEqual(try parse(text).cube, LUT3D.identity(size: 2))
    }

    /// The same table, laid out in every way the format allows, parses to the same LUT.
    func testSameFileLaidOutDifferentlyParsesIdentically() throws {
        let plain = "TITLE \"x\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n" + Self.identity2Entries
        let expected = try parse(plain)
        let entries = Self.identity2Entries.split(separator: "\n").map(String.init)
        var variants: [(String, [UInt8])] = []
        variants.append(("CRLF", Array(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        variants.append(("BOM", [0xEF, 0xBB, 0xBF] + Array(plain.utf8)))
        variants.append(("BOM+CRLF", [0xEF, 0xBB, 0xBF] + Array(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        variants.append(("tabs and runs of spaces", Array(
            ("TITLE\t\"x\"\nLUT_3D_SIZE\t 2\nDOMAIN_MIN 0\t0    0\nDOMAIN_MAX  1 1 1\n"
                + entries.map { "\t " + $0.replacingOccurrences(of: " ", with: " \t  ") + " \t" }.joined(separator: "\n")).utf8)))
        variants.append(("any case", Array(
            ("title \"x\"\nlut_3d_size 2\nDomain_Min 0 0 0\ndomain_max 1 1 1\n" + Self.identity2Entries).utf8)))
        variants.append(("any order", Array(
            ("DOMAIN_MAX 1 1 1\nLUT_3D_SIZE 2\nTITLE \"x\"\nDOMAIN_MIN 0 0 0\n" + Self.identity2Entries).utf8)))
        variants.append(("blank lines and trailing comments", Array(
            ("\n\nTITLE \"x\"\n\nLUT_3D_SIZE 2 # size\n   \nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n\n"
                + entries.map { $0 + " # entry" }.joined(separator: "\n\n") + "\n\n\n").utf8)))
        variants.append(("decimals", Array(
            ("TITLE \"x\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0.0 0.000 0e0\nDOMAIN_MAX 1.0 1.000000 10e-1\n"
                + entries.map { $0.split(separator: " ").map { $0 == "1" ? "1.000000" : "0.0" }.joined(separator: " ") }
                .joined(separator: "\n")).utf8)))
        for (name, bytes) in variants {
            XCTAssertEqual(try parseBytes(bytes), expected, "layout: \(name)")
        }
    }

    func testReadFromDiskEqualsParseOfSameBytes() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "TITLE \"disk\"\nLUT_3D_SIZE 2\n" + Self.identity2Entries
        let path = dir.appendingPathComponent("disk.cube").path
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(try CubeFile.read(path: path), try parse(text, path: path))
    }

    // MARK: Rejected

    func testReaderReportsMissingFileWithErrnoName() {
        XCTAssertThrowsError(try CubeFile.read(path: "/nonexistent/midnight.cube")) { error in
            XCTAssertEqual(
                "\(error)", "cannot read LUT '/nonexistent/midnight.cube': No such file or directory (ENOENT)")
        }
    }

    /// Each case: the file text, and the exact one-line error.
    static let rejections: [(name: String, text: String, message: String)] = [
        ("too few entries", "LUT_3D_SIZE 2\n" + identity2Entries.split(separator: "\n").dropLast().joined(separator: "\n"),
         "'t.cube' line 8: expected 8 table entries (LUT_3D_SIZE 2), found 7"),
        ("too many entries", "LUT_3D_SIZE 2\n" + identity2Entries + "1 1 1\n",
         "'t.cube' line 10: more than 8 table entries (LUT_3D_SIZE 2); remove the extra lines"),
        ("too few with shaper", "LUT_1D_SIZE 2\nLUT_3D_SIZE 2\n0 0 0\n1 1 1\n" + identity2Entries.split(separator: "\n").dropLast().joined(separator: "\n"),
         "'t.cube' line 11: expected 2 + 8 table entries (LUT_1D_SIZE 2, LUT_3D_SIZE 2), found 9"),
        ("header only", "LUT_1D_SIZE 4\n",
         "'t.cube' line 1: expected 4 table entries (LUT_1D_SIZE 4), found 0"),
        ("two numbers", "LUT_3D_SIZE 2\n0 0\n", "'t.cube' line 2: expected 3 numbers, found 2"),
        ("four numbers", "LUT_3D_SIZE 2\n0 0 0\n0 0 0 1\n", "'t.cube' line 3: expected 3 numbers, found 4"),
        ("NaN first", "LUT_3D_SIZE 2\nnan 0 0\n", "'t.cube' line 2: expected a finite number, found 'nan'"),
        ("NaN later", "LUT_3D_SIZE 2\n0 NaN 0\n", "'t.cube' line 2: expected a finite number, found 'NaN'"),
        ("infinity", "LUT_3D_SIZE 2\n0 0 inf\n", "'t.cube' line 2: expected a finite number, found 'inf'"),
        ("negative infinity", "LUT_3D_SIZE 2\n-INF 0 0\n", "'t.cube' line 2: expected a finite number, found '-INF'"),
        ("overflow", "LUT_3D_SIZE 2\n1e40 0 0\n", "'t.cube' line 2: expected a finite number, found '1e40' (out of range)"),
        ("comma decimal", "LUT_3D_SIZE 2\n0,5 0 0\n",
         "'t.cube' line 2: expected a number, found '0,5' (use '.' as the decimal separator)"),
        ("garbage number", "LUT_3D_SIZE 2\n0 0 x\n", "'t.cube' line 2: expected a number, found 'x'"),
        ("two points", "LUT_3D_SIZE 2\n0 1.2.3 0\n", "'t.cube' line 2: expected a number, found '1.2.3'"),
        ("exponent without digits", "LUT_3D_SIZE 2\n0 1e 0\n", "'t.cube' line 2: expected a number, found '1e'"),
        ("3D size too small", "LUT_3D_SIZE 1\n0 0 0\n",
         "'t.cube' line 1: LUT_3D_SIZE must be an integer from 2 to 256, found '1'"),
        ("3D size too large", "LUT_3D_SIZE 257\n",
         "'t.cube' line 1: LUT_3D_SIZE must be an integer from 2 to 256, found '257'"),
        ("3D size fractional", "LUT_3D_SIZE 2.5\n",
         "'t.cube' line 1: LUT_3D_SIZE must be an integer from 2 to 256, found '2.5'"),
        ("1D size too large", "LUT_1D_SIZE 65537\n",
         "'t.cube' line 1: LUT_1D_SIZE must be an integer from 2 to 65536, found '65537'"),
        ("size missing", "LUT_3D_SIZE\n", "'t.cube' line 1: LUT_3D_SIZE expects 1 number, found 0"),
        ("unknown keyword", "LUT_3D_SIZE 2\nLUT_4D_SIZE 2\n",
         "'t.cube' line 2: unknown keyword 'LUT_4D_SIZE'; expected TITLE, LUT_1D_SIZE, LUT_3D_SIZE, DOMAIN_MIN, DOMAIN_MAX, LUT_1D_INPUT_RANGE or LUT_3D_INPUT_RANGE"),
        ("duplicate keyword", "LUT_3D_SIZE 2\nTITLE \"a\"\nlut_3d_size 2\n",
         "'t.cube' line 3: duplicate keyword LUT_3D_SIZE (first on line 1)"),
        ("duplicate title", "TITLE \"a\"\nTITLE \"b\"\n", "'t.cube' line 2: duplicate keyword TITLE (first on line 1)"),
        ("domain inverted", "LUT_3D_SIZE 2\nDOMAIN_MIN 0 1 0\nDOMAIN_MAX 1 0.5 1\n" + identity2Entries,
         "'t.cube' line 3: DOMAIN_MIN must be below DOMAIN_MAX in every channel, found 1.0 >= 0.5 in green"),
        ("domain empty", "LUT_3D_SIZE 2\nDOMAIN_MIN 1 1 1\n" + identity2Entries,
         "'t.cube' line 2: DOMAIN_MIN must be below DOMAIN_MAX in every channel, found 1.0 >= 1.0 in red"),
        ("domain two numbers", "DOMAIN_MIN 0 0\n", "'t.cube' line 1: DOMAIN_MIN expects 3 numbers, found 2"),
        ("domain comma decimal", "DOMAIN_MAX 1 1 0,5\n",
         "'t.cube' line 1: expected a number, found '0,5' (use '.' as the decimal separator)"),
        ("domain with shaper and cube", "LUT_1D_SIZE 2\nLUT_3D_SIZE 2\nDOMAIN_MAX 2 2 2\n0 0 0\n",
         "'t.cube' line 3: DOMAIN_MIN/DOMAIN_MAX is ambiguous in a file with both LUT_1D_SIZE and LUT_3D_SIZE; use LUT_1D_INPUT_RANGE and LUT_3D_INPUT_RANGE"),
        ("domain and input range", "LUT_3D_SIZE 2\nDOMAIN_MAX 2 2 2\nLUT_3D_INPUT_RANGE 0 2\n0 0 0\n",
         "'t.cube' line 3: both DOMAIN_MIN/DOMAIN_MAX and LUT_*_INPUT_RANGE set the domain; keep one"),
        ("input range without its table", "LUT_3D_SIZE 2\nLUT_1D_INPUT_RANGE 0 1\n0 0 0\n",
         "'t.cube' line 2: LUT_1D_INPUT_RANGE without LUT_1D_SIZE"),
        ("input range inverted", "LUT_3D_INPUT_RANGE 1 0\n",
         "'t.cube' line 1: LUT_3D_INPUT_RANGE min must be below max, found 1.0 >= 0.0"),
        ("data before size", "0 0 0\nLUT_3D_SIZE 2\n",
         "'t.cube' line 1: table entry before LUT_1D_SIZE or LUT_3D_SIZE; declare the size first"),
        ("keyword after data", "LUT_3D_SIZE 2\n0 0 0\nTITLE \"late\"\n",
         "'t.cube' line 3: keyword TITLE after table entries; keywords must come before the table"),
        ("unterminated title", "TITLE \"open\nLUT_3D_SIZE 2\n", "'t.cube' line 1: TITLE text has no closing '\"'"),
        ("text after title", "TITLE \"a\" b\n", "'t.cube' line 1: unexpected 'b' after the TITLE text"),
        ("empty file", "", "'t.cube': no LUT_1D_SIZE or LUT_3D_SIZE found; this is not a .cube LUT"),
        ("comments only", "# nothing\n\n", "'t.cube': no LUT_1D_SIZE or LUT_3D_SIZE found; this is not a .cube LUT"),
    ]

    func testParserRejectsEachBadFileWithItsExactMessage() {
        for (name, text, message) in Self.rejections {
            XCTAssertEqual(rejection(text), message, "case: \(name)")
        }
    }

    func testParserRejectsBinaryFileWithoutCrashing() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0xFE]
        XCTAssertThrowsError(try parseBytes(png)) { error in
            guard case let .badFile(path, line, message)? = error as? EmpathyError else {
                return XCTFail("expected badFile, got \(error)")
            }
            XCTAssertEqual(path, "t.cube")
            XCTAssertEqual(line, 1)
            XCTAssertTrue(message.hasPrefix("unknown keyword"), message)
        }
    }

    func testParserRejectsEveryTruncationOfAValidFileWithoutCrashing() throws {
        let text = Array(("TITLE \"t\"\nLUT_1D_SIZE 2\nLUT_3D_SIZE 2\n0 0 0\n1 1 1\n" + Self.identity2Entries).utf8)
        XCTAssertNoThrow(try parseBytes(text))
        var accepted = 0
        for cut in 0..<text.count {
            // Cutting inside the last number still leaves a valid (shorter) number.
            if (try? parseBytes(Array(text[0..<cut]))) != nil { accepted += 1 }
        }
        XCTAssertLessThanOrEqual(accepted, 2, "only cuts that remove the final newline or inside the last '1' can parse")
    }
}
