import CDeflate

/// A DEFLATE (RFC 1951) compressor for filtered PNG rows that spends no time
/// searching for matches: each block is coded with its own dynamic Huffman
/// tables over literal bytes and runs of one repeated byte (matches at
/// distance 1), the two things that pay on filtered photographic rows. Film
/// frames with grain leave LZ77 little to find, so this gets close to zlib
/// level 1's size at a fraction of its time; flat areas (letterbox bars, CG)
/// still collapse through the runs. Any block that would code larger than
/// its raw bytes is written stored instead, so the output never exceeds
/// `bound(_:)`.
///
/// The zlib wrapper (RFC 1950) is a 2-byte header (CM 8, 32 KiB window,
/// FLEVEL 0) and the Adler-32 of the input.
enum FastDeflate {
    /// Input bytes per block: big enough to amortise the ~80-byte table
    /// header, small enough for the tables to follow the picture top to bottom.
    static let blockBytes = 128 * 1024

    /// The most bytes `zlibCompress` writes for `count` input bytes.
    static func bound(_ count: Int) -> Int {
        // stored blocks: 5 header bytes per 65535; zlib header + Adler-32;
        // slack for the final byte flush and the coder's 8-byte stores
        count + 5 * (count / 65535 + 2 * (count / blockBytes + 1)) + 24
    }

