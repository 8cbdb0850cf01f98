import Dispatch
import EmpathyCore
import Glibc
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The newest value, fanned out to every open response: `publish` from any
/// thread; each subscriber keeps only the latest value it has not sent yet,
/// so a slow browser skips pictures instead of queueing them.
public final class Broadcaster<Element: Sendable>: Sendable {
    private struct State {
        var nextID = 0
        var finished = false
        var latest: Element?
        var subscribers: [Int: AsyncStream<Element>.Continuation] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// A stream that starts with the current value (a new page shows the picture at once).
    func subscribe() -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .bufferingNewest(1))
        let id: Int? = state.withLockedValue { s in
            guard !s.finished else { return nil }
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            if let latest = s.latest { continuation.yield(latest) }
            return s.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        // Runs when the response drops the stream (the browser went away) or on finishAll.
        continuation.onTermination = { [weak self] _ in self?.state.withLockedValue { _ = $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    public func publish(_ value: Element) {
        let subscribers = state.withLockedValue { s in
            s.latest = value
            return Array(s.subscribers.values)
        }
        for continuation in subscribers { continuation.yield(value) }
    }

    /// Ends every open stream, so the endless responses complete; later subscribers get none.
    func finishAll() {
        let subscribers = state.withLockedValue { s in
            s.finished = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for continuation in subscribers { continuation.finish() }
    }
}

/// The live take's web page, served by the command itself over HTTP
/// (Hummingbird 2 on SwiftNIO): `/` the page, `/stream.mjpg` the picture as
/// MJPEG (`multipart/x-mixed-replace`, which a plain `<img>` shows),
/// `/events` the status as Server-Sent Events (one JSON object each).
///
/// Driven from the command's synchronous code: `start()` returns once the
/// socket listens (or throws, e.g. the port is taken) and `stop()` once the
/// server is down. The server logs nothing; the command prints what matters.
public final class LiveServer: Sendable {
    /// JPEG pictures and status JSON, published by the take.
    public let pictures = Broadcaster<ByteBuffer>()
    public let events = Broadcaster<String>()
    public let host: String
    public let port: Int
    private let group: ServiceGroup
    private let boundPort = NIOLockedValueBox<Int?>(nil)
    private let failure = NIOLockedValueBox<(any Error)?>(nil)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let started = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let preview: PicturePreview

    public init(host: String, port: Int, page: String = LivePage.html, picturesPerSecond: Double = 15) {
        self.host = host
        self.port = port
        let quiet = Logger(label: "empathy-live-http", factory: { _ in SwiftLogNoOpLogHandler() })
        let router = Router()
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        let pictures = self.pictures, events = self.events
        preview = PicturePreview(maximumRate: picturesPerSecond) { jpeg in pictures.publish(ByteBuffer(bytes: jpeg)) }
        router.get("/stream.mjpg") { _, _ in
            let stream = pictures.subscribe()
            return Response(
                status: .ok,
                headers: [.contentType: "multipart/x-mixed-replace; boundary=frame", .cacheControl: "no-cache, no-store"],
                body: ResponseBody { writer in
                    for await jpeg in stream {
                        var part = ByteBuffer()
                        part.writeString("--frame\r\nContent-Type: image/jpeg\r\nContent-Length: \(jpeg.readableBytes)\r\n\r\n")
                        part.writeImmutableBuffer(jpeg)
                        part.writeString("\r\n")
                        try await writer.write(part)  // throws once the browser has gone
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/events") { _, _ in
            let stream = events.subscribe()
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    for await json in stream { try await writer.write(ByteBuffer(string: "data: \(json)\n\n")) }
                    try await writer.finish(nil)
                })
        }
        let boundPort = self.boundPort, started = self.started
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                boundPort.withLockedValue { $0 = channel.localAddress?.port }
                started.signal()
            },
            logger: quiet)
        // No signal handlers here: the command handles Ctrl-C and calls stop().
        group = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: quiet)
    }

    /// Listens; returns the port (the one the system chose when 0 was asked).
    public func start() throws -> Int {
        let group = self.group, failure = self.failure, started = self.started, finished = self.finished
        // Detached: it must not inherit an actor, as this thread waits for it below.
        let running = Task.detached {
            do { try await group.run() } catch { failure.withLockedValue { $0 = error } }
            started.signal()  // wakes start() when binding failed before the server ran
            finished.signal()
        }
        task.withLockedValue { $0 = running }
        started.wait()
        if let error = failure.withLockedValue({ $0 }) {
            if let io = error as? IOError, io.errnoCode == EADDRINUSE {
                throw LiveServerError("cannot serve the live page on \(host):\(port): the port is in use; choose another with --serve HOST:PORT")
            }
            throw LiveServerError("cannot serve the live page on \(host):\(port): \(error)")
        }
        return boundPort.withLockedValue { $0 } ?? port
    }

    /// Ends the open streams and shuts the server down (cancelling it if that takes over `timeout` s).
    public func stop(timeout: Double = 2) {
        preview.close()
        pictures.finishAll()
        events.finishAll()
        let group = self.group
        Task.detached { await group.triggerGracefulShutdown() }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            task.withLockedValue { $0 }?.cancel()
            _ = finished.wait(timeout: .now() + timeout)
        }
    }
}

extension LiveServer {
    /// Shows a rendered frame (rows top-down) as the page's picture: encoded
    /// to JPEG on the preview thread, newest frame only, at most
    /// `picturesPerSecond`.
    public func offerPicture(_ image: RGBAImage) { preview.offer(image) }

    /// Sends the status (one JSON object) to every open page.
    public func publishStatus(_ json: String) { events.publish(json) }
}

public struct LiveServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
