import EmpathyCore
import Foundation
import Grading
import XCTest

/// The `.cube` writer: round trips, the flavour it picks, and what it never writes.
final class CubeFileWriterTests: XCTestCase {
    /// Printing uses six decimals, so a value reads back within half a unit of the sixth.
    static let printTolerance: Float = 0.5e-6 + 1e-7

    static func randomCube(size: Int, seed: UInt64) -> LUT3D {
        var random = TestSupport.LCG(state: seed)
        return LUT3D(size: size, values: (0..<(size * size * size * 3)).map { _ in random.unit() * 1.5 - 0.25 })
    }

    static func randomShaper(size: Int, seed: UInt64) -> LUT1D {
        var random = TestSupport.LCG(state: seed)
        return LUT1D(size: size, values: (0..<(size * 3)).map { _ in random.unit() })
    }

    func assertRoundTrip(_ lut: CubeLUT, file: StaticString = #filePath, line: UInt = #line) throws {
        let text = CubeFile.serialize(lut)
        let back = try CubeFile.parse(Array(text.utf8), path: "roundtrip.cube")
        XCTAssertEqual(back.title, lut.title, file: file, line: line)
        XCTAssertEqual(back.comments, lut.comments, file: file, line: line)
        for (name, a, b) in [("shaper", back.shaper?.values, lut.shaper?.values), ("cube", back.cube?.values, lut.cube?.values)] {
            XCTAssertEqual(a?.count, b?.count, "\(name) size", file: file, line: line)
            guard let a, let b, a.count == b.count else { continue }
            var worst = (index: 0, error: Float(0))
            for i in a.indices where abs(a[i] - b[i]) > worst.error { worst = (i, abs(a[i] - b[i])) }
            XCTAssertLessThanOrEqual(
                worst.error, Self.printTolerance,
                "\(name) value \(worst.index): wrote \(b[worst.index]), read \(a[worst.index])", file: file, line: line)
        }
        XCTAssertEqual(back.shaper?.domainMin, lut.shaper?.domainMin, file: file, line: line)
        XCTAssertEqual(back.shaper?.domainMax, lut.shaper?.domainMax, file: file, line: line)
        XCTAssertEqual(back.cube?.domainMin, lut.cube?.domainMin, file: file, line: line)
        XCTAssertEqual(back.cube?.domainMax, lut.cube?.domainMax, file: file, line: line)
    }

    func testRoundTripOfThreeDimensionalLUTWithTitleCommentsAndDomain() throws {
        var cube = Self.randomCube(size: 5, seed: 1)
        cube.domainMin = SIMD3(-0.125, 0, 0.1)
        cube.domainMax = SIMD3(1, 2.5, 1.0e-1 * 7)
        try assertRoundTrip(CubeLUT(title: "Night \"Drive\"".replacingOccurrences(of: "\"", with: ""), cube: cube,
                                    comments: ["made for a test", "", "  indented"]))
    }

    func testRoundTripOfOneDimensionalLUT() throws {
        var shaper = Self.randomShaper(size: 17, seed: 2)
        shaper.domainMax = SIMD3(repeating: 4)
        try assertRoundTrip(CubeLUT(title: "ramp", shaper: shaper))
    }

    func testRoundTripOfShaperAndCubeWithInputRanges() throws {
        var shaper = Self.randomShaper(size: 9, seed: 3)
        shaper.domainMin = SIMD3(repeating: -0.5)
        shaper.domainMax = SIMD3(repeating: 8)
        var cube = Self.randomCube(size: 3, seed: 4)
        cube.domainMax = SIMD3(repeating: 1.25)
        try assertRoundTrip(CubeLUT(shaper: shaper, cube: cube, comments: ["log to display"]))
    }

    func testShaperAndCubeFileUsesInputRangesAndNoTitleKeyword() throws {
        let lut = CubeLUT(title: "Shaped", shaper: Self.randomShaper(size: 4, seed: 5), cube: LUT3D.identity(size: 2))
        let lines = CubeFile.serialize(lut).split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("LUT_1D_INPUT_RANGE 0 1.0"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("LUT_3D_INPUT_RANGE 0 1.0"))
        XCTAssertFalse(lines.contains { $0.uppercased().hasPrefix("TITLE") }, "OpenColorIO rejects TITLE beside LUT_3D_INPUT_RANGE")
        XCTAssertFalse(lines.contains { $0.hasPrefix("DOMAIN_") })
        XCTAssertEqual(lines.first, "# TITLE: Shaped", "the title survives as the first comment")
    }

