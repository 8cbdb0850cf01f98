import EmpathyCore
import FaceAnalysis
import Foundation

/// One frame of the emotion track: the face analysis's reading of the frame
/// plus the heart from a sensor session (heart rate, RMSSD, beat phase,
/// fused arousal; filled by `HeartFusion`, absent values written as empty
/// cells). The reading's fields read through (`row.valence`), so a row is
/// used as the one flat record the track file holds.
@dynamicMemberLookup
public struct EmotionTrackRow: Sendable, Equatable {
    public var face: FaceReading
    public var heartRateBPM: Double?
    public var rmssdMs: Double?
    /// 0…1 through the current inter-beat interval.
    public var beatPhase: Double?
    public var fusedArousal: Double?

    public init(face: FaceReading, heartRateBPM: Double? = nil, rmssdMs: Double? = nil, beatPhase: Double? = nil,
                fusedArousal: Double? = nil) {
        self.face = face
        self.heartRateBPM = heartRateBPM
        self.rmssdMs = rmssdMs
        self.beatPhase = beatPhase
        self.fusedArousal = fusedArousal
    }

    public init(frameIndex: Int, timeSeconds: Double, faceFound: Bool, faceID: Int? = nil, box: FaceBox? = nil,
                actionUnits: ActionUnitIntensities = ActionUnitIntensities(),
                estimate: EmotionEstimate = .neutral,
                heartRateBPM: Double? = nil, rmssdMs: Double? = nil, beatPhase: Double? = nil, fusedArousal: Double? = nil) {
        self.init(face: FaceReading(frameIndex: frameIndex, timeSeconds: timeSeconds, faceFound: faceFound, faceID: faceID,
                                    box: box, actionUnits: actionUnits, estimate: estimate),
                  heartRateBPM: heartRateBPM, rmssdMs: rmssdMs, beatPhase: beatPhase, fusedArousal: fusedArousal)
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<FaceReading, Value>) -> Value {
        get { face[keyPath: field] }
        set { face[keyPath: field] = newValue }
    }

    public subscript<Value>(dynamicMember field: KeyPath<FaceReading, Value>) -> Value { face[keyPath: field] }
}

/// The emotion track file: CSV, one header row, then one row per frame.
/// Columns (see docs/emotion-track.md):
/// `frame, time_s, face_found (0/1), face_id, box_left, box_top, box_width,
/// box_height`, the twelve AU columns (`ActionUnit.columnName`), the seven
/// category columns (`cat_…`), `valence, arousal`, then the biometric
/// columns `heart_rate_bpm, rmssd_ms, beat_phase, fused_arousal`, and
/// `micro_expression` (a category name on the frames of a brief expression).
/// Scores are written with 4 decimals, time with 6; an absent value is an
/// empty cell.
public enum EmotionTrackFile {
    public static let columns: [String] =
        ["frame", "time_s", "face_found", "face_id", "box_left", "box_top", "box_width", "box_height"]
        + ActionUnit.allCases.map(\.columnName) + EmotionCategory.allCases.map(\.columnName)
        + ["valence", "arousal", "heart_rate_bpm", "rmssd_ms", "beat_phase", "fused_arousal", "micro_expression"]
    /// Columns a track may lack (older tracks, tracks made without a sensor).
    static let optionalColumns: Set<String> = ["heart_rate_bpm", "rmssd_ms", "beat_phase", "fused_arousal", "micro_expression"]

    public static func encode(_ rows: [EmotionTrackRow]) -> String {
        var out = header
        for row in rows { out += encodeRow(row) }
        return out
    }

    /// The header row, with its line end.
    public static var header: String { columns.joined(separator: ",") + "\n" }

    /// One row, with its line end.
    public static func encodeRow(_ row: EmotionTrackRow) -> String {
        var cells: [String] = [String(row.frameIndex), fixed(row.timeSeconds, 6), row.faceFound ? "1" : "0",
                               row.faceID.map(String.init) ?? ""]
        if let b = row.box {
            cells += [String(b.left), String(b.top), String(b.width), String(b.height)]
        } else {
            cells += ["", "", "", ""]
        }
        cells += row.actionUnits.values.map { fixed($0, 4) }
        cells += row.categories.map { fixed($0, 4) }
        cells += [fixed(row.valence, 4), fixed(row.arousal, 4)]
        cells += [row.heartRateBPM, row.rmssdMs, row.beatPhase, row.fusedArousal].map { $0.map { fixed($0, 4) } ?? "" }
        cells.append(row.microExpression?.rawValue ?? "")
        return cells.joined(separator: ",") + "\n"
    }

    /// `row` as a reader of the file gets it back (numbers rounded as written),
    /// so a live take renders from exactly what a batch render of its track reads.
    public static func asWritten(_ row: EmotionTrackRow) throws -> EmotionTrackRow {
        guard let back = try decode(header + encodeRow(row), path: "(live track row)").first else {
            throw EmpathyError.message("a live track row did not read back")
        }
        return back
    }

