import EmpathyCore
import Foundation
import NIOCore

/// The preview thread: encodes the newest offered frame to JPEG and hands it
/// to the page's picture stream, at most `maximumRate` frames a second.
/// Frames offered while one is encoded replace each other; none queue.
final class PicturePreview: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: RGBAImage?
    private var closed = false
    private let publish: @Sendable ([UInt8]) -> Void
    private let interval: Double
    private let done = DispatchSemaphore(value: 0)
    private var running = false

    init(maximumRate: Double, publish: @escaping @Sendable ([UInt8]) -> Void) {
        interval = 1 / maximumRate
        self.publish = publish
    }

    func offer(_ image: RGBAImage) {
        condition.lock()
        defer { condition.unlock() }
        if !running && !closed {
            running = true
            let thread = Thread { [self] in loop() }
            thread.name = "live-preview"
            thread.start()
        }
        waiting = image
        condition.signal()
    }

    private func loop() {
        var last = 0.0
        while true {
            condition.lock()
            while waiting == nil && !closed { condition.wait() }
            if closed { condition.unlock(); break }
            let image = waiting!
            waiting = nil
            condition.unlock()
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if now - last < interval { Thread.sleep(forTimeInterval: interval - (now - last)) }
            last = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if let jpeg = try? JPEG.encode(image) { publish(jpeg) }
        }
        done.signal()
    }

    func close() {
        condition.lock()
        let wasRunning = running
        closed = true
        condition.broadcast()
        condition.unlock()
        if wasRunning { done.wait() }
    }
}
