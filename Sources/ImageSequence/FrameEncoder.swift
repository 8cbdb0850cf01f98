import EmpathyCore
import Foundation

/// The output formats, with what each needs from the renderer.
public enum FrameFormat: String, Sendable, CaseIterable {
    /// 8-bit RGB PNG (the default; our own fast encoder).
    case png
    /// 16-bit RGB PNG from floating-point frames.
    case png16
    /// OpenEXR, half-float RGBA, ZIP-compressed.
    case exr

    public var fileExtension: String { self == .exr ? "exr" : "png" }
    /// True when the passes must run in floating point and read back floats.
    public var isFloat: Bool { self != .png }
}

/// Turns frames into files of one format: what `SequenceWriter` calls.
/// A new format is one type conforming to this (and a `FrameFormat` case).
public protocol FrameEncoder: Sendable {
    var format: FrameFormat { get }
    /// Writes `frame` to `file` — a temporary name the sequence writer then
    /// renames to `path` — and returns the bytes written; errors name `path`.
    func write(_ frame: EncodableFrame, to file: String, reportingAs path: String) throws -> Int
    /// True when `path` holds a whole frame of this format (a re-run skips it).
    func isComplete(path: String) -> Bool
}

extension FrameFormat {
    /// The encoder for this format; `png` uses `options` (checked here),
    /// `exr` writes scene-linear values with `linear` (OpenEXR only).
    public func encoder(pngOptions options: PNGOptions = .default, linear: Bool = false) throws -> any FrameEncoder {
        guard !linear || self == .exr else {
            throw EmpathyError.invalidArgument("scene-linear output needs OpenEXR (--format exr); PNG holds display-referred values")
        }
        switch self {
        case .png: return try PNGEncoder(options: options)
        case .png16: return PNG16Encoder()
        case .exr: return EXREncoder(linear: linear)
        }
    }
}

/// 8-bit RGB PNG (`PNGCodec`), from 8-bit frames only.
public struct PNGEncoder: FrameEncoder {
    public let options: PNGOptions
    public var format: FrameFormat { .png }

    /// Throws when `options` are out of range (`PNGOptions.validate`).
    public init(options: PNGOptions = .default) throws {
        try options.validate()
        self.options = options
    }

    public func write(_ frame: EncodableFrame, to file: String, reportingAs path: String) throws -> Int {
        guard case .rgba8(let image) = frame else {
            throw EmpathyError.invalidArgument("the 8-bit PNG encoder takes 8-bit frames; use png16 or exr for floating-point frames")
        }
        let bytes = try PNGCodec.encode(image, options: options)
        try AtomicFile.create(file, with: bytes, reportingAs: path)
        return bytes.count
    }

    public func isComplete(path: String) -> Bool { PNGCodec.isComplete(path: path) }
}

/// 16-bit RGB PNG: each channel `round(clamp(v, 0, 1) · 65535)`, from
/// floating-point frames (8-bit frames are widened exactly, code · 257).
public struct PNG16Encoder: FrameEncoder {
    public var format: FrameFormat { .png16 }

    public init() {}

    public func write(_ frame: EncodableFrame, to file: String, reportingAs path: String) throws -> Int {
        let bytes = try PNGCodec.encode16(frame.floatImage)
        try AtomicFile.create(file, with: bytes, reportingAs: path)
        return bytes.count
    }

    public func isComplete(path: String) -> Bool { PNGCodec.isComplete(path: path) }
}