    /// `rows` as the file reads them back, with the brief expressions found
    /// in those values marked (`MicroExpression`). Found in what is written,
    /// so a track merged from pieces (`TrackMerge`) marks exactly what the
    /// analysis of the whole clip marks.
    public static func markingMicroExpressions(_ rows: [EmotionTrackRow], framesPerSecond fps: Double) throws
        -> (rows: [EmotionTrackRow], episodes: [MicroExpression]) {
        var written = try decode(encode(rows), path: "(emotion track)")
        var episodes: [MicroExpression] = []
        // Each run of consecutive frames on its own: an episode never spans frames that are not there.
        var start = 0
        for run in FrameSpec.runs(of: written.map(\.frameIndex)) {
            let rows = start..<(start + run.count)
            var readings = written[rows].map(\.face)
            let found = MicroExpression.find(in: readings, framesPerSecond: fps)
            MicroExpression.mark(found, in: &readings)
            for (i, reading) in zip(rows, readings) { written[i].face = reading }
            episodes += found
            start = rows.upperBound
        }
        return (written, episodes)
    }

    public static func write(_ rows: [EmotionTrackRow], to path: String) throws {
        try AtomicFile.write(encode(rows), to: path)
    }

    public static func read(path: String) throws -> [EmotionTrackRow] {
        try decode(UserFile.text(path, what: "emotion track"), path: path)
    }

