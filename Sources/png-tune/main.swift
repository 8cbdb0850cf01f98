// png-tune: measures PNG encoder settings on real frames, to choose
// `PNGOptions.default`.
//
//   swift build -c release --product png-tune
//   .build/release/png-tune [--repeats N] grain.1.png grain.2.png ... clean:clean.png
//
// Frames named with a `clean:` prefix are reported in their own column.
// For every setting: the median ms per encode (over N repeats of each frame)
// and the mean bytes per frame; every output is decoded with libpng and must
// match the source exactly. Then ffmpeg's PNG encoder with its defaults
// (`ffmpeg -i frame.png -c:v png out.png`) on the same frames, for size.
//
// Test frames (public-domain NASA astronaut photo from Debian's python3-skimage):
//   apt-get download python3-skimage && dpkg-deb -x python3-skimage_*.deb x
//   A=x/usr/lib/python3/dist-packages/skimage/data/astronaut.png
//   ffmpeg -loop 1 -i $A -vf "scale=1920:1080,noise=alls=8:allf=t,format=rgb24" -frames:v 3 grain.%d.png
//   ffmpeg -i $A -vf "scale=1920:1080,format=rgb24" -frames:v 1 clean.png
import EmpathyCore
import Foundation
import ImageSequence

struct Frame {
    let path: String
    let clean: Bool
    let image: RGBAImage
}

func die(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("png-tune: " + message + "\n").utf8))
    exit(1)
}

/// Unbuffered, so a long run shows its progress.
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

var repeats = 5
/// Measure only this encoder's settings (for profiling one of them).
var only: String?
var framePaths: [(String, Bool)] = []
var args = CommandLine.arguments.dropFirst()[...]
while let arg = args.popFirst() {
    if arg == "--only" {
        guard let value = args.popFirst() else { die("--only needs an encoder name (libpng, libdeflate, fast)") }
        only = value
    } else if arg == "--repeats" {
        guard let value = args.popFirst().flatMap({ Int($0) }), value >= 1 else { die("--repeats needs a positive count") }
        repeats = value
    } else if arg.hasPrefix("clean:") {
        framePaths.append((String(arg.dropFirst(6)), true))
    } else {
        framePaths.append((arg, false))
    }
}
guard !framePaths.isEmpty else { die("usage: png-tune [--repeats N] frame.png ... clean:frame.png") }

let frames: [Frame] = framePaths.map { path, clean in
    do {
        return Frame(path: path, clean: clean, image: try PNGCodec.read(path: path))
    } catch {
        die("\(error)")
    }
}

func nowSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// CPU time of the calling thread: unlike wall time, not inflated while other
/// processes hold the (shared) cores.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

struct Result {
    var milliseconds: Double
    var cpuMilliseconds: Double?
    var bytes: Int
}

@MainActor func measure(_ options: PNGOptions, _ group: [Frame]) -> Result? {
    guard !group.isEmpty else { return nil }
    var times: [Double] = []
    var cpuTimes: [Double] = []
    var bytes = 0
    for frame in group {
        var encoded: [UInt8] = []
        for _ in 0..<repeats {
            let start = nowSeconds()
            let cpuStart = threadCPUSeconds()
            encoded = (try? PNGCodec.encode(frame.image, options: options)) ?? []
            cpuTimes.append(threadCPUSeconds() - cpuStart)
            times.append(nowSeconds() - start)
        }
        bytes += encoded.count
        // Check the output round-trips through libpng exactly.
        let path = NSTemporaryDirectory() + "/png-tune.\(getpid()).png"
        do {
            try AtomicFile.write(encoded, to: path)
            let back = try PNGCodec.read(path: path)
            unlink(path)
            guard back.pixels == frame.image.pixels else { die("\(options) does not round-trip \(frame.path)") }
        } catch {
            die("\(options) on \(frame.path): \(error)")
        }
    }
    return Result(milliseconds: median(times) * 1000, cpuMilliseconds: median(cpuTimes) * 1000, bytes: bytes / group.count)
}