    /// Compresses `count` bytes at `src` into a zlib stream at `dst`, which
    /// holds `capacity >= bound(count)` bytes. Returns the bytes written.
    static func zlibCompress(_ src: UnsafePointer<UInt8>, count: Int, into dst: UnsafeMutablePointer<UInt8>,
                             capacity: Int) -> Int {
        precondition(capacity >= bound(count), "FastDeflate output buffer below bound")
        var writer = BitWriter(dst)
        writer.putByte(0x78)  // CMF: deflate, 32 KiB window
        writer.putByte(0x01)  // FLG: fastest level, check bits make 0x7801 % 31 == 0
        // Blocks whose symbols are counted on a sample are coded here first
        // (their size is known only once coded): 15 bits a byte at worst,
        // plus the header and the coder's 8-byte overhang.
        let scratchCapacity = blockBytes * 15 / 8 + 4096
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchCapacity)
        defer { scratch.deallocate() }
        var start = 0
        repeat {
            let end = min(start + blockBytes, count)
            writeBlock(src, start: start, end: end, final: end == count, writer: &writer, scratch: scratch)
            start = end
        } while start < count
        writer.alignToByte()
        let adler = libdeflate_adler32(1, src, count)
        writer.putByte(UInt8(truncatingIfNeeded: adler >> 24))
        writer.putByte(UInt8(truncatingIfNeeded: adler >> 16))
        writer.putByte(UInt8(truncatingIfNeeded: adler >> 8))
        writer.putByte(UInt8(truncatingIfNeeded: adler))
        return writer.byteCount
    }

    // MARK: Tokens

    /// Length codes 257...285 for match lengths 3...258 (RFC 1951 §3.2.5):
    /// (code - 257, extra bit count, extra bits value) per length.
    static let lengthTable: [(symbol: UInt16, extraBits: UInt8, extra: UInt16)] = {
        let bases: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                            67, 83, 99, 115, 131, 163, 195, 227, 258]
        let extras: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        var table = [(symbol: UInt16, extraBits: UInt8, extra: UInt16)](repeating: (0, 0, 0), count: 259)
        for length in 3...258 {
            var code = 28
            while bases[code] > length { code -= 1 }
            table[length] = (UInt16(257 + code), extras[code], UInt16(length - bases[code]))
        }
        return table
    }()

    /// Walks src[start..<end] as DEFLATE will code it, calling `literal` for
    /// each byte coded as itself (`literals5` for five in a row) and `run` for each run of 3...258 copies of
    /// the byte before it (a match at distance 1), taken greedily at the first
    /// position where src[i-1] == src[i] == src[i+1] == src[i+2]. Both passes
    /// of `writeBlock` walk with this, so they agree on every token.
    ///
    /// Eight bytes are tested at once: with w the 64-bit word at i-1,
    /// x = w ^ (w >> 8) has a zero byte k exactly where src[i-1+k] ==
    /// src[i+k]; three zero bytes in a row at k mark a run at i+k. Film grain
    /// rarely has one, so most steps emit five literals with one branch.
    @inline(__always)
    static func scan<Sink: TokenSink>(_ src: UnsafePointer<UInt8>, start: Int, end: Int, into sink: inout Sink) {
        @inline(__always) func runFrom(_ i: Int) -> Int {
            let b = src[i]
            var j = i &+ 3
            let limit = min(end, i &+ 258)
            while j < limit && src[j] == b { j &+= 1 }
            sink.run(length: j &- i, byte: b)
            return j
        }
        var i = start
        if i == 0 && i < end { sink.literal(src[0]); i = 1 }  // nothing before the stream's first byte
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        while i &+ 7 < end {
            let w = UnsafeRawPointer(src + (i &- 1)).loadUnaligned(as: UInt64.self).littleEndian
            let x = w ^ (w &>> 8)
            var z = ~(((x & low7) &+ low7) | x | low7)  // 0x80 in each zero byte of x
            z &= 0x0080_8080_8080_8080  // byte 7 compared against the shifted-in zero
            let r = z & (z &>> 8) & (z &>> 16)
            if r == 0 {
                sink.literals5(src[i], src[i &+ 1], src[i &+ 2], src[i &+ 3], src[i &+ 4])
                i &+= 5
                continue
            }
            let k = r.trailingZeroBitCount &>> 3
            var n = 0
            while n < k { sink.literal(src[i &+ n]); n &+= 1 }
            i = runFrom(i &+ k)
        }
        let wordEnd = end &- 3
        while i < wordEnd {
            let word = UnsafeRawPointer(src + (i &- 1)).loadUnaligned(as: UInt32.self)
            if word != (word & 0xFF) &* 0x0101_0101 {
                sink.literal(src[i])
                i &+= 1
            } else {
                i = runFrom(i)
            }
        }
        while i < end { sink.literal(src[i]); i &+= 1 }
    }

    /// Blocks of at least this many bytes count their symbols on a sample:
    /// one `sampleChunk` in every `sampleStride`.
    static let sampleThreshold = 32 * 1024
    static let sampleChunk = 4096
    static let sampleStride = 4

    /// Codes src[start..<end] as one block: literals, and runs of the previous
    /// byte as (length, distance 1) pairs, with codes built for the block.
    ///
    /// Counting: a small block counts every symbol (`TokenCounter`), and
    /// its exact coded size decides between coding and storing before
    /// anything is written. A block of `sampleThreshold` bytes or more
    /// counts one 4 KiB chunk in four — grain and picture statistics change
    /// slowly, so the sample's code costs under 1% in size and saves three
    /// quarters of the counting walk — and every literal and length symbol
    /// gets one count more, so the code covers whatever the block holds.
    /// Such a block is coded into `scratch` first, starting from the
    /// writer's pending bits, and copied over only when it is smaller than
    /// stored; otherwise it is stored.
    static func writeBlock(_ src: UnsafePointer<UInt8>, start: Int, end: Int, final: Bool, writer: inout BitWriter,
                           scratch: UnsafeMutablePointer<UInt8>) {
        let sampled = end - start >= sampleThreshold
        var litFreq = [Int](repeating: 0, count: 286)
        var extraBitsTotal = 0
        var runCount = 0
        let table = lengthTable  // one load of the global table, not one per run
        table.withUnsafeBufferPointer { lengthTable in
            litFreq.withUnsafeMutableBufferPointer { freq in
                // One walk counts both: literals into five histograms (so that
                // repeated bytes do not wait on each other's increments), runs
                // into their length codes.
                var h = [UInt32](repeating: 0, count: 5 * 256)
                h.withUnsafeMutableBufferPointer { h in
                    var counter = TokenCounter(histograms: h, freq: freq, lengthTable: lengthTable)
                    if sampled {
                        var chunk = start
                        while chunk < end {
                            scan(src, start: chunk, end: min(chunk + sampleChunk, end), into: &counter)
                            chunk += sampleChunk * sampleStride
                        }
                    } else {
                        scan(src, start: start, end: end, into: &counter)
                    }
                    extraBitsTotal = counter.extraBitsTotal
                    runCount = counter.runCount
                    for b in 0..<256 {
                        freq[b] = Int(h[b]) + Int(h[256 + b]) + Int(h[512 + b]) + Int(h[768 + b]) + Int(h[1024 + b])
                    }
                }
                if sampled {
                    for s in 0..<256 { freq[s] = freq[s] * sampleStride + 1 }
                    for s in 257..<286 { freq[s] = freq[s] * sampleStride + 1 }
                }
                freq[256] = 1  // end of block
            }
        }

        var litLengths = HuffmanCode.lengths(for: litFreq, limit: 15)
        // Distance code 0 (distance 1) is the only one used; codes 0 and 1 get
        // one bit each so the distance code is complete, as every inflater accepts.
        let distLengths: [UInt8] = [1, 1]
        var hlit = 286
        while hlit > 257 && litLengths[hlit - 1] == 0 { hlit -= 1 }
        litLengths.removeLast(litLengths.count - hlit)
        let header = CodeLengthHeader(litLengths + distLengths)
        let storedBytes = (end - start) + 5 * ((end - start + 65534) / 65535)

        if !sampled {
            var codedBits = 3 + 5 + 5 + 4 + 3 * header.hclen + header.bits + extraBitsTotal + runCount
            for s in 0..<hlit { codedBits += litFreq[s] * Int(litLengths[s]) }
            if codedBits / 8 + 1 >= storedBytes {
                writeStored(src, start: start, end: end, final: final, writer: &writer)
                return
            }
            writeCoded(src, start: start, end: end, final: final, hlit: hlit, litLengths: litLengths,
                       header: header, writer: &writer)
            return
        }
        var coded = BitWriter(scratch, pendingFrom: writer)
        writeCoded(src, start: start, end: end, final: final, hlit: hlit, litLengths: litLengths,
                   header: header, writer: &coded)
        let codedBits = coded.bitCount - writer.pendingBitCount
        if codedBits / 8 + 1 >= storedBytes {
            writeStored(src, start: start, end: end, final: final, writer: &writer)
        } else {
            writer.take(coded)
        }
    }

    /// The block header and the codes of src[start..<end] (see `writeBlock`).
    static func writeCoded(_ src: UnsafePointer<UInt8>, start: Int, end: Int, final: Bool, hlit: Int,
                           litLengths: [UInt8], header: CodeLengthHeader, writer: inout BitWriter) {
        writer.put(final ? 1 : 0, 1)
        writer.put(2, 2)  // dynamic Huffman
        writer.put(UInt32(hlit - 257), 5)
        writer.put(1, 5)  // two distance codes
        header.write(to: &writer)

        // Each symbol's code and length in one word: code | length << 16.
        let litCodes = HuffmanCode.canonicalCodes(litLengths)
        var packed = [UInt32](repeating: 0, count: 286)
        for s in 0..<hlit { packed[s] = UInt32(litCodes[s]) | UInt32(litLengths[s]) << 16 }
        let table = lengthTable
        table.withUnsafeBufferPointer { lengthTable in
            packed.withUnsafeBufferPointer { codes in
                writer.withRegisters { acc, bits, out in
                    var emitter = HuffmanEmitter(acc: acc, bits: bits, out: out, codes: codes, lengthTable: lengthTable)
                    // BitWriter may hold up to 31 bits; the emitter's budget
                    // assumes at most 7 after a flush, so start with one.
                    emitter.flush()
                    scan(src, start: start, end: end, into: &emitter)
                    emitter.add(codes[256])
                    emitter.flush()
                    acc = emitter.acc
                    bits = emitter.bits
                    out = emitter.out
                }
            }
        }
    }

    /// Stored blocks of at most 65535 bytes (RFC 1951 §3.2.4).
    static func writeStored(_ src: UnsafePointer<UInt8>, start: Int, end: Int, final: Bool, writer: inout BitWriter) {
        var i = start
        repeat {
            let n = min(65535, end - i)
            let last = final && i + n == end
            writer.put(last ? 1 : 0, 1)
            writer.put(0, 2)
            writer.alignToByte()
            writer.putByte(UInt8(n & 0xFF)); writer.putByte(UInt8(n >> 8))
            writer.putByte(UInt8(~n & 0xFF)); writer.putByte(UInt8((~n >> 8) & 0xFF))
            writer.putBytes(src + i, n)
            i += n
        } while i < end
    }
}