    /// Parses a track. Columns are found by name, so columns may be reordered
    /// and extra ones are ignored; each required one must be present.
    public static func decode(_ text: String, path: String) throws -> [EmotionTrackRow] {
        var lines = EditedText.normalized(text).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first else {
            throw EmpathyError.badFile(path: path, line: nil, message: "is empty; an emotion track starts with a header row")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var position: [String: Int] = [:]
        for (i, name) in names.enumerated() { position[name] = i }
        let required = columns.filter { !optionalColumns.contains($0) }
        for name in required where position[name] == nil {
            throw EmpathyError.badFile(path: path, line: 1, message: "header has no '\(name)' column; is this an emotion track from 'empathy analyze'?")
        }
        var rows: [EmotionTrackRow] = []
        for (n, line) in lines.enumerated().dropFirst() {
            let lineNumber = n + 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == names.count else {
                throw EmpathyError.badFile(path: path, line: lineNumber, message: "expected \(names.count) cells, found \(cells.count)")
            }
            func cell(_ name: String) -> String { position[name].map { cells[$0] } ?? "" }
            func number(_ name: String) throws -> Double {
                guard let v = Double(cell(name)), v.isFinite else {
                    throw EmpathyError.badFile(path: path, line: lineNumber, message: "'\(name)' must be a number, found '\(cell(name))'")
                }
                return v
            }
            func optional(_ name: String) throws -> Double? { cell(name).isEmpty ? nil : try number(name) }
            /// Whole numbers are bounded so that no later sum can overflow:
            /// frames and IDs by 10⁹, box edges by 10⁶ pixels.
            func integer(_ name: String, in range: ClosedRange<Int> = 0...1_000_000_000) throws -> Int {
                guard let v = Int(cell(name)) else {
                    throw EmpathyError.badFile(path: path, line: lineNumber, message: "'\(name)' must be a whole number, found '\(cell(name))'")
                }
                guard range.contains(v) else {
                    throw EmpathyError.badFile(path: path, line: lineNumber, message:
                        "'\(name)' must be from \(range.lowerBound) to \(range.upperBound), found \(v)")
                }
                return v
            }
            let faceFound: Bool
            switch cell("face_found") {
            case "1": faceFound = true
            case "0": faceFound = false
            default:
                throw EmpathyError.badFile(path: path, line: lineNumber, message: "'face_found' must be 0 or 1, found '\(cell("face_found"))'")
            }
            var box: FaceBox?
            if !cell("box_left").isEmpty {
                let pixels = -1_000_000...1_000_000, size = 1...1_000_000
                let left = try integer("box_left", in: pixels), top = try integer("box_top", in: pixels)
                box = FaceBox(left: left, top: top, right: left + (try integer("box_width", in: size)) - 1,
                              bottom: top + (try integer("box_height", in: size)) - 1)
            }
            var row = EmotionTrackRow(frameIndex: try integer("frame"), timeSeconds: try number("time_s"), faceFound: faceFound,
                                      faceID: cell("face_id").isEmpty ? nil : try integer("face_id"), box: box)
            row.actionUnits = ActionUnitIntensities(values: try ActionUnit.allCases.map { try number($0.columnName) })
            row.categories = try EmotionCategory.allCases.map { try number($0.columnName) }
            row.valence = try number("valence")
            row.arousal = try number("arousal")
            row.heartRateBPM = try optional("heart_rate_bpm")
            row.rmssdMs = try optional("rmssd_ms")
            row.beatPhase = try optional("beat_phase")
            row.fusedArousal = try optional("fused_arousal")
            if !cell("micro_expression").isEmpty {
                guard let category = EmotionCategory(rawValue: cell("micro_expression")) else {
                    throw EmpathyError.badFile(path: path, line: lineNumber, message:
                        "'micro_expression' must be empty or a category (\(EmotionCategory.allCases.map(\.rawValue).joined(separator: ", "))), found '\(cell("micro_expression"))'")
                }
                row.microExpression = category
            }
            rows.append(row)
        }
        return rows
    }

    /// The landmark sidecar's path: `scene.track.csv` → `scene.track.landmarks.csv`.
    public static func landmarksPath(forTrack path: String) -> String {
        let base = path.hasSuffix(".csv") ? String(path.dropLast(4)) : path
        return base + ".landmarks.csv"
    }

    /// Landmark sidecar: `frame, face_id, x0, y0, … x67, y67` (pixels, 2
    /// decimals, the smoothed landmarks the scores were computed from);
    /// empty cells where no face was found.
    public static func encodeLandmarks(_ frames: [(frameIndex: Int, faceID: Int?, points: [SIMD2<Double>]?)], pointCount: Int = 68) -> String {
        var header = ["frame", "face_id"]
        for i in 0..<pointCount { header += ["x\(i)", "y\(i)"] }
        var out = header.joined(separator: ",") + "\n"
        for f in frames { out += encodeLandmarkRow(frameIndex: f.frameIndex, faceID: f.faceID, points: f.points, pointCount: pointCount) }
        return out
    }

    /// One sidecar row, with its line end.
    public static func encodeLandmarkRow(frameIndex: Int, faceID: Int?, points: [SIMD2<Double>]?, pointCount: Int = 68) -> String {
        var out = "\(frameIndex),\(faceID.map(String.init) ?? ""),"
        if let points, points.count == pointCount {
            out += points.map { "\(fixed($0.x, 2)),\(fixed($0.y, 2))" }.joined(separator: ",")
        } else {
            out += Array(repeating: "", count: 2 * pointCount).joined(separator: ",")
        }
        return out + "\n"
    }

    /// Points as the sidecar gives them back (2 decimals).
    public static func asWritten(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
        points.map { SIMD2(Double(fixed($0.x, 2)) ?? $0.x, Double(fixed($0.y, 2)) ?? $0.y) }
    }

    /// Reads a landmark sidecar: the points of every frame that has a face
    /// (frames without one, with empty cells, are left out). Any number of
    /// points per row, as the header names them (x0, y0, …).
    public static func readLandmarks(path: String) throws -> [Int: [SIMD2<Double>]] {
        try decodeLandmarks(UserFile.text(path, what: "landmarks"), path: path)
    }

    public static func decodeLandmarks(_ text: String, path: String) throws -> [Int: [SIMD2<Double>]] {
        let sidecar = try landmarkLines(text, path: path)
        var frames: [Int: [SIMD2<Double>]] = [:]
        for row in sidecar.rows {
            let cells = row.line.split(separator: ",", omittingEmptySubsequences: false)
            if cells[2].isEmpty { continue }  // no face in this frame
            var points: [SIMD2<Double>] = []
            points.reserveCapacity(sidecar.pointCount)
            for i in 0..<sidecar.pointCount {
                guard let x = Double(cells[2 + 2 * i]), let y = Double(cells[3 + 2 * i]), x.isFinite, y.isFinite else {
                    throw EmpathyError.badFile(path: path, line: row.lineNumber, message:
                        "point \(i) must be two numbers, found '\(cells[2 + 2 * i])', '\(cells[3 + 2 * i])'")
                }
                points.append(SIMD2(x, y))
            }
            frames[row.frame] = points
        }
        return frames
    }

    /// A landmark sidecar's header (checked) and rows, each with its frame
    /// and its text as written (of the header's cell count): what reading
    /// the points and merging sidecars (`TrackMergeJob`) both start from.
    public static func landmarkLines(_ text: String, path: String) throws
        -> (header: Substring, pointCount: Int, rows: [(frame: Int, lineNumber: Int, line: Substring)]) {
        var lines = EditedText.normalized(text).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first else {
            throw EmpathyError.badFile(path: path, line: nil, message: "is empty; a landmark file starts with a header row")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let pointCount = (names.count - 2) / 2
        var expected = ["frame", "face_id"]
        for i in 0..<max(pointCount, 0) { expected += ["x\(i)", "y\(i)"] }
        guard pointCount > 0, names == expected else {
            throw EmpathyError.badFile(path: path, line: 1, message:
                "header must be 'frame,face_id,x0,y0,…' as 'empathy analyze' writes it; write it again with 'empathy analyze'")
        }
        return (header, pointCount, try lines.enumerated().dropFirst().map { n, line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == names.count else {
                throw EmpathyError.badFile(path: path, line: n + 1, message: "expected \(names.count) cells, found \(cells.count)")
            }
            guard let frame = Int(cells[0]), frame >= 0 else {
                throw EmpathyError.badFile(path: path, line: n + 1, message: "'frame' must be a whole number, found '\(cells[0])'")
            }
            return (frame, n + 1, line)
        })
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let s = String(format: "%.\(decimals)f", value)
        // No "-0.0000": a spreadsheet shows it oddly.
        if s.hasPrefix("-"), s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(s.dropFirst()) }
        return s
    }
}
