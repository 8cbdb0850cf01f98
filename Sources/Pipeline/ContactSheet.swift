import EmpathyCore
import Foundation
import ImageSequence

/// A contact sheet: frames scaled down (box filter) and tiled left to right,
/// top to bottom, each labelled with its file's frame number.
public enum ContactSheet {
    /// Reads `paths` (PNG frames), scales each to `tileWidth` pixels wide, and
    /// writes the sheet to `output` atomically.
    public static func write(framePaths paths: [String], labels: [String], to output: String,
                             columns: Int = 6, tileWidth: Int = 320) throws {
        guard let first = paths.first else {
            throw EmpathyError.invalidArgument("no frames for a contact sheet")
        }
        let probe = try PNGCodec.read(path: first)
        let factor = max(1, Int((Double(probe.width) / Double(tileWidth)).rounded(.up)))
        let tileW = probe.width / factor, tileH = probe.height / factor
        let cols = min(columns, paths.count)
        let rows = (paths.count + cols - 1) / cols
        var sheet = RGBAImage(width: tileW * cols, height: tileH * rows)
        for (index, path) in paths.enumerated() {
            let frame = index == 0 ? probe : try PNGCodec.read(path: path)
            guard frame.width == probe.width, frame.height == probe.height else {
                throw EmpathyError.badFile(path: path, line: nil, message:
                    "is \(frame.width)×\(frame.height), the other frames \(probe.width)×\(probe.height)")
            }
            let ox = (index % cols) * tileW, oy = (index / cols) * tileH
            let tile = frame.boxDownscaled(by: factor)
            for y in 0..<tileH {
                for x in 0..<tileW {
                    let o = tile.offset(x: x, y: y), d = sheet.offset(x: ox + x, y: oy + y)
                    sheet.pixels[d..<(d + 3)] = tile.pixels[o..<(o + 3)]
                }
            }
            if index < labels.count { BitmapText.draw(labels[index], into: &sheet, x: ox + 6, y: oy + 6, scale: 1) }
        }
        try PNGCodec.write(sheet, to: output)
    }
}