/// What `FastDeflate.scan` hands its tokens to. Generic, so each pass's
/// state stays in registers in the specialised loop.
protocol TokenSink {
    mutating func literal(_ byte: UInt8)
    mutating func literals5(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8)
    mutating func run(length: Int, byte: UInt8)
}

/// Counting pass: literals into five byte histograms (one per position of
/// `literals5`), runs into `freq` at their length codes.
struct TokenCounter: TokenSink {
    let histograms: UnsafeMutableBufferPointer<UInt32>
    let freq: UnsafeMutableBufferPointer<Int>
    let lengthTable: UnsafeBufferPointer<(symbol: UInt16, extraBits: UInt8, extra: UInt16)>
    var extraBitsTotal = 0
    var runCount = 0

    @inline(__always) mutating func literal(_ byte: UInt8) { histograms[Int(byte)] &+= 1 }
    @inline(__always) mutating func literals5(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8) {
        histograms[Int(a)] &+= 1
        histograms[256 &+ Int(b)] &+= 1
        histograms[512 &+ Int(c)] &+= 1
        histograms[768 &+ Int(d)] &+= 1
        histograms[1024 &+ Int(e)] &+= 1
    }
    @inline(__always) mutating func run(length: Int, byte: UInt8) {
        let entry = lengthTable[length]
        freq[Int(entry.symbol)] += 1
        extraBitsTotal += Int(entry.extraBits)
        runCount += 1
    }
}

