import EmpathyCore
import Foundation
import TestSupport
import XCTest

enum TestImages {
    /// Every byte random, alpha included.
    static func random(width: Int, height: Int, seed: UInt64, rowOrder: RowOrder = .topDown) -> RGBAImage {
        var rng = SplitMix64(state: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
        return RGBAImage(width: width, height: height, pixels: pixels, rowOrder: rowOrder)
    }

    /// Gradients in x and y (what filters predict well), alpha a third gradient.
    /// Pixel (x, y) counts y from the top whatever the row order.
    static func smooth(width: Int, height: Int, rowOrder: RowOrder = .topDown) -> RGBAImage {
        var image = RGBAImage(width: width, height: height, rowOrder: rowOrder)
        for y in 0..<height {
            for x in 0..<width {
                let o = image.offset(x: x, y: y)
                image.pixels[o] = UInt8(truncatingIfNeeded: x * 255 / max(1, width - 1))
                image.pixels[o + 1] = UInt8(truncatingIfNeeded: y * 255 / max(1, height - 1))
                image.pixels[o + 2] = UInt8(truncatingIfNeeded: (x + 2 * y) / 3)
                image.pixels[o + 3] = UInt8(truncatingIfNeeded: 255 - (x + y) % 256)
            }
        }
        return image
    }

    /// What a PNG reader must return for `image` written with or without alpha:
    /// top-down rows, alpha forced to 255 when alpha was dropped.
    static func expectedDecode(of image: RGBAImage, keepAlpha: Bool) -> RGBAImage {
        var out = image.topDown()
        if !keepAlpha {
            var i = 3
            while i < out.pixels.count { out.pixels[i] = 255; i += 4 }
        }
        return out
    }
}

/// Fails with the worst pixel (largest channel difference) when two images differ.
/// Tolerance: `tolerance` codes per channel (0 = bit-exact).
func assertImagesEqual(
    _ actual: RGBAImage, _ expected: RGBAImage, tolerance: Int = 0, _ context: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.width == expected.width, actual.height == expected.height else {
        XCTFail("\(context): size \(actual.width)×\(actual.height), expected \(expected.width)×\(expected.height)",
            file: file, line: line)
        return
    }
    var worst = 0
    var worstAt = (x: 0, y: 0, channel: 0)
    var differing = 0
    for y in 0..<expected.height {
        for x in 0..<expected.width {
            let a = actual.offset(x: x, y: y)
            let e = expected.offset(x: x, y: y)
            for c in 0..<4 {
                let d = abs(Int(actual.pixels[a + c]) - Int(expected.pixels[e + c]))
                if d > tolerance { differing += 1 }
                if d > worst { worst = d; worstAt = (x, y, c) }
            }
        }
    }
    if worst > tolerance {
        let a = actual.offset(x: worstAt.x, y: worstAt.y)
        let e = expected.offset(x: worstAt.x, y: worstAt.y)
        XCTFail(
            "\(context): \(differing) channel values differ by more than \(tolerance); worst at (x \(worstAt.x), y \(worstAt.y)) channel \(worstAt.channel): got \(Array(actual.pixels[a..<a + 4])), expected \(Array(expected.pixels[e..<e + 4]))",
            file: file, line: line)
    }
}

/// A fresh temporary folder, removed by the test case's teardown block.
func makeTemporaryDirectory(_ testCase: XCTestCase) throws -> String {
    let path = NSTemporaryDirectory() + "/ImageSequenceTests.\(getpid()).\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}
