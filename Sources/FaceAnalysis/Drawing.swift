import EmpathyCore
import Foundation

/// Minimal raster drawing for the plot and the overlays.
enum Canvas {
    static func put(_ image: inout RGBAImage, _ x: Int, _ y: Int, _ c: SIMD3<UInt8>) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let o = image.offset(x: x, y: y)
        image.pixels[o] = c.x; image.pixels[o + 1] = c.y; image.pixels[o + 2] = c.z; image.pixels[o + 3] = 255
    }

    static func fill(_ image: inout RGBAImage, x0: Int, y0: Int, x1: Int, y1: Int, _ c: SIMD3<UInt8>) {
        let xs = max(0, x0), xe = min(image.width - 1, x1), ys = max(0, y0), ye = min(image.height - 1, y1)
        guard xs <= xe, ys <= ye else { return }
        for y in ys...ye { for x in xs...xe { put(&image, x, y, c) } }
    }

    /// A line `thickness` pixels wide (square pen), by stepping along the longer axis.
    static func line(_ image: inout RGBAImage, _ a: SIMD2<Double>, _ b: SIMD2<Double>, _ c: SIMD3<UInt8>, thickness: Int = 1) {
        let steps = max(1, Int(max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up)))
        let r0 = -(thickness - 1) / 2, r1 = thickness / 2
        for s in 0...steps {
            let p = a + (b - a) * (Double(s) / Double(steps))
            let x = Int(p.x.rounded()), y = Int(p.y.rounded())
            for dy in r0...r1 { for dx in r0...r1 { put(&image, x + dx, y + dy, c) } }
        }
    }

    static func rectangle(_ image: inout RGBAImage, _ box: FaceBox, _ c: SIMD3<UInt8>, thickness: Int = 2) {
        for t in 0..<thickness {
            line(&image, SIMD2(Double(box.left - t), Double(box.top - t)), SIMD2(Double(box.right + t), Double(box.top - t)), c)
            line(&image, SIMD2(Double(box.left - t), Double(box.bottom + t)), SIMD2(Double(box.right + t), Double(box.bottom + t)), c)
            line(&image, SIMD2(Double(box.left - t), Double(box.top - t)), SIMD2(Double(box.left - t), Double(box.bottom + t)), c)
            line(&image, SIMD2(Double(box.right + t), Double(box.top - t)), SIMD2(Double(box.right + t), Double(box.bottom + t)), c)
        }
    }
}

/// Check frames: every followed face's box (performer green, others grey),
/// the performer's 68 landmarks (yellow dots), and a caption with the face
/// ID, top category and its score, valence and arousal; "NO FACE" when none.
public enum Overlay {
    public static func draw(_ analysis: FrameAnalysis, into image: inout RGBAImage) {
        let scale = image.width >= 960 ? 3 : (image.width >= 400 ? 2 : 1)
        for face in analysis.faces {
            let performer = face.id == analysis.reading.faceID
            Canvas.rectangle(&image, face.box, performer ? SIMD3(60, 220, 90) : SIMD3(150, 150, 150), thickness: scale)
            BitmapText.draw("ID \(face.id)", into: &image, x: face.box.left, y: max(0, face.box.top - 9 * scale - 4), scale: scale)
        }
        if let points = analysis.landmarks {
            let r = max(1, scale - 1)
            for p in points {
                let x = Int(p.x.rounded()), y = Int(p.y.rounded())
                Canvas.fill(&image, x0: x - r, y0: y - r, x1: x + r, y1: y + r, SIMD3(255, 220, 40))
            }
        }
        let row = analysis.reading
        let caption: String
        if row.faceFound {
            let top = row.estimate.top
            caption = String(format: "%@ %.2f  V %.2f  A %.2f", top.rawValue, row.categories[top.index], row.valence, row.arousal)
        } else {
            caption = String(format: "NO FACE  V %.2f  A %.2f", row.valence, row.arousal)
        }
        BitmapText.draw(caption, into: &image, x: 4 * scale, y: image.height - 11 * scale, scale: scale)
    }
}

/// The plot beside a track: valence and arousal (−1…1) over time in the top
/// panel; in the bottom panel the three expressive categories with the
/// highest peak scores (0…1). Frames with no face are shaded dark red.
public enum TrackPlot {
    static let valenceColour = SIMD3<UInt8>(255, 190, 40)
    static let arousalColour = SIMD3<UInt8>(60, 200, 255)
    static let categoryColours: [SIMD3<UInt8>] = [SIMD3(120, 230, 100), SIMD3(240, 90, 200), SIMD3(230, 230, 230)]