/// Coding pass, branch-free: after `flush` at most 7 bits wait, so three
/// codes of at most 15 bits (or a length code, its extra bits and the
/// distance bit: 21) fit the 64-bit accumulator before the next flush. The
/// flush stores all 8 bytes and advances by the whole ones (`bound` leaves
/// room for the overhang); a "word full?" branch per code mispredicted often
/// enough to be most of the coder's time.
struct HuffmanEmitter: TokenSink {
    var acc: UInt64
    var bits: UInt64
    var out: UnsafeMutablePointer<UInt8>
    /// Per symbol: bit-reversed code | length << 16.
    let codes: UnsafeBufferPointer<UInt32>
    let lengthTable: UnsafeBufferPointer<(symbol: UInt16, extraBits: UInt8, extra: UInt16)>

    @inline(__always) mutating func add(_ code: UInt32) {
        acc |= UInt64(code & 0xFFFF) &<< bits
        bits &+= UInt64(code &>> 16)
    }

    @inline(__always) mutating func flush() {
        UnsafeMutableRawPointer(out).storeBytes(of: acc.littleEndian, as: UInt64.self)
        out += Int(bits &>> 3)
        acc &>>= bits & ~7  // bits <= 7 + 45 here, so the shift is below 64
        bits &= 7
    }

    @inline(__always) mutating func literal(_ byte: UInt8) {
        add(codes[Int(byte)])
        flush()
    }

    @inline(__always) mutating func literals5(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8) {
        add(codes[Int(a)]); add(codes[Int(b)]); add(codes[Int(c)])
        flush()
        add(codes[Int(d)]); add(codes[Int(e)])
        flush()
    }

    @inline(__always) mutating func run(length: Int, byte: UInt8) {
        let entry = lengthTable[length]
        add(codes[Int(entry.symbol)])
        // its extra bits, then distance code 0 ("0", one bit)
        acc |= UInt64(entry.extra) &<< bits
        bits &+= UInt64(entry.extraBits) &+ 1
        flush()
    }
}

