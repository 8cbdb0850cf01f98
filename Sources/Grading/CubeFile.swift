import EmpathyCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes `.cube` LUT files: the Adobe Cube LUT Specification 1.0
/// and DaVinci Resolve's flavour of it.
///
/// Accepted:
/// - `TITLE "text"`, `LUT_1D_SIZE n` (2–65536), `LUT_3D_SIZE n` (2–256),
///   `DOMAIN_MIN r g b`, `DOMAIN_MAX r g b` (Adobe) and
///   `LUT_1D_INPUT_RANGE min max`, `LUT_3D_INPUT_RANGE min max` (Resolve);
///   keywords in any case and any order, each at most once, all before the table.
/// - A 1D table, a 3D table, or both (Resolve: the 1D entries first, applied
///   first as a shaper). In a file with both, the domain is given per table
///   with `LUT_*_INPUT_RANGE`; `DOMAIN_*` would be ambiguous and is rejected.
/// - Table entries are three numbers per line, red varying fastest in the 3D
///   table; the entry count must be exact.
/// - `#` comment lines (full-line comments are kept in `CubeLUT.comments`; a
///   trailing `# …` after data is ignored), blank lines, CRLF, a UTF-8 BOM,
///   tabs and runs of spaces.
///
/// Every problem is `EmpathyError.badFile(path:line:message:)` with a message
/// that says what was expected.
public enum CubeFile {
    public static let lut1DSizeRange = 2...65536
    public static let lut3DSizeRange = 2...256

    public static func read(path: String) throws -> CubeLUT {
        try parse(UserFile.bytes(path, what: "LUT"), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> CubeLUT {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer, path: path)
            return try parser.run()
        }
    }

    /// Writes `lut` as text, deterministically.
    ///
    /// - One table: Adobe flavour, `TITLE` and `DOMAIN_MIN`/`DOMAIN_MAX`
    ///   (only when the domain is not 0…1).
    /// - Shaper and 3D table: Resolve flavour, `LUT_1D_INPUT_RANGE` and
    ///   `LUT_3D_INPUT_RANGE` (one min/max pair each: the red channel's).
    ///   Readers of that flavour (OpenColorIO 2.1) reject `TITLE` there, so the
    ///   title becomes the first comment line, `# TITLE: text`.
    /// - Comments come first, one per line; nothing follows data on a line.
    /// - Table values are printed with six decimals ("%.6f"), keyword numbers
    ///   with the shortest text that reads back as the same `Float`.
    public static func serialize(_ lut: CubeLUT) -> String {
        var out = ""
        let resolveFlavour = lut.shaper != nil && lut.cube != nil
        for comment in lut.comments { out += "#" + (comment.isEmpty ? "" : " " + oneLine(comment)) + "\n" }
        if let title = lut.title {
            // Scalars, not Characters: a quote followed by a combining mark is
            // one Character that a Character replace misses (found by fuzzing).
            let clean = String(String.UnicodeScalarView(oneLine(title).unicodeScalars.map { $0 == "\"" ? "'" : $0 }))
            if resolveFlavour { out += "# TITLE: \(clean)\n" } else { out += "TITLE \"\(clean)\"\n" }
        }
        if resolveFlavour, let shaper = lut.shaper, let cube = lut.cube {
            out += "LUT_1D_SIZE \(shaper.size)\n"
            out += "LUT_1D_INPUT_RANGE \(number(shaper.domainMin.x)) \(number(shaper.domainMax.x))\n"
            out += "LUT_3D_SIZE \(cube.size)\n"
            out += "LUT_3D_INPUT_RANGE \(number(cube.domainMin.x)) \(number(cube.domainMax.x))\n"
        } else if let table = lut.shaper.map({ ($0.size, $0.domainMin, $0.domainMax, "LUT_1D_SIZE") })
            ?? lut.cube.map({ ($0.size, $0.domainMin, $0.domainMax, "LUT_3D_SIZE") })
        {
            out += "\(table.3) \(table.0)\n"
            if table.1 != .zero || table.2 != .one {
                out += "DOMAIN_MIN \(number(table.1.x)) \(number(table.1.y)) \(number(table.1.z))\n"
                out += "DOMAIN_MAX \(number(table.2.x)) \(number(table.2.y)) \(number(table.2.z))\n"
            }
        }
        out += "\n"
        var bytes = Array(out.utf8)
        if let shaper = lut.shaper { appendTable(shaper.values, to: &bytes) }
        if let cube = lut.cube { appendTable(cube.values, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `lut` to `path` atomically. Throws `.invalidArgument` for a LUT
    /// that the format cannot hold: a shaper and 3D table whose domains differ
    /// between channels (Resolve's input ranges hold one pair per table).
    public static func write(_ lut: CubeLUT, to path: String) throws {
        if let shaper = lut.shaper, let cube = lut.cube {
            for (name, lo, hi) in [("1D", shaper.domainMin, shaper.domainMax), ("3D", cube.domainMin, cube.domainMax)]
            where !(lo.x == lo.y && lo.y == lo.z && hi.x == hi.y && hi.y == hi.z) {
                throw EmpathyError.invalidArgument(
                    "cannot write '\(path)': the \(name) table's domain differs between channels, "
                        + "which a .cube file with both a 1D and a 3D table cannot hold; bake the domain into the shaper")
            }
        }
        try AtomicFile.write(serialize(lut), to: path)
    }

    // MARK: - Writing helpers

    /// `text` on one line: every line break becomes a space. Scalars, not
    /// Characters: "\r\n" is one Character and would slip past a Character
    /// comparison (found by fuzzing: a comment with CRLF wrote a line the
    /// reader then took for a second TITLE).
    private static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { "\n\r\u{0B}\u{0C}".unicodeScalars.contains($0) ? " " : $0 }))
    }

