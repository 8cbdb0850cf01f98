import EmpathyCore
import Footage
import Foundation
import ImageSequence

/// H.264 MP4 previews: of a rendered PNG sequence (`render --preview mp4`,
/// the review page's render) and of the source clip's same frames (the
/// review page's wipe), written by `MovieWriter`.
public enum PreviewMovie {
    /// The whole factor that brings `width` to at most `maxWidth` (1 without a limit).
    static func factor(width: Int, maxWidth: Int?) -> Int {
        guard let maxWidth, maxWidth > 0 else { return 1 }
        return max(1, (width + maxWidth - 1) / maxWidth)
    }

    /// Encodes the PNG frames at `framePaths`, in order, scaled down by a
    /// whole factor to at most `maxWidth` wide; every frame must have the
    /// first one's size. Returns the number of frames.
    @discardableResult
    public static func write(framePaths: [String], framesPerSecond: Double, to output: String, maxWidth: Int? = nil) throws -> Int {
        guard let first = framePaths.first else {
            throw EmpathyError.invalidArgument("'\(output)': no frames to make a movie of")
        }
        var frame = try PNGCodec.read(path: first)
        let (width, height) = (frame.width, frame.height)
        let k = factor(width: width, maxWidth: maxWidth)
        let movie = try MovieWriter(path: output, width: width / k, height: height / k, framesPerSecond: framesPerSecond)
        for (i, path) in framePaths.enumerated() {
            try StopRequest.throwIfRequested()
            if i > 0 { frame = try PNGCodec.read(path: path) }
            guard frame.width == width, frame.height == height else {
                throw EmpathyError.badFile(path: path, line: nil, message:
                    "is \(frame.width)×\(frame.height), the frames before it \(width)×\(height)")
            }
            try movie.append(frame.boxDownscaled(by: k))
        }
        try movie.finish()
        return movie.framesWritten
    }

    /// Encodes frames `frames` (1-based) of `clip` at the clip's rate, scaled as above.
    @discardableResult
    public static func write(clip: String, frames: ClosedRange<Int>, to output: String, maxWidth: Int? = nil) throws -> Int {
        let source = try VideoSource(path: clip)
        guard frames.lowerBound >= 1, frames.upperBound <= source.frameCount else {
            throw EmpathyError.invalidArgument("'\(clip)' has \(source.frameCount) frames, not \(frames.lowerBound)-\(frames.upperBound)")
        }
        let k = factor(width: source.info.width, maxWidth: maxWidth)
        let movie = try MovieWriter(path: output, width: source.info.width / k, height: source.info.height / k,
                                    framesPerSecond: source.info.framesPerSecond)
        try source.seek(toFrameIndex: frames.lowerBound - 1)
        var image = RGBAImage(width: source.info.width, height: source.info.height)
        for _ in frames {
            try StopRequest.throwIfRequested()
            guard try source.read(into: &image) else {
                throw EmpathyError.badFile(path: clip, line: nil, message: "ended before frame \(frames.upperBound)")
            }
            try movie.append(image.boxDownscaled(by: k))
        }
        try movie.finish()
        return movie.framesWritten
    }
}
