import EmpathyCore
import Foundation

/// A look file (`looks/<name>.json`): the pass chain, and for each pass
/// parameter the emotion fields that drive it. See looks/README.md.
public struct Look: Sendable {
    /// An emotion field a parameter can follow; a category's field is named
    /// as the category (`happiness`).
    public enum Source: Sendable, Equatable {
        case valence, arousal, heartRate, beatPhase, beatPulse, stress, faceFound
        case category(EmotionCategory)

        /// Every field, in the order `empathy looks` lists them.
        public static let all: [Source] = [.valence, .arousal, .heartRate, .beatPhase, .beatPulse, .stress]
            + EmotionCategory.allCases.map { .category($0) } + [.faceFound]

        public var name: String {
            switch self {
            case .valence: return "valence"
            case .arousal: return "arousal"
            case .heartRate: return "heartRate"
            case .beatPhase: return "beatPhase"
            case .beatPulse: return "beatPulse"
            case .stress: return "stress"
            case .faceFound: return "faceFound"
            case .category(let category): return category.rawValue
            }
        }

        public init?(name: String) {
            guard let source = Self.all.first(where: { $0.name == name }) else { return nil }
            self = source
        }

        public func value(in state: EmotionState) -> Float {
            switch self {
            case .valence: return state.valence
            case .arousal: return state.arousal
            case .heartRate: return state.heartRateBPM ?? 0
            case .beatPhase: return state.beatPhase
            case .beatPulse: return state.beatPulse
            case .stress: return state.stress
            case .faceFound: return state.faceBox == nil ? 0 : 1
            case .category(let category): return state.score(category)
            }
        }

        /// Whether the field measures something at this frame: the face's
        /// fields need a face, the heart's a heart rate; `faceFound` always.
        /// Elsewhere a field reads its neutral default, so a step into or out
        /// of it is the face entering the picture or the sensor connecting,
        /// not the emotion changing (see `Mapping.riseMs`).
        public func isPresent(in state: EmotionState) -> Bool {
            switch self {
            case .valence, .arousal, .category: return state.faceBox != nil
            case .heartRate, .beatPhase, .beatPulse, .stress: return state.heartRateBPM != nil
            case .faceFound: return true
            }
        }
    }

    /// How one parameter follows the emotion, per frame f:
    ///   x_f = constant + Σ weight_i · source_i(f);
    ///   with `riseMs` > 0: x_f = max(0, x_f − x_(f−n)), n = round(riseMs · fps / 1000) frames
    ///   (the rise over that window; bursts on sudden rises), and 0 where a
    ///   source read at f or at f−n is not present there (`Source.isPresent`:
    ///   the face found, a heart rate read), so a face found or a sensor
    ///   plugged in mid-take sets off no burst;
    ///   c_f = curve(x_f), piecewise linear through `curve`'s points, flat beyond the ends;
    ///   y_0 = c_0, y_f = y_(f−1) + (c_f − y_(f−1)) · (1 − e^(−Δt/τ)), Δt = 1/fps,
    ///   τ = attackMs when c_f > y_(f−1), else releaseMs (0 follows at once);
    ///   then y_f = c_f once |c_f − y_f| < `settleDistance`: a filter that would
    ///   approach its rest value for ever reaches it, a few τ after the last
    ///   change (ln 4096 ≈ 8.3 τ for a full step), so a pass that is the identity
    ///   at rest (`ISFHeader.identityWhenZero`) is skipped once the emotion is calm.
    /// Past the first segment the filters start again a warm-up before each
    /// segment (see `LookAutomation`), so a frame's value is computed the same
    /// way in any chunk and costs the same at frame 150,000 as at frame 10.
    public struct Mapping: Sendable, Equatable {
        public var constant: Float = 0
        public var weights: [(Source, Float)] = []
        public var riseMs: Double = 0
        public var curve: [SIMD2<Float>] = []
        public var attackMs: Double = 0
        public var releaseMs: Double = 0

        /// Closer than this to its target, a smoothed value takes the target
        /// (1/4096: below a code value of a 12-bit output on a unit range).
        public static let settleDistance: Float = 1.0 / 4096

        public static func == (a: Mapping, b: Mapping) -> Bool {
            a.constant == b.constant && a.weights.map(\.0) == b.weights.map(\.0) && a.weights.map(\.1) == b.weights.map(\.1)
                && a.riseMs == b.riseMs && a.curve == b.curve && a.attackMs == b.attackMs && a.releaseMs == b.releaseMs
        }

