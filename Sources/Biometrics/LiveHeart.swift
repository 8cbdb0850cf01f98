/// Heart rate, HRV, contact and beat phase from a live reader's events, on
/// the reader's host time line. Device time d maps to host time d + o, where
/// o tracks the least-delayed lines of the current connection: on each line,
/// o = min(o + `maximumDriftRate` × (d − d_previous), arrival − d) — a minimum
/// that may rise as fast as a slow board clock drifts (an Uno's resonator is
/// within 0.5 %). Formats without a device clock use arrival time.
public struct LiveHeart: Sendable {
    public private(set) var beats: [FilteredBeat] = []
    public private(set) var contact: Bool?
    public private(set) var signalAmplitude: Int?
    public private(set) var connected = false
    public private(set) var firmware: String?
    public var historySeconds = 120.0
    /// How long after it happened each beat arrived (its line's arrival −
    /// its host time), seconds: the sensor's share of beat-to-frame latency. The last 2048 or more.
    public private(set) var beatDelaysSeconds: [Double] = []

    public static let maximumDriftRate = 0.006

    private var filter = ArtifactFilter()
    private var deviceOffsetSeconds: Double?
    private var lastDeviceSeconds: Double?

    public init() {}

    public mutating func consume(_ event: SensorEvent) {
        switch event {
        case let .connected(_, firmware, _, _, _):
            connected = true
            self.firmware = firmware
            deviceOffsetSeconds = nil
            lastDeviceSeconds = nil
        case .disconnected:
            connected = false
            contact = nil
        case let .line(line):
            guard case let .accepted(messages, _) = line.verdict else { return }
            for message in messages { consume(message, arrivedAt: line.hostTimeSeconds) }
        }
    }

    private mutating func hostTime(device: UInt32?, arrival: Double) -> Double {
        guard let device else { return arrival }
        let d = Double(device) / 1000
        var offset = arrival - d
        if let previous = deviceOffsetSeconds, let last = lastDeviceSeconds, d >= last {
            offset = min(previous + Self.maximumDriftRate * (d - last), offset)
        }
        deviceOffsetSeconds = offset
        lastDeviceSeconds = d
        return d + offset
    }

    private mutating func consume(_ message: SensorMessage, arrivedAt arrival: Double) {
        switch message {
        case let .beat(device, ibi, _, _):
            // The statistics bisect beats by time; a device clock restart
            // must not put a beat before the last one.
            let time = max(hostTime(device: device, arrival: arrival), beats.last?.timeSeconds ?? -.infinity)
            let interval = ibi > 0 ? Double(ibi) : nil
            let verdict = filter.judge(interval)
            beats.append(FilteredBeat(timeSeconds: time, normalIntervalMs: verdict == .accepted ? interval : nil, verdict: verdict))
            beatDelaysSeconds.append(arrival - time)
            if beatDelaysSeconds.count > 4096 { beatDelaysSeconds.removeFirst(2048) }
            if let first = beats.first, time - first.timeSeconds > historySeconds { beats.removeFirst() }
        case let .quality(device, contact, amplitude):
            _ = hostTime(device: device, arrival: arrival)
            self.contact = contact
            signalAmplitude = amplitude
        case .hello, .samples, .heartRate:
            break
        }
    }

    public func heartRateBPM(at t: Double) -> Double? { HeartStatistics.heartRateBPM(beats, at: t) }
    public func rmssdMs(at t: Double) -> Double? { HeartStatistics.rmssdMs(beats, at: t) }

    /// Beat phase at `t`: between the last beat at or before `t` and the
    /// one after it when that has already arrived (a frame handled a little
    /// after it was captured), else predicted forward (see `BeatPhase`).
    public func beatPhase(at t: Double) -> Double? {
        guard connected, let i = beats.lastIndex(where: { $0.timeSeconds <= t }) else { return nil }
        let next = i + 1 < beats.count ? beats[i + 1].timeSeconds : nil
        return BeatPhase.phase(at: t, lastBeatSeconds: beats[i].timeSeconds, nextBeatSeconds: next,
                               expectedIntervalMs: heartRateBPM(at: t).map { 60000 / $0 })
    }
}
