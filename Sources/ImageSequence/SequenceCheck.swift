import EmpathyCore
import EXRShim
import Foundation

/// What a wrangler runs before delivery, and what a failed farm job's
/// re-submission renders: every frame a sequence should have, checked on
/// disk. A frame is *missing* (no file), *incomplete* (cut short: a PNG
/// without its closing IEND chunk, an OpenEXR whose chunks do not all read)
/// or *foreign* (complete, but of another size or kind than the sequence's
/// other frames: from another render). Hidden temporary files left by a
/// killed writer are listed too. Reads each file's header and end only.
public struct SequenceCheck: Sendable {
    public enum Problem: Sendable, Equatable {
        case missing
        case incomplete
        case foreign(String)
    }

    public struct Finding: Sendable, Equatable {
        public var frame: Int
        public var file: String
        public var problem: Problem
    }

    public let directory: String
    public let naming: SequenceNaming
    public let frames: [Int]
    public private(set) var findings: [Finding] = []
    /// `.<file>.<pid>.tmp` files of this sequence.
    public private(set) var temporaries: [String] = []
    /// The size and kind most frames have ("640x360 8-bit RGBA PNG").
    public private(set) var shape: String?

    public var isClean: Bool { findings.isEmpty && temporaries.isEmpty }
    /// The frames to render again, ascending.
    public var framesToRedo: [Int] { findings.map(\.frame) }

    /// Checks `frames` (1-based; frame f is file number startNumber + f − 1)
    /// of the sequence `naming` names in `directory`.
    public init(directory: String, naming: SequenceNaming, frames: [Int]) {
        self.directory = directory
        self.naming = naming
        self.frames = frames
        let dir = URL(fileURLWithPath: directory)
        var shapes: [(frame: Int, file: String, shape: String)] = []
        for frame in frames {
            let file = naming.fileName(number: naming.startNumber + frame - 1)
            let path = dir.appendingPathComponent(file).path
            guard FileManager.default.fileExists(atPath: path) else {
                findings.append(Finding(frame: frame, file: file, problem: .missing))
                continue
            }
            guard let shape = Self.shape(of: path) else {
                findings.append(Finding(frame: frame, file: file, problem: .incomplete))
                continue
            }
            shapes.append((frame, file, shape))
        }
        let counts = Dictionary(shapes.map { ($0.shape, 1) }, uniquingKeysWith: +)
        shape = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
        if let shape {
            for s in shapes where s.shape != shape {
                findings.append(Finding(frame: s.frame, file: s.file, problem: .foreign("\(s.shape), the others \(shape)")))
            }
        }
        findings.sort { $0.frame < $1.frame }
        temporaries = AtomicFile.staleTemporaries(in: directory) { name in
            name.hasPrefix(naming.prefix) && name.hasSuffix(naming.suffix)
        }.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted()
    }

    /// "640x360 8-bit RGBA PNG" for a complete frame, nil for an incomplete one.
    static func shape(of path: String) -> String? {
        if path.lowercased().hasSuffix(".exr") {
            var width: Int32 = 0, height: Int32 = 0
            guard ex_is_complete(path, &width, &height, nil, 0) == EX_OK else { return nil }
            return "\(width)x\(height) OpenEXR"
        }
        guard PNGCodec.isComplete(path: path), let header = FileHandle(forReadingAtPath: path)?.readData(ofLength: 26),
              header.count == 26 else { return nil }
        let bytes = [UInt8](header)
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let colour = [0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"][Int(bytes[25])] ?? "type \(bytes[25])"
        return "\(be32(16))x\(be32(20)) \(bytes[24])-bit \(colour) PNG"
    }
}

/// The frame sequences in a folder: files `<stem>.<digits>.<ext>`.
public enum SequenceFolder {
    public struct Sequence: Sendable, Equatable {
        public var stem: String
        /// File numbers, ascending.
        public var numbers: [Int]
        /// Digits in the first file's number.
        public var padding: Int

        public init(stem: String, numbers: [Int], padding: Int) {
            self.stem = stem
            self.numbers = numbers
            self.padding = padding
        }
    }

    /// Every sequence of `.<fileExtension>` files in `directory`, by stem
    /// (a matte layer, `<stem>.matte.0001.png`, is its own stem).
    public static func sequences(in directory: String, fileExtension: String = "png") -> [Sequence] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [String: [(number: Int, digits: Int)]] = [:]
        let suffix = "." + fileExtension
        for name in names where name.hasSuffix(suffix) && !name.hasPrefix(".") {
            let parts = name.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2, let digits = parts.last, !digits.isEmpty, digits.count <= 12,
                  digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else { continue }
            found[parts.dropLast().joined(separator: "."), default: []].append((number, digits.count))
        }
        return found.keys.sorted().map { stem in
            var seen = Set<Int>()
            let files = found[stem]!.sorted { ($0.number, $0.digits) < ($1.number, $1.digits) }.filter { seen.insert($0.number).inserted }
            return Sequence(stem: stem, numbers: files.map(\.number), padding: files[0].digits)
        }
    }
}