        public func shape(_ x: Float) -> Float {
            guard let first = curve.first, let last = curve.last else { return x }
            if x <= first.x { return first.y }
            if x >= last.x { return last.y }
            for k in 1..<curve.count where x <= curve[k].x {
                let a = curve[k - 1], b = curve[k]
                return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)
            }
            return last.y
        }
    }

    public enum PassKind: Sendable, Equatable {
        /// An ISF shader file (a pass in shaders/passes, or a user's).
        case shader(path: String)
        /// A pass with Swift code from `PassRegistry`, and its look fields.
        case registered(name: String, fields: PassFields)

        /// The name `empathy looks` shows.
        public var name: String {
            switch self {
            case let .shader(path): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            case let .registered(name, _): return name
            }
        }
    }

    public struct Pass: Sendable, Equatable {
        public var kind: PassKind
        /// Parameter name → mapping, in file order.
        public var parameters: [(name: String, mapping: Mapping)]

        public static func == (a: Pass, b: Pass) -> Bool {
            a.kind == b.kind && a.parameters.map(\.name) == b.parameters.map(\.name)
                && a.parameters.map(\.mapping) == b.parameters.map(\.mapping)
        }
    }

    public var name: String
    public var description: String
    public var passes: [Pass]
    /// The file it came from (for messages).
    public var path: String

    public static func load(_ url: URL) throws -> Look {
        let path = url.relativePath
        let data = Data(try UserFile.bytes(url.path, what: "look"))
        return try parse(data, path: path, shadersDirectory: try? ResourceLocator.shadersDirectory())
    }

    /// Parses a look; errors name the file and the field
    /// (`'looks/x.json': field 'passes[1].parameters.strength.curve': …`).
    public static func parse(_ data: Data, path: String, shadersDirectory: URL?) throws -> Look {
        func fail(_ field: String, _ message: String) -> EmpathyError {
            .badFile(path: path, line: nil, message: "field '\(field)': \(message)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(data))
        } catch {
            throw EmpathyError.badFile(
                path: path, line: nil,
                message: "not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw fail("(top level)", "expected a JSON object") }
        let known: Set<String> = ["name", "description", "passes"]
        for key in root.keys.sorted() where !known.contains(key) {
            throw fail(key, "unknown field; a look has name, description and passes")
        }
        guard let name = root["name"] as? String, !name.isEmpty else { throw fail("name", "missing or not a string") }
        let description = root["description"] as? String ?? ""
        guard let rawPasses = root["passes"] as? [Any], !rawPasses.isEmpty else {
            throw fail("passes", "missing or empty; list at least one pass")
        }
        var passes: [Pass] = []
        for (index, raw) in rawPasses.enumerated() {
            let field = "passes[\(index)]"
            guard let entry = raw as? [String: Any] else { throw fail(field, "expected an object") }
            let kind = try parseKind(entry, field: field, path: path, shadersDirectory: shadersDirectory, fail: fail)
            var parameters: [(String, Mapping)] = []
            if let rawParameters = entry["parameters"] {
                guard let dictionary = rawParameters as? [String: Any] else { throw fail("\(field).parameters", "expected an object") }
                for key in dictionary.keys.sorted() {
                    parameters.append((key, try parseMapping(dictionary[key] as Any, field: "\(field).parameters.\(key)", fail: fail)))
                }
            }
            passes.append(Pass(kind: kind, parameters: parameters))
        }
        return Look(name: name, description: description, passes: passes, path: path)
    }

    /// A pass entry's `pass` (a registered pass or a file in shaders/passes)
    /// or `shader` (an ISF file), with the fields that kind takes.
    static func parseKind(_ entry: [String: Any], field: String, path: String, shadersDirectory: URL?,
                          fail: (String, String) -> EmpathyError) throws -> PassKind {
        switch (entry["pass"], entry["shader"]) {
        case (let pass as String, nil):
            guard let type = PassRegistry.type(named: pass) else {
                try checkKeys(entry, allowed: ["pass", "parameters"], field: field, fail: fail)
                let file = "passes/\(pass).frag"
                if let shadersDirectory, !FileManager.default.fileExists(atPath: shadersDirectory.appendingPathComponent(file).path) {
                    let names = PassRegistry.all.map(\.name).joined(separator: ", ")
                    throw fail("\(field).pass", "unknown pass '\(pass)'; use \(names), a file in shaders/passes, or \"shader\": \"path.fs\"")
                }
                return .shader(path: file)
            }
            let names = type.fields.map(\.name)
            try checkKeys(entry, allowed: ["pass", "parameters"] + names, field: field, fail: fail)
            let values = entry.filter { names.contains($0.key) }.mapValues(JSONValue.init)
            let fields = PassFields(lookPath: path, entry: field, values: values)
            try type.validate(fields)
            return .registered(name: pass, fields: fields)
        case (nil, let shader as String):
            try checkKeys(entry, allowed: ["shader", "parameters"], field: field, fail: fail)
            return .shader(path: shader)
        default:
            throw fail(field, "give exactly one of \"pass\" (a built-in name) or \"shader\" (an ISF file)")
        }
    }

    private static func checkKeys(_ entry: [String: Any], allowed: [String], field: String,
                                  fail: (String, String) -> EmpathyError) throws {
        for key in entry.keys.sorted() where !allowed.contains(key) {
            throw fail("\(field).\(key)", "unknown field; this pass takes \(allowed.joined(separator: ", "))")
        }
    }

    static func parseMapping(_ raw: Any, field: String, fail: (String, String) -> EmpathyError) throws -> Mapping {
        var mapping = Mapping()
        if let number = raw as? NSNumber, !isJSONBoolean(raw) {
            guard number.floatValue.isFinite else { throw fail(field, "must be a number a 32-bit float holds, found \(number)") }
            mapping.constant = number.floatValue
            return mapping
        }
        guard let entry = raw as? [String: Any] else {
            throw fail(field, "expected a number or an object with from, curve, attackMs, releaseMs")
        }
        let keys: Set<String> = ["value", "from", "riseMs", "curve", "attackMs", "releaseMs"]
        for key in entry.keys.sorted() where !keys.contains(key) {
            throw fail("\(field).\(key)", "unknown field; use value, from, riseMs, curve, attackMs, releaseMs")
        }
        func number(_ key: String, minimum: Double? = nil) throws -> Double? {
            guard let value = entry[key] else { return nil }
            guard let n = value as? NSNumber, !isJSONBoolean(value), n.floatValue.isFinite else {
                throw fail("\(field).\(key)", "must be a number a 32-bit float holds")
            }
            if let minimum, n.doubleValue < minimum { throw fail("\(field).\(key)", "must be at least \(minimum)") }
            return n.doubleValue
        }
        mapping.constant = Float(try number("value") ?? 0)
        mapping.riseMs = try number("riseMs", minimum: 0) ?? 0
        mapping.attackMs = try number("attackMs", minimum: 0) ?? 0
        mapping.releaseMs = try number("releaseMs", minimum: 0) ?? 0
        if let from = entry["from"] {
            if let single = from as? String {
                guard let source = Source(name: single) else {
                    throw fail("\(field).from", "unknown emotion field '\(single)'; use one of \(Source.all.map(\.name).joined(separator: ", "))")
                }
                mapping.weights = [(source, 1)]
            } else if let weighted = from as? [String: Any] {
                for key in weighted.keys.sorted() {
                    guard let source = Source(name: key) else {
                        throw fail("\(field).from.\(key)", "unknown emotion field; use one of \(Source.all.map(\.name).joined(separator: ", "))")
                    }
                    guard let weight = weighted[key] as? NSNumber, !isJSONBoolean(weighted[key]), weight.floatValue.isFinite else {
                        throw fail("\(field).from.\(key)", "the weight must be a number")
                    }
                    mapping.weights.append((source, weight.floatValue))
                }
            } else {
                throw fail("\(field).from", "expected an emotion field name or { \"field\": weight, … }")
            }
        }
        if let curve = entry["curve"] {
            guard let points = curve as? [[NSNumber]], points.count >= 2,
                  points.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.floatValue.isFinite } }) else {
                throw fail("\(field).curve", "expected at least two [x, y] points")
            }
            mapping.curve = points.map { SIMD2($0[0].floatValue, $0[1].floatValue) }
            for k in 1..<mapping.curve.count where !(mapping.curve[k].x > mapping.curve[k - 1].x) {
                throw fail("\(field).curve", "x must increase from point to point (point \(k) has x = \(mapping.curve[k].x))")
            }
        }
        return mapping
    }
}

