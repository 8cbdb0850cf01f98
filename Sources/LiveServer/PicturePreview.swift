import EmpathyCore
import Foundation

/// The preview thread: encodes the newest offered frame to JPEG and hands it
/// to the page's picture stream, at most `maximumRate` frames a second.
/// Frames offered while one is encoded replace each other (`NewestValueWorker`);
/// none queue. The thread starts with the first frame.
final class PicturePreview: @unchecked Sendable {
    private let worker: NewestValueWorker<RGBAImage>

    init(maximumRate: Double, publish: @escaping @Sendable ([UInt8]) -> Void) {
        let interval = 1 / maximumRate
        var last = 0.0  // used on the worker's thread only
        worker = NewestValueWorker(name: "live-preview") { image in
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if now - last < interval { Thread.sleep(forTimeInterval: interval - (now - last)) }
            last = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if let jpeg = try? JPEG.encode(image) { publish(jpeg) }
        }
    }

    func offer(_ image: RGBAImage) { worker.offer(image) }

    func close() { worker.stop() }
}