    /// The shortest decimal text that reads back as the same Float.
    static func number(_ value: Float) -> String {
        value == 0 ? "0" : "\(value)"
    }

    /// Appends "r g b\n" lines with six decimals each, as "%.6f" would print
    /// them (round half away from zero, no "-0.000000").
    private static func appendTable(_ values: [Float], to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + values.count * 10)
        var i = 0
        while i + 2 < values.count {
            appendFixed6(values[i], to: &bytes); bytes.append(0x20)
            appendFixed6(values[i + 1], to: &bytes); bytes.append(0x20)
            appendFixed6(values[i + 2], to: &bytes); bytes.append(0x0A)
            i += 3
        }
    }

    private static func appendFixed6(_ value: Float, to bytes: inout [UInt8]) {
        let scaled = (Double(value) * 1_000_000).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite, abs(scaled) < 9e15 else {
            bytes.append(contentsOf: Array(String(format: "%.6f", Double(value)).utf8))
            return
        }
        var n = Int64(scaled)
        if n < 0 { bytes.append(UInt8(ascii: "-")); n = -n }
        let whole = n / 1_000_000
        var frac = n % 1_000_000
        bytes.append(contentsOf: Array(String(whole).utf8))
        bytes.append(UInt8(ascii: "."))
        var digits = [UInt8](repeating: 0x30, count: 6)
        for k in stride(from: 5, through: 0, by: -1) {
            digits[k] = 0x30 + UInt8(frac % 10)
            frac /= 10
        }
        bytes.append(contentsOf: digits)
    }

    // MARK: - Reading

    private enum Keyword: String, CaseIterable {
        case title = "TITLE"
        case lut1DSize = "LUT_1D_SIZE"
        case lut3DSize = "LUT_3D_SIZE"
        case domainMin = "DOMAIN_MIN"
        case domainMax = "DOMAIN_MAX"
        case lut1DInputRange = "LUT_1D_INPUT_RANGE"
        case lut3DInputRange = "LUT_3D_INPUT_RANGE"
    }

    /// A byte-level parser: one pass, no per-line strings for table entries.
    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let path: String
        var position = 0
        var lineNumber = 0

        var title: String?
        var comments: [String] = []
        var seen: [Keyword: Int] = [:]  // keyword → line
        var size1D: Int?
        var size3D: Int?
        var domainMin: SIMD3<Float>?
        var domainMax: SIMD3<Float>?
        var inputRange1D: (Float, Float)?
        var inputRange3D: (Float, Float)?

        var values1D: [Float] = []
        var values3D: [Float] = []
        var entriesRead = 0
        var headerChecked = false

        init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
            self.bytes = bytes
            self.path = path
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        }

        func fail(_ message: String, line: Int? = nil) -> EmpathyError {
            .badFile(path: path, line: line ?? lineNumber, message: message)
        }

        var expected1D: Int { size1D ?? 0 }
        var expected3D: Int { size3D.map { $0 * $0 * $0 } ?? 0 }

        mutating func run() throws -> CubeLUT {
            while position < bytes.count {
                lineNumber += 1
                var end = position
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                let lineEnd = end
                let next = end + 1
                try parseLine(start: position, end: lineEnd)
                position = next
            }
            return try finish()
        }

        static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }
        static func isNumberStart(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
        }

        func text(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        /// Splits [start, end) into whitespace-separated token ranges, stopping at '#'.
        func tokens(_ start: Int, _ end: Int) -> [Range<Int>] {
            var result: [Range<Int>] = []
            var i = start
            while i < end {
                while i < end, Parser.isSpace(bytes[i]) { i += 1 }
                if i >= end || bytes[i] == UInt8(ascii: "#") { break }
                let s = i
                while i < end, !Parser.isSpace(bytes[i]) { i += 1 }
                result.append(s..<i)
            }
            return result
        }

        mutating func parseLine(start: Int, end: Int) throws {
            var i = start
            while i < end, Parser.isSpace(bytes[i]) { i += 1 }
            if i >= end { return }
            let first = bytes[i]
            if first == UInt8(ascii: "#") {
                var s = i + 1
                if s < end, bytes[s] == 0x20 { s += 1 }
                var e = end
                if e > s, bytes[e - 1] == 0x0D { e -= 1 }
                comments.append(text(s, e))
                return
            }
            if Parser.isNumberStart(first) {
                try parseEntry(start: i, end: end)
                return
            }
            var e = i
            while e < end, !Parser.isSpace(bytes[e]) { e += 1 }
            let word = text(i, e).uppercased()
            if ["NAN", "INF", "INFINITY"].contains(word) {
                throw fail("expected a finite number, found '\(text(i, e))'")
            }
            try parseKeyword(word, original: text(i, e), argumentsStart: e, end: end)
        }

        // MARK: Keywords

        mutating func parseKeyword(_ word: String, original: String, argumentsStart: Int, end: Int) throws {
            guard let keyword = Keyword(rawValue: word) else {
                throw fail(
                    "unknown keyword '\(original)'; expected TITLE, LUT_1D_SIZE, LUT_3D_SIZE, DOMAIN_MIN, DOMAIN_MAX, "
                        + "LUT_1D_INPUT_RANGE or LUT_3D_INPUT_RANGE")
            }
            if entriesRead > 0 {
                throw fail("keyword \(keyword.rawValue) after table entries; keywords must come before the table")
            }
            if let firstLine = seen[keyword] {
                throw fail("duplicate keyword \(keyword.rawValue) (first on line \(firstLine))")
            }
            seen[keyword] = lineNumber
            switch keyword {
            case .title:
                title = try parseTitle(argumentsStart, end)
            case .lut1DSize:
                size1D = try parseSize(keyword, argumentsStart, end, range: CubeFile.lut1DSizeRange)
            case .lut3DSize:
                size3D = try parseSize(keyword, argumentsStart, end, range: CubeFile.lut3DSizeRange)
            case .domainMin:
                let v = try parseNumbers(keyword, argumentsStart, end, count: 3)
                domainMin = SIMD3(v[0], v[1], v[2])
            case .domainMax:
                let v = try parseNumbers(keyword, argumentsStart, end, count: 3)
                domainMax = SIMD3(v[0], v[1], v[2])
            case .lut1DInputRange:
                let v = try parseNumbers(keyword, argumentsStart, end, count: 2)
                guard v[0] < v[1] else { throw fail("LUT_1D_INPUT_RANGE min must be below max, found \(v[0]) >= \(v[1])") }
                inputRange1D = (v[0], v[1])
            case .lut3DInputRange:
                let v = try parseNumbers(keyword, argumentsStart, end, count: 2)
                guard v[0] < v[1] else { throw fail("LUT_3D_INPUT_RANGE min must be below max, found \(v[0]) >= \(v[1])") }
                inputRange3D = (v[0], v[1])
            }
        }

        func parseTitle(_ start: Int, _ end: Int) throws -> String {
            var s = start
            while s < end, Parser.isSpace(bytes[s]) { s += 1 }
            var e = end
            while e > s, Parser.isSpace(bytes[e - 1]) { e -= 1 }
            guard s < e else { throw fail("TITLE needs a quoted text, e.g. TITLE \"Midnight\"") }
            if bytes[s] == UInt8(ascii: "\"") {
                guard let close = (s + 1..<e).first(where: { bytes[$0] == UInt8(ascii: "\"") }) else {
                    throw fail("TITLE text has no closing '\"'")
                }
                let rest = tokens(close + 1, e)
                guard rest.isEmpty else {
                    throw fail("unexpected '\(text(rest[0].lowerBound, rest[0].upperBound))' after the TITLE text")
                }
                return text(s + 1, close)
            }
            return text(s, e)  // unquoted, as some writers do
        }

        func parseSize(_ keyword: Keyword, _ start: Int, _ end: Int, range: ClosedRange<Int>) throws -> Int {
            let toks = tokens(start, end)
            guard toks.count == 1 else {
                throw fail("\(keyword.rawValue) expects 1 number, found \(toks.count)")
            }
            let token = text(toks[0].lowerBound, toks[0].upperBound)
            guard let value = Int(token), range.contains(value) else {
                throw fail("\(keyword.rawValue) must be an integer from \(range.lowerBound) to \(range.upperBound), found '\(token)'")
            }
            return value
        }

        func parseNumbers(_ keyword: Keyword, _ start: Int, _ end: Int, count: Int) throws -> [Float] {
            let toks = tokens(start, end)
            guard toks.count == count else {
                throw fail("\(keyword.rawValue) expects \(count) numbers, found \(toks.count)")
            }
            return try toks.map { try number($0.lowerBound, $0.upperBound) }
        }

        // MARK: Table entries

        /// Validates the header once, at the first table entry.
        mutating func checkHeader() throws {
            headerChecked = true
            guard size1D != nil || size3D != nil else {
                throw fail("table entry before LUT_1D_SIZE or LUT_3D_SIZE; declare the size first")
            }
            let hasDomain = domainMin != nil || domainMax != nil
            let domainLine = max(seen[.domainMin] ?? 0, seen[.domainMax] ?? 0)
            if hasDomain, size1D != nil, size3D != nil {
                throw fail(
                    "DOMAIN_MIN/DOMAIN_MAX is ambiguous in a file with both LUT_1D_SIZE and LUT_3D_SIZE; "
                        + "use LUT_1D_INPUT_RANGE and LUT_3D_INPUT_RANGE", line: domainLine)
            }
            if let line = seen[.lut1DInputRange], size1D == nil {
                throw fail("LUT_1D_INPUT_RANGE without LUT_1D_SIZE", line: line)
            }
            if let line = seen[.lut3DInputRange], size3D == nil {
                throw fail("LUT_3D_INPUT_RANGE without LUT_3D_SIZE", line: line)
            }
            if hasDomain, let line = seen[.lut1DInputRange] ?? seen[.lut3DInputRange] {
                throw fail("both DOMAIN_MIN/DOMAIN_MAX and LUT_*_INPUT_RANGE set the domain; keep one", line: line)
            }
            let lo = domainMin ?? .zero, hi = domainMax ?? .one
            for c in 0..<3 where !(lo[c] < hi[c]) {
                let channel = ["red", "green", "blue"][c]
                throw fail(
                    "DOMAIN_MIN must be below DOMAIN_MAX in every channel, found \(lo[c]) >= \(hi[c]) in \(channel)",
                    line: domainLine)
            }
            // Every entry takes at least 6 bytes ("0 0 0\n"), so a header that
            // promises more entries than the file can hold reserves no more.
            let entriesThatFit = bytes.count / 6
            values1D.reserveCapacity(min(expected1D, entriesThatFit) * 3)
            values3D.reserveCapacity(min(expected3D, entriesThatFit) * 3)
        }

        mutating func parseEntry(start: Int, end: Int) throws {
            if !headerChecked { try checkHeader() }
            var floats = (Float(0), Float(0), Float(0))
            var found = 0
            var i = start
            while i < end {
                while i < end, Parser.isSpace(bytes[i]) { i += 1 }
                if i >= end || bytes[i] == UInt8(ascii: "#") { break }
                let s = i
                while i < end, !Parser.isSpace(bytes[i]) { i += 1 }
                if found < 3 {
                    let v = try number(s, i)
                    switch found { case 0: floats.0 = v; case 1: floats.1 = v; default: floats.2 = v }
                }
                found += 1
            }
            guard found == 3 else { throw fail("expected 3 numbers, found \(found)") }
            let total = expected1D + expected3D
            guard entriesRead < total else {
                throw fail("more than \(describeExpected()); remove the extra lines")
            }
            if entriesRead < expected1D {
                values1D.append(floats.0); values1D.append(floats.1); values1D.append(floats.2)
            } else {
                values3D.append(floats.0); values3D.append(floats.1); values3D.append(floats.2)
            }
            entriesRead += 1
        }

        func describeExpected() -> String {
            switch (size1D, size3D) {
            case let (n1?, n3?): return "\(n1) + \(n3 * n3 * n3) table entries (LUT_1D_SIZE \(n1), LUT_3D_SIZE \(n3))"
            case let (n1?, nil): return "\(n1) table entries (LUT_1D_SIZE \(n1))"
            case let (nil, n3?): return "\(n3 * n3 * n3) table entries (LUT_3D_SIZE \(n3))"
            default: return "0 table entries"
            }
        }

        /// Parses a decimal number in [start, end): [+-]digits[.digits][(e|E)[+-]digits].
        /// Up to 19 significant digits are kept, then scaled by an exact power of ten.
        func number(_ start: Int, _ end: Int) throws -> Float {
            var i = start
            var negative = false
            if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                negative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var mantissa: UInt64 = 0
            var digits = 0
            var exponent = 0
            var sawDigit = false
            while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                sawDigit = true
                if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[i] - 0x30); if mantissa > 0 { digits += 1 } } else { exponent += 1 }
                i += 1
            }
            if i < end, bytes[i] == UInt8(ascii: ".") {
                i += 1
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    sawDigit = true
                    if digits < 19 { mantissa = mantissa * 10 + UInt64(bytes[i] - 0x30); if mantissa > 0 { digits += 1 }; exponent -= 1 }
                    i += 1
                }
            }
            if sawDigit, i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                var expNegative = false
                if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                    expNegative = bytes[i] == UInt8(ascii: "-")
                    i += 1
                }
                var e = 0
                var sawExpDigit = false
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    sawExpDigit = true
                    if e < 10_000 { e = e * 10 + Int(bytes[i] - 0x30) }
                    i += 1
                }
                if !sawExpDigit { sawDigit = false }
                exponent += expNegative ? -e : e
            }
            let token = text(start, end)
            guard sawDigit, i == end else {
                let lower = token.lowercased()
                if lower.contains("nan") || lower.contains("inf") {
                    throw fail("expected a finite number, found '\(token)'")
                }
                if i < end, bytes[i] == UInt8(ascii: ",") {
                    throw fail("expected a number, found '\(token)' (use '.' as the decimal separator)")
                }
                throw fail("expected a number, found '\(token)'")
            }
            var value = Double(mantissa)
            if mantissa != 0 {
                if exponent > 0 {
                    value *= Parser.powerOfTen(exponent)
                } else if exponent < 0 {
                    let scale = Parser.powerOfTen(-exponent)
                    value = scale.isFinite ? value / scale : 0
                }
            }
            let result = Float(negative ? -value : value)
            guard result.isFinite else { throw fail("expected a finite number, found '\(token)' (out of range)") }
            return result
        }

        static let exactPowers: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

        static func powerOfTen(_ k: Int) -> Double {
            k <= 22 ? exactPowers[k] : Foundation.pow(10.0, Double(k))
        }

        // MARK: End of file

        func finish() throws -> CubeLUT {
            guard size1D != nil || size3D != nil else {
                throw EmpathyError.badFile(
                    path: path, line: nil, message: "no LUT_1D_SIZE or LUT_3D_SIZE found; this is not a .cube LUT")
            }
            let total = expected1D + expected3D
            guard entriesRead == total else {
                throw fail("expected \(describeExpected()), found \(entriesRead)")
            }
            // (a header with no entries at all is caught above: total >= 2)
            var shaper: LUT1D?
            var cube: LUT3D?
            if let n = size1D {
                var lo = domainMin ?? .zero, hi = domainMax ?? .one
                if let r = inputRange1D { lo = SIMD3(repeating: r.0); hi = SIMD3(repeating: r.1) }
                shaper = LUT1D(size: n, domainMin: lo, domainMax: hi, values: values1D)
            }
            if let n = size3D {
                var lo = domainMin ?? .zero, hi = domainMax ?? .one
                if let r = inputRange3D { lo = SIMD3(repeating: r.0); hi = SIMD3(repeating: r.1) }
                cube = LUT3D(size: n, domainMin: lo, domainMax: hi, values: values3D)
            }
            return CubeLUT(title: title, shaper: shaper, cube: cube, comments: comments)
        }
    }
}
