import Foundation

/// Pixels as OpenImageIO reads them (`oiiotool --dumpdata FILE --info`, from
/// Debian's openimageio-tools): an independent reader for the 16-bit PNG and
/// OpenEXR frames. Values are floats: integer files' codes divided by the
/// type's maximum (16-bit PNG: code / 65535, from the exact codes OIIO
/// prints), float files' values as printed (9 decimals).
public struct OpenImageIOPixels: Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// Row-major from the picture's top, `channels` values a pixel.
    public var values: [Double]
    /// `oiiotool --info -v`'s attribute lines (e.g. `chromaticities: …`).
    public var attributes: [String]

    public func value(x: Int, y: Int, channel: Int) -> Double { values[(y * width + x) * channels + channel] }

    public static let tool = "/usr/bin/oiiotool"

    public static func read(_ path: String) throws -> OpenImageIOPixels {
        let run = try runCommand(tool, ["-v", "--dumpdata", path, "--info"])
        guard run.status == 0 else { throw OpenImageIOError(message: "oiiotool cannot read \(path): \(run.standardError)") }
        var width = 0, height = 0, channels = 0
        var scale = 1.0
        var attributes: [String] = []
        var values: [Double] = []
        for line in run.standardOutput.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Pixel (") {
                guard let colon = text.firstIndex(of: ":") else { continue }
                // Integer files print the codes, then the normalised values in parentheses.
                let raw = text[text.index(after: colon)...].split(separator: "(").first ?? ""
                values += raw.split(separator: " ").compactMap { Double($0).map { $0 / scale } }
            } else if width == 0, let range = text.range(of: #"(\d+) x\s+(\d+), (\d+) channel"#, options: .regularExpression) {
                let numbers = text[range].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                if numbers.count == 3 { (width, height, channels) = (numbers[0], numbers[1], numbers[2]) }
                if text.contains("uint16") { scale = 65535 } else if text.contains("uint8") { scale = 255 }
            } else if text.contains(":") {
                attributes.append(text)
            }
        }
        guard width > 0, values.count == width * height * channels else {
            throw OpenImageIOError(message: "oiiotool printed \(values.count) values for \(path) (\(width)x\(height)x\(channels))")
        }
        return OpenImageIOPixels(width: width, height: height, channels: channels, values: values, attributes: attributes)
    }
}

public struct OpenImageIOError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