/// Writes bits least-significant first, as DEFLATE packs them.
struct BitWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private var p: UnsafeMutablePointer<UInt8>
    private var buffer: UInt64 = 0
    private var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>) {
        self.base = base
        self.p = base
    }

    var byteCount: Int { p - base }
    /// Bits not yet stored.
    var pendingBitCount: Int { count }
    /// Every bit written since `base`, pending ones included.
    var bitCount: Int { byteCount * 8 + count }

    /// A writer into `base` that starts with `other`'s pending bits, so
    /// what it writes can be appended to `other` whole (`take`).
    init(_ base: UnsafeMutablePointer<UInt8>, pendingFrom other: BitWriter) {
        self.base = base
        self.p = base
        buffer = other.buffer
        count = other.count
    }

    /// Appends what `other` (made with `pendingFrom: self`) wrote: its
    /// stored bytes, then its pending bits become this writer's.
    mutating func take(_ other: BitWriter) {
        p.update(from: other.base, count: other.byteCount)
        p += other.byteCount
        buffer = other.buffer
        count = other.count
    }

    /// Runs `body` with the writer's state in local variables (bit buffer,
    /// bit count, output pointer), which the optimiser keeps in registers in
    /// a hot loop, then stores them back.
    @inline(__always)
    mutating func withRegisters(_ body: (inout UInt64, inout UInt64, inout UnsafeMutablePointer<UInt8>) -> Void) {
        var acc = buffer, bits = UInt64(count), out = p
        body(&acc, &bits, &out)
        buffer = acc
        count = Int(bits)
        p = out
    }

    @inline(__always)
    mutating func put(_ bits: UInt32, _ n: Int) {
        buffer |= UInt64(bits) << UInt64(count)
        count += n
        if count >= 32 {
            let word = UInt32(truncatingIfNeeded: buffer).littleEndian
            UnsafeMutableRawPointer(p).storeBytes(of: word, as: UInt32.self)
            p += 4
            buffer >>= 32
            count -= 32
        }
    }

    /// Flushes whole bytes and pads the last partial byte with zero bits.
    mutating func alignToByte() {
        while count > 0 {
            p.pointee = UInt8(truncatingIfNeeded: buffer)
            p += 1
            buffer >>= 8
            count = max(0, count - 8)
        }
        buffer = 0
    }

    mutating func putByte(_ byte: UInt8) {
        alignToByte()
        p.pointee = byte
        p += 1
    }

    mutating func putBytes(_ src: UnsafePointer<UInt8>, _ n: Int) {
        alignToByte()
        p.update(from: src, count: n)
        p += n
    }
}

/// Huffman code construction for DEFLATE.
enum HuffmanCode {
    /// Optimal code lengths for `freq` (0 = unused symbol), limited to `limit`
    /// bits. Lengths come from the Huffman tree (two-queue merge over the
    /// symbols sorted by frequency); when the deepest leaf exceeds the limit,
    /// the length counts are rebalanced the way miniz and zlib do (move
    /// overflowing leaves up to the limit, then deepen the shallowest leaves
    /// until the Kraft sum is exactly 1) and handed out again, shortest codes to
    /// the most frequent symbols. A single used symbol gets a 1-bit code.
    static func lengths(for freq: [Int], limit: Int) -> [UInt8] {
        var lengths = [UInt8](repeating: 0, count: freq.count)
        var symbols = freq.indices.filter { freq[$0] > 0 }
        if symbols.isEmpty { return lengths }
        if symbols.count == 1 {
            lengths[symbols[0]] = 1
            return lengths
        }
        symbols.sort { freq[$0] != freq[$1] ? freq[$0] < freq[$1] : $0 < $1 }
        let n = symbols.count
        // Nodes 0..<n are leaves (ascending weight); internal nodes follow.
        var weight = symbols.map { freq[$0] }
        var parent = [Int](repeating: -1, count: 2 * n - 1)
        weight.reserveCapacity(2 * n - 1)
        var leaf = 0, node = n
        func takeSmallest() -> Int {
            if leaf < n && (node >= weight.count || weight[leaf] <= weight[node]) {
                leaf += 1
                return leaf - 1
            }
            node += 1
            return node - 1
        }
        for _ in 0..<(n - 1) {
            let a = takeSmallest(), b = takeSmallest()
            let id = weight.count
            weight.append(weight[a] + weight[b])
            parent[a] = id
            parent[b] = id
        }
        // Depths: walk internal nodes from the root down.
        var depth = [Int](repeating: 0, count: 2 * n - 1)
        for id in stride(from: 2 * n - 3, through: 0, by: -1) { depth[id] = depth[parent[id]] + 1 }
        var countPerLength = [Int](repeating: 0, count: max(limit, depth.max()!) + 1)
        for i in 0..<n { countPerLength[depth[i]] += 1 }
        if countPerLength.count - 1 > limit {
            for l in (limit + 1)..<countPerLength.count {
                countPerLength[limit] += countPerLength[l]
                countPerLength[l] = 0
            }
            var total = 0
            for l in 1...limit { total += countPerLength[l] << (limit - l) }
            while total != 1 << limit {
                countPerLength[limit] -= 1
                for l in stride(from: limit - 1, through: 1, by: -1) where countPerLength[l] > 0 {
                    countPerLength[l] -= 1
                    countPerLength[l + 1] += 2
                    break
                }
                total -= 1
            }
        }
        // Hand out lengths: most frequent symbols (end of `symbols`) get the shortest.
        var k = n - 1
        for l in 1..<countPerLength.count {
            for _ in 0..<countPerLength[l] {
                lengths[symbols[k]] = UInt8(l)
                k -= 1
            }
        }
        return lengths
    }