/// Every parameter's value, evaluated frame by frame (see `Look.Mapping`).
///
/// The filters (smoothing, rise windows) carry state from frame to frame, so
/// frame f needs the frames before it; stepping from frame 0 would make a
/// chunk at frame 150,000 of a feature pay 150,000 steps first. Instead the
/// frames fall into segments of `segmentFrames`, and every frame of segment s
/// is evaluated by a run that starts from rest `warmUpFrames` before the
/// segment (frame 0 for the first) and steps in order. That run is the same
/// whichever chunk, order or machine asks, so values stay byte-exact across
/// chunks; a chunk's first frame costs at most `segmentFrames + warmUpFrames`
/// steps, and every later frame one step (plus a warm-up once a segment).
///
/// The warm-up is exact for rise windows (it covers n frames) and forgets the
/// smoothing's start to within e^(−8) ≈ 3.4·10⁻⁴ of the step (W ≥ 8τ/Δt):
/// where a segment starts, the value differs from a filter never restarted by
/// at most that fraction of the parameter's swing — under a tenth of an 8-bit
/// level for a parameter that moves a colour over its full range.
///
/// Jumps ahead step through the frames between; a jump back, or into a new
/// segment, starts that segment's run again. A timeline with no end (a live
/// take) works. Not Sendable: it carries the state of the last frame evaluated.
public final class LookAutomation {
    private struct Parameter {
        let name: String
        let mapping: Look.Mapping
        /// n for `riseMs` (0 without), and x of the last n frames, circular
        /// (NaN where a source was not present).
        let riseFrames: Int
        var history: [Float]
        var first: Float = 0
        var y: Float = 0
    }