    func testSingleTableFileWritesDomainOnlyWhenNotUnit() throws {
        let plain = CubeFile.serialize(CubeLUT(title: "id", cube: LUT3D.identity(size: 2)))
        XCTAssertFalse(plain.contains("DOMAIN_"))
        XCTAssertFalse(plain.contains("INPUT_RANGE"))
        XCTAssertTrue(plain.hasPrefix("TITLE \"id\"\nLUT_3D_SIZE 2\n"), plain)
        var cube = LUT3D.identity(size: 2)
        cube.domainMax = SIMD3(1, 1, 2)
        let wide = CubeFile.serialize(CubeLUT(cube: cube))
        XCTAssertTrue(wide.contains("DOMAIN_MIN 0 0 0\nDOMAIN_MAX 1.0 1.0 2.0\n"), wide)
    }

    func testWriterNeverPutsCommentAfterDataAndPrintsSixDecimals() throws {
        let lut = CubeLUT(title: "t", cube: Self.randomCube(size: 3, seed: 6), comments: ["c1", "c2"])
        let lines = CubeFile.serialize(lut).split(separator: "\n", omittingEmptySubsequences: false)
        let firstData = try XCTUnwrap(lines.firstIndex { $0.first.map { $0.isNumber || $0 == "-" } ?? false })
        for line in lines[firstData...] where !line.isEmpty {
            XCTAssertFalse(line.contains("#"), "comment after data: \(line)")
            let numbers = line.split(separator: " ")
            XCTAssertEqual(numbers.count, 3, String(line))
            for n in numbers { XCTAssertEqual(n.split(separator: ".").last?.count, 6, "six decimals: \(n)") }
        }
        XCTAssertEqual(lines.count - firstData, 27 + 1, "27 entries then the final newline")
    }

    func testSerializeIsDeterministicAndPrintsNoNegativeZero() {
        let cube = LUT3D(size: 2, values: [-0.0000001, -0.0, 0.5, 0.1234565, 1, 1] + [Float](repeating: 0.25, count: 18))
        let a = CubeFile.serialize(CubeLUT(cube: cube)), b = CubeFile.serialize(CubeLUT(cube: cube))
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.contains("\n0.000000 0.000000 0.500000\n"), a)
        XCTAssertFalse(a.contains("-0.000000"))
    }

    func testWriteIsAtomicAndReadsBack() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("look.cube").path
        let lut = CubeLUT(title: "look", cube: Self.randomCube(size: 4, seed: 7))
        try CubeFile.write(lut, to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["look.cube"], "no temporary file left")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), CubeFile.serialize(lut))
    }

    func testWriteRefusesShaperWithPerChannelDomainAndLeavesNoFile() throws {
        let dir = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("odd.cube").path
        var shaper = Self.randomShaper(size: 2, seed: 8)
        shaper.domainMax = SIMD3(1, 2, 1)
        XCTAssertThrowsError(try CubeFile.write(CubeLUT(shaper: shaper, cube: .identity(size: 2)), to: path)) { error in
            XCTAssertEqual(
                "\(error)",
                "cannot write '\(path)': the 1D table's domain differs between channels, which a .cube file with both a 1D and a 3D table cannot hold; bake the domain into the shaper")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    /// Parse time of 33³ and 65³ tables; reported, and bounded loosely so a
    /// regression to per-number string splitting (seconds in debug) fails.
    func testParsingLargeTablesIsFast() throws {
        for size in [33, 65] {
            let bytes = Array(CubeFile.serialize(CubeLUT(cube: Self.randomCube(size: size, seed: 9))).utf8)
            let start = DispatchTime.now().uptimeNanoseconds
            let lut = try CubeFile.parse(bytes, path: "big.cube")
            let elapsedMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            print("parse \(size)³ (\(bytes.count) bytes): \(String(format: "%.1f", elapsedMs)) ms")
            XCTAssertEqual(lut.cube?.size, size)
            XCTAssertLessThan(elapsedMs, 8000, "\(size)³ parse took \(elapsedMs) ms")
        }
    }
}

/// Inputs the fuzzer found, kept as regressions (fuzz/regressions/cube).
final class CubeFuzzRegressionTests: XCTestCase {
    func testEveryParsableFuzzInputRoundTripsThroughTheWriter() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fuzz/regressions/cube")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            guard let lut = try? CubeFile.parse(bytes, path: name) else { continue }
            let text = CubeFile.serialize(lut)
            do {
                let again = try CubeFile.parse(Array(text.utf8), path: "again.cube")
                XCTAssertEqual(again.cube?.size, lut.cube?.size, name)
                XCTAssertEqual(again.shaper?.size, lut.shaper?.size, name)
            } catch {
                let titles = text.split(separator: "\n").filter { $0.contains("TITLE") }.map { String($0.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()) }
                XCTFail("\(name): the writer's text does not parse back: \(error); TITLE lines: \(titles)")
            }
        }
    }
}
