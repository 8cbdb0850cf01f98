extension String {
    /// The text a C surface wrote into a caller-owned buffer (an error
    /// message, a path): up to its first NUL, invalid UTF-8 repaired. The
    /// one reading of such buffers for every shim.
    public init(cBuffer buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