    /// Canonical codes (RFC 1951 §3.2.2), bit-reversed for LSB-first output.
    static func canonicalCodes(_ lengths: [UInt8]) -> [UInt16] {
        var countPerLength = [Int](repeating: 0, count: 16)
        for l in lengths where l > 0 { countPerLength[Int(l)] += 1 }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for bits in 1..<16 {
            code = (code + countPerLength[bits - 1]) << 1
            next[bits] = code
        }
        var codes = [UInt16](repeating: 0, count: lengths.count)
        for (symbol, l) in lengths.enumerated() where l > 0 {
            var c = next[Int(l)]
            next[Int(l)] += 1
            var reversed = 0
            for _ in 0..<Int(l) { reversed = (reversed << 1) | (c & 1); c >>= 1 }
            codes[symbol] = UInt16(reversed)
        }
        return codes
    }
}

/// The code lengths of a dynamic block, run-length coded with symbols 16
/// (repeat previous 3–6), 17 (zeros 3–10) and 18 (zeros 11–138), and the
/// code-length code that carries them (RFC 1951 §3.2.7).
struct CodeLengthHeader {
    static let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    var items: [(symbol: Int, extraBits: Int, extra: Int)] = []
    var lengths: [UInt8]
    var codes: [UInt16]
    /// Number of code-length code lengths sent (4...19).
    var hclen: Int
    /// Bits of the run-length-coded lengths.
    var bits = 0

    init(_ all: [UInt8]) {
        var i = 0
        while i < all.count {
            let l = Int(all[i])
            var run = 1
            while i + run < all.count && Int(all[i + run]) == l { run += 1 }
            var left = run
            if l == 0 {
                while left >= 11 { let r = min(left, 138); items.append((18, 7, r - 11)); left -= r }
                if left >= 3 { items.append((17, 3, left - 3)); left = 0 }
                while left > 0 { items.append((0, 0, 0)); left -= 1 }
            } else {
                items.append((l, 0, 0)); left -= 1
                while left >= 3 { let r = min(left, 6); items.append((16, 2, r - 3)); left -= r }
                while left > 0 { items.append((l, 0, 0)); left -= 1 }
            }
            i += run
        }
        var freq = [Int](repeating: 0, count: 19)
        for item in items { freq[item.symbol] += 1 }
        lengths = HuffmanCode.lengths(for: freq, limit: 7)
        // At least two code-length codes keep the code complete for strict inflaters.
        if lengths.filter({ $0 > 0 }).count == 1, let only = lengths.firstIndex(where: { $0 > 0 }) {
            lengths[only == 0 ? 1 : 0] = 1
        }
        codes = HuffmanCode.canonicalCodes(lengths)
        hclen = 19
        while hclen > 4 && lengths[CodeLengthHeader.order[hclen - 1]] == 0 { hclen -= 1 }
        for item in items { bits += Int(lengths[item.symbol]) + item.extraBits }
    }

    func write(to writer: inout BitWriter) {
        writer.put(UInt32(hclen - 4), 4)
        for k in 0..<hclen { writer.put(UInt32(lengths[CodeLengthHeader.order[k]]), 3) }
        for item in items {
            writer.put(UInt32(codes[item.symbol]), Int(lengths[item.symbol]))
            if item.extraBits > 0 { writer.put(UInt32(item.extra), item.extraBits) }
        }
    }
}