let settings: [PNGOptions] = [
    // libpng's own defaults (zlib 6, all filters with its heuristic).
    PNGOptions(encoder: .libpng, compressionLevel: 6, filter: .adaptive, strategy: .default),
    PNGOptions(encoder: .libpng, compressionLevel: 1, filter: .adaptive, strategy: .default),
    PNGOptions(encoder: .libpng, compressionLevel: 1, filter: .up, strategy: .default),
    PNGOptions(encoder: .libpng, compressionLevel: 1, filter: .up, strategy: .rle),
    PNGOptions(encoder: .libpng, compressionLevel: 1, filter: .paeth, strategy: .rle),
    PNGOptions(encoder: .libpng, compressionLevel: 1, filter: .sub, strategy: .rle),
    PNGOptions(encoder: .libpng, compressionLevel: 3, filter: .paeth, strategy: .rle),
    PNGOptions(encoder: .libpng, compressionLevel: 1, filter: .paeth, strategy: .filtered),
    // Level 0 stores without compressing: the cost of filtering and framing alone.
    PNGOptions(encoder: .libdeflate, compressionLevel: 0, filter: .up),
    PNGOptions(encoder: .libdeflate, compressionLevel: 0, filter: .paeth),
    PNGOptions(encoder: .fast, filter: .sub),
    PNGOptions(encoder: .fast, filter: .up),
    PNGOptions(encoder: .fast, filter: .average),
    PNGOptions(encoder: .fast, filter: .paeth),
    PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .none),
    PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .sub),
    PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .up),
    PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .average),
    PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .paeth),
    PNGOptions(encoder: .libdeflate, compressionLevel: 1, filter: .adaptive),
    PNGOptions(encoder: .libdeflate, compressionLevel: 2, filter: .up),
    PNGOptions(encoder: .libdeflate, compressionLevel: 2, filter: .paeth),
    PNGOptions(encoder: .libdeflate, compressionLevel: 3, filter: .paeth),
    PNGOptions(encoder: .libdeflate, compressionLevel: 4, filter: .paeth),
    PNGOptions(encoder: .libdeflate, compressionLevel: 6, filter: .paeth),
]

let grain = frames.filter { !$0.clean }
let clean = frames.filter { $0.clean }
func cell(_ r: Result?) -> String {
    guard let r else { return String(repeating: " ", count: 31) }
    let cpu = r.cpuMilliseconds.map { String(format: "%6.1f", $0) } ?? "     -"
    return String(format: "%6.1f ", r.milliseconds) + cpu + String(format: " %9d B", r.bytes)
}
emit("frames: \(grain.count) grain, \(clean.count) clean, \(frames.first.map { "\($0.image.width)×\($0.image.height)" } ?? ""); \(repeats) repeats; median wall ms, median thread-CPU ms, mean bytes")
emit("encoder     lvl filter    strategy    |  grain: wall    cpu     bytes |  clean: wall    cpu     bytes")
for options in settings where only == nil || options.encoder.rawValue == only {
    let name = options.encoder.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
    let filter = options.filter.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
    let strategy = (options.encoder == .libpng ? options.strategy.rawValue : "-").padding(toLength: 11, withPad: " ", startingAt: 0)
    emit("\(name) \(String(format: "%3d", options.compressionLevel)) \(filter) \(strategy) | \(cell(measure(options, grain))) | \(cell(measure(options, clean)))")
}

/// ffmpeg's PNG encoder with its defaults: size per frame and wall time of the whole command.
func ffmpegResult(_ group: [Frame]) -> Result? {
    guard !group.isEmpty else { return nil }
    var bytes = 0
    var times: [Double] = []
    for frame in group {
        let out = NSTemporaryDirectory() + "/png-tune.ffmpeg.\(getpid()).png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-nostdin", "-loglevel", "error", "-y", "-i", frame.path, "-c:v", "png", out]
        let start = nowSeconds()
        do { try process.run() } catch { die("cannot run ffmpeg: \(error)") }
        process.waitUntilExit()
        times.append(nowSeconds() - start)
        guard process.terminationStatus == 0,
            let size = (try? FileManager.default.attributesOfItem(atPath: out))?[.size] as? Int
        else { die("ffmpeg failed on \(frame.path)") }
        bytes += size
        unlink(out)
    }
    return Result(milliseconds: median(times) * 1000, cpuMilliseconds: nil, bytes: bytes / group.count)
}
emit("ffmpeg -c:v png (defaults, ms = whole command) | \(cell(ffmpegResult(grain))) | \(cell(ffmpegResult(clean)))")

/// Whole-sequence throughput with the default options: every frame submitted
/// `repeats` times to a SequenceWriter (encode on all cores, atomic write).
@MainActor func sequenceThroughput() {
    let dir = NSTemporaryDirectory() + "/png-tune.sequence.\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    do {
        let writer = try SequenceWriter(directory: dir, naming: SequenceNaming(stem: "tune"), overwrite: true)
        let start = nowSeconds()
        var number = 1
        for _ in 0..<repeats {
            for frame in frames {
                try writer.submit(frame.image, number: number)
                number += 1
            }
        }
        let stats = try writer.finish()
        let seconds = nowSeconds() - start
        emit(String(format: "SequenceWriter, default options, %d encodes in flight: %d frames in %.2f s = %.1f frames/s, %.1f MB written",
            writer.maxConcurrentEncodes, stats.framesWritten, seconds, Double(stats.framesWritten) / seconds,
            Double(stats.bytesWritten) / 1e6))
    } catch {
        die("sequence: \(error)")
    }
}
sequenceThroughput()