    public static func render(_ rows: [FaceReading], width: Int = 1200, height: Int = 520) -> RGBAImage {
        var image = RGBAImage(width: width, height: height)
        Canvas.fill(&image, x0: 0, y0: 0, x1: width - 1, y1: height - 1, SIMD3(22, 22, 28))
        let left = 70, right = width - 20
        let panels = [(top: 40, bottom: height / 2 - 20), (top: height / 2 + 30, bottom: height - 40)]
        let count = max(1, rows.count - 1)
        func x(_ i: Int) -> Double { Double(left) + Double(right - left) * Double(i) / Double(count) }

        for panel in panels {
            Canvas.fill(&image, x0: left, y0: panel.top, x1: right, y1: panel.bottom, SIMD3(34, 34, 42))
            for (i, row) in rows.enumerated() where !row.faceFound {
                let x0 = Int(x(i) - Double(right - left) / Double(2 * count)), x1 = Int(x(i) + Double(right - left) / Double(2 * count))
                Canvas.fill(&image, x0: max(left, x0), y0: panel.top, x1: min(right, x1), y1: panel.bottom, SIMD3(70, 24, 24))
            }
        }
        // Top panel: −1…1.
        let p0 = panels[0]
        func yv(_ v: Double) -> Double { Double(p0.top) + (1 - (min(1, max(-1, v)) + 1) / 2) * Double(p0.bottom - p0.top) }
        Canvas.line(&image, SIMD2(Double(left), yv(0)), SIMD2(Double(right), yv(0)), SIMD3(90, 90, 100))
        BitmapText.draw("+1", into: &image, x: 30, y: p0.top - 3, scale: 1, background: nil)
        BitmapText.draw("0", into: &image, x: 36, y: Int(yv(0)) - 3, scale: 1, background: nil)
        BitmapText.draw("-1", into: &image, x: 30, y: p0.bottom - 3, scale: 1, background: nil)
        plot(&image, rows.map(\.valence), x: x, y: yv, colour: valenceColour)
        plot(&image, rows.map(\.arousal), x: x, y: yv, colour: arousalColour)
        BitmapText.draw("VALENCE", into: &image, x: left, y: 12, scale: 2, color: valenceColour, background: nil)
        BitmapText.draw("AROUSAL", into: &image, x: left + 110, y: 12, scale: 2, color: arousalColour, background: nil)

        // Bottom panel: 0…1, three categories with the highest peaks.
        let p1 = panels[1]
        func yc(_ v: Double) -> Double { Double(p1.top) + (1 - min(1, max(0, v))) * Double(p1.bottom - p1.top) }
        let expressive = EmotionCategory.allCases.filter { $0 != .neutral }
        let peaks = expressive.map { c in (c, rows.map { $0.categories[c.index] }.max() ?? 0) }
        let chosen = peaks.sorted { $0.1 > $1.1 }.prefix(3).map(\.0)
        var labelX = left
        for (k, category) in chosen.enumerated() {
            plot(&image, rows.map { $0.categories[category.index] }, x: x, y: yc, colour: categoryColours[k])
            BitmapText.draw(category.rawValue, into: &image, x: labelX, y: p1.top - 22, scale: 2, color: categoryColours[k], background: nil)
            labelX += BitmapText.width(of: category.rawValue, scale: 2) + 24
        }
        BitmapText.draw("1", into: &image, x: 36, y: p1.top - 3, scale: 1, background: nil)
        BitmapText.draw("0", into: &image, x: 36, y: p1.bottom - 3, scale: 1, background: nil)
        let duration = rows.last?.timeSeconds ?? 0
        BitmapText.draw("0 S", into: &image, x: left, y: height - 24, scale: 2, background: nil)
        let end = String(format: "%.1f S", duration)
        BitmapText.draw(end, into: &image, x: right - BitmapText.width(of: end, scale: 2), y: height - 24, scale: 2, background: nil)
        return image
    }

    static func plot(_ image: inout RGBAImage, _ values: [Double], x: (Int) -> Double, y: (Double) -> Double, colour: SIMD3<UInt8>) {
        guard let first = values.first else { return }
        if values.count == 1 {
            Canvas.fill(&image, x0: Int(x(0)) - 2, y0: Int(y(first)) - 2, x1: Int(x(0)) + 2, y1: Int(y(first)) + 2, colour)
            return
        }
        for i in 1..<values.count {
            Canvas.line(&image, SIMD2(x(i - 1), y(values[i - 1])), SIMD2(x(i), y(values[i])), colour, thickness: 2)
        }
    }
}
