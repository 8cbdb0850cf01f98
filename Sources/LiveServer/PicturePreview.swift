import EmpathyCore
import Foundation

/// The preview thread: encodes the newest offered frame to JPEG and hands it
/// to the page's picture stream, at most `maximumRate` frames a second.
/// Frames offered while one is encoded replace each other (`LatestValue`);
/// none queue. The thread starts with the first frame.
final class PicturePreview: @unchecked Sendable {
    private let newest = LatestValue<RGBAImage>()
    private let publish: @Sendable ([UInt8]) -> Void
    private let interval: Double
    private let done = DispatchSemaphore(value: 0)
    /// (started, closed)
    private let state = Locked((started: false, closed: false))

    init(maximumRate: Double, publish: @escaping @Sendable ([UInt8]) -> Void) {
        interval = 1 / maximumRate
        self.publish = publish
    }

    func offer(_ image: RGBAImage) {
        let start = state.update { s -> Bool in
            guard !s.started && !s.closed else { return false }
            s.started = true
            return true
        }
        if start {
            let thread = Thread { [self] in loop() }
            thread.name = "live-preview"
            thread.start()
        }
        newest.put(image)
    }

    private func loop() {
        var last = 0.0
        while let image = newest.take() {
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if now - last < interval { Thread.sleep(forTimeInterval: interval - (now - last)) }
            last = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if let jpeg = try? JPEG.encode(image) { publish(jpeg) }
        }
        done.signal()
    }

    func close() {
        let wasRunning = state.update { s -> Bool in
            s.closed = true
            return s.started
        }
        newest.close()
        if wasRunning { done.wait() }
    }
}
