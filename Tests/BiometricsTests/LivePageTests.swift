import Foundation
import ImageSequence
import TestSupport
import XCTest

/// `empathy live --serve`: the page, the MJPEG stream and the status events
/// fetched over loopback (curl), a port already in use refused in one line,
/// and the page as headless Chromium draws it.
final class LivePageTests: XCTestCase {
    private var tmp: URL!
    private let clip = EmpathyCommand.repositoryRoot.appendingPathComponent("footage/expressions/astronaut-expressions.mp4").path

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("live-page-\(UUID())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    /// Starts a looping take serving on a free loopback port; returns it and the page's address.
    private func startServing(_ extra: [String] = []) throws -> (Process, String) {
        let process = Process()
        process.executableURL = EmpathyCommand.executable
        process.arguments = ["live", "--play", clip, "--loop", "--duration", "60", "--serve", "0", "--expression-model", "none"] + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("live page: ") }) {
                return (process, String(line.dropFirst("live page: ".count)))
            }
        }
        process.terminate()
        throw EmpathyTestError("no 'live page:' line in 30 s: \(text)")
    }

    /// curl's body for at most `seconds` (an endless stream is cut there).
    private func fetch(_ url: String, seconds: Int) throws -> Data {
        let file = tmp.appendingPathComponent(UUID().uuidString).path
        _ = try runCommand("/usr/bin/curl", ["-s", "-m", "\(seconds)", "-o", file, url], timeoutSeconds: Double(seconds + 10))
        return (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
    }

    /// Waits until the take has rendered a frame (its first status event):
    /// the page is served as soon as the socket listens, the picture only
    /// once the models have loaded and a frame is drawn (1.4 s here on a warm
    /// machine, longer on a fresh one with nothing in its disk cache).
    private func waitForTheFirstFrame(_ page: String, take: Process) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, take.isRunning {
            let events = String(decoding: try fetch(page + "events", seconds: 2), as: UTF8.self)
            if events.contains("data: ") { return }
        }
        throw EmpathyTestError("the take served no status event in 60 s")
    }

    func testThePageTheStreamAndTheEventsOverLoopback() throws {
        let (take, page) = try startServing()
        defer { if take.isRunning { take.terminate() } }
        let html = String(decoding: try fetch(page, seconds: 5), as: UTF8.self)
        XCTAssertTrue(html.contains("<img id=\"picture\" src=\"/stream.mjpg\""), html)
        try waitForTheFirstFrame(page, take: take)

        let stream = try fetch(page + "stream.mjpg", seconds: 3)
        XCTAssertTrue(stream.starts(with: Data("--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ".utf8)))
        let header = try XCTUnwrap(stream.range(of: Data("\r\n\r\n".utf8)))
        let jpeg = stream[header.upperBound...]
        XCTAssertEqual(Array(jpeg.prefix(3)), [0xFF, 0xD8, 0xFF], "a JPEG follows the part header")
        let parts = String(decoding: stream, as: UTF8.self).components(separatedBy: "--frame\r\n").count - 1
        XCTAssertGreaterThanOrEqual(parts, 3, "pictures keep coming")

        let events = String(decoding: try fetch(page + "events", seconds: 3), as: UTF8.self)
        let messages = events.split(separator: "\n").filter { $0.hasPrefix("data: ") }
        XCTAssertGreaterThan(messages.count, 5, events)
        let status = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(messages.last!.dropFirst(6).utf8)) as? [String: Any])
        for key in ["bpm", "beat", "valence", "arousal", "top", "fps", "dropped", "latency", "sensor"] {
            XCTAssertNotNil(status[key], "status has \(key): \(messages.last!)")
        }

        // The same port again: refused in one line before any take.
        let port = try XCTUnwrap(page.split(separator: ":").last?.split(separator: "/").first)
        let second = try runCommand(EmpathyCommand.executable.path,
                                    ["live", "--play", clip, "--duration", "2", "--serve", String(port), "--expression-model", "none"],
                                    timeoutSeconds: 60)
        XCTAssertEqual(second.status, 1)
        let errors = second.standardError.split(separator: "\n").filter { $0.hasPrefix("empathy: error:") }
        XCTAssertEqual(errors.count, 1, second.standardError)
        XCTAssertTrue(second.standardError.contains("the port is in use"), second.standardError)

        take.interrupt()
        let stopBy = Date().addingTimeInterval(15)
        while take.isRunning && Date() < stopBy { usleep(50_000) }
        XCTAssertFalse(take.isRunning, "Ctrl-C ends the take and the server")
        XCTAssertEqual(take.terminationStatus, 0)
    }

    /// Headless Chromium (Debian's) opens the page of a take with the
    /// simulated board as its sensor: the screenshot shows the live picture
    /// (the page's top left is not its flat background) and the page's text
    /// has the BPM and fps from the events.
    func testHeadlessChromiumShowsTheLivePictureAndTheBPM() throws {
        let chromium = "/usr/bin/chromium"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: chromium), "no \(chromium); scripts/install-deps.sh installs it")
        let sensor = try SimulatedSensor()
        let board = try sensor.start(["--bpm", "75", "--duration-s", "600", "--realtime", "--seed", "4"])
        defer { board.terminate() }
        let (take, page) = try startServing(["--sensor", sensor.linkPath])
        defer { if take.isRunning { take.terminate() } }
        try waitForTheFirstFrame(page, take: take)
        Thread.sleep(forTimeInterval: 4)  // a few beats, so the page has a rate to show
        let shot = tmp.appendingPathComponent("page.png").path
        // --timeout: the page never goes idle (its picture and events are endless), so Chromium is told when to draw.
        let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,720",
                     "--user-data-dir=\(tmp.appendingPathComponent("profile").path)", "--timeout=4000"]
        let screenshot = try runCommand(chromium, flags + ["--screenshot=\(shot)", page], timeoutSeconds: 60)
        XCTAssertFalse(screenshot.timedOut)
        let image = try PNGCodec.read(path: shot)
        // The picture sits at the page's top left (16 px margin); the background is #0b0b10.
        var differing = 0, total = 0
        for y in stride(from: 40, to: min(400, image.height), by: 4) {
            for x in stride(from: 40, to: min(400, image.width), by: 4) {
                let o = (y * image.width + x) * 4
                let distance = abs(Int(image.pixels[o]) - 0x0B) + abs(Int(image.pixels[o + 1]) - 0x0B) + abs(Int(image.pixels[o + 2]) - 0x10)
                if distance > 30 { differing += 1 }
                total += 1
            }
        }
        XCTAssertGreaterThan(differing, total / 2, "the live picture is drawn where the page puts it")
        // The page's text once the events have filled it in: Chromium is told
        // when to take the DOM, so a loaded machine gets longer, up to 16 s.
        func cell(_ id: String, in dom: String) -> Double? {
            dom.components(separatedBy: "id=\"\(id)\">").dropFirst().first.flatMap { Double(String($0.prefix { $0 != "<" })) }
        }
        var dom = ""
        for wait in [4000, 8000, 16000] {
            let flagsWaiting = flags.filter { !$0.hasPrefix("--timeout=") } + ["--timeout=\(wait)"]
            dom = try runCommand(chromium, flagsWaiting + ["--dump-dom", page], timeoutSeconds: 60).standardOutput
            if cell("fps", in: dom) != nil && cell("bpm", in: dom) != nil { break }
        }
        XCTAssertTrue(dom.contains("id=\"fps\""), dom)
        XCTAssertNotNil(cell("fps", in: dom), "the status came through the events")
        XCTAssertEqual(cell("bpm", in: dom) ?? 0, 75, accuracy: 5, "the page shows the board's rate")
    }
}