    private let timeline: any EmotionTimeline
    private let dt: Double
    private var parameters: [[Parameter]]
    private let initial: [[Parameter]]
    /// W: 8 of the longest smoothing time plus the longest rise window, in frames.
    public let warmUpFrames: Int
    /// Frames per segment: 1,024, or 4 W when the warm-up is long.
    public let segmentFrames: Int
    /// The frame the current run started at, and the frame its next step evaluates.
    private var runStart = 0
    private var nextFrame = 0

    public init(look: Look, timeline: any EmotionTimeline) {
        self.timeline = timeline
        let fps = timeline.framesPerSecond
        dt = 1 / fps
        initial = look.passes.map { pass in
            pass.parameters.map { parameter in
                let n = parameter.mapping.riseMs > 0 ? max(1, Int((parameter.mapping.riseMs * fps / 1000).rounded())) : 0
                return Parameter(name: parameter.name, mapping: parameter.mapping, riseFrames: n,
                                 history: [Float](repeating: 0, count: n))
            }
        }
        parameters = initial
        let all = initial.joined()
        let tauMs = all.map { max($0.mapping.attackMs, $0.mapping.releaseMs) }.max() ?? 0
        warmUpFrames = Int((8 * tauMs * fps / 1000).rounded(.up)) + (all.map(\.riseFrames).max() ?? 0)
        segmentFrames = max(1024, 4 * warmUpFrames)
    }

    /// The frame the run that evaluates `frameIndex` starts at.
    public func runStart(for frameIndex: Int) -> Int {
        max(0, frameIndex / segmentFrames * segmentFrames - warmUpFrames)
    }

    /// values[pass] = (parameter name, value) at `frameIndex`, in file order.
    public func values(at frameIndex: Int) -> [[(name: String, value: Float)]] {
        let start = runStart(for: frameIndex)
        if start != runStart || frameIndex < nextFrame - 1 {
            parameters = initial
            runStart = start
            nextFrame = start
        }
        while nextFrame <= frameIndex { step() }
        return parameters.map { $0.map { ($0.name, $0.y) } }
    }

    /// Evaluates frame `nextFrame` from the one before.
    private func step() {
        let f = nextFrame
        let state = timeline.state(at: f)
        for p in parameters.indices {
            for k in parameters[p].indices {
                let m = parameters[p][k].mapping
                var x = m.weights.reduce(m.constant) { $0 + $1.1 * $1.0.value(in: state) }
                let n = parameters[p][k].riseFrames
                if n > 0 {
                    let present = m.weights.allSatisfy { $0.0.isPresent(in: state) }
                    let recorded = present ? x : .nan
                    if f == runStart { parameters[p][k].first = recorded }
                    // x_(f−n), or the run's first x before n frames; read before this frame overwrites the slot.
                    let past = f - runStart >= n ? parameters[p][k].history[f % n] : parameters[p][k].first
                    parameters[p][k].history[f % n] = recorded
                    x = present && !past.isNaN ? max(0, x - past) : 0
                }
                let c = m.shape(x)
                let y = parameters[p][k].y
                let tau = (c > y ? m.attackMs : m.releaseMs) / 1000
                let smoothed = f == runStart || tau <= 0 ? c : y + (c - y) * Float(1 - exp(-dt / tau))
                parameters[p][k].y = abs(c - smoothed) < Look.Mapping.settleDistance ? c : smoothed
            }
        }
        nextFrame += 1
    }
}

/// Finds looks: a path to a `.json` file, or a name in `looks/`.
public enum LookLibrary {
    public static let defaultName = "neon-noir"

    public static func directory() throws -> URL { try ResourceLocator.root().appendingPathComponent("looks") }

    /// Shipped look files, sorted by name.
    public static func shipped() throws -> [URL] {
        let dir = try directory()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }
    }

    public static func resolve(_ reference: String) throws -> URL {
        if reference.hasSuffix(".json") || reference.contains("/") {
            guard FileManager.default.fileExists(atPath: reference) else {
                throw EmpathyError.io(path: reference, operation: "read look", errno: ENOENT)
            }
            return URL(fileURLWithPath: reference)
        }
        let url = try directory().appendingPathComponent("\(reference).json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let names = ((try? shipped()) ?? []).map { $0.deletingPathExtension().lastPathComponent }
            throw EmpathyError.invalidArgument(
                "unknown look '\(reference)'; choose one of \(names.joined(separator: ", ")) or give a .json path")
        }
        return url
    }
}
