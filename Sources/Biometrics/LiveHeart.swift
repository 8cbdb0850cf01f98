/// Heart rate, HRV, contact and beat phase from a live reader's events, on
/// the reader's host time line. Device times map to host time through the
/// least-delayed line of the current connection (running minimum of
/// arrival − device time); formats without a device clock use arrival time.
public struct LiveHeart: Sendable {
    public private(set) var beats: [FilteredBeat] = []
    public private(set) var contact: Bool?
    public private(set) var signalAmplitude: Int?
    public private(set) var connected = false
    public private(set) var firmware: String?
    public var historySeconds = 120.0

    private var filter = ArtifactFilter()
    private var deviceOffsetSeconds: Double?

    public init() {}

    public mutating func consume(_ event: SensorEvent) {
        switch event {
        case let .connected(_, firmware, _, _, _):
            connected = true
            self.firmware = firmware
            deviceOffsetSeconds = nil
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
        let offset = min(deviceOffsetSeconds ?? .infinity, arrival - Double(device) / 1000)
        deviceOffsetSeconds = offset
        return Double(device) / 1000 + offset
    }

    private mutating func consume(_ message: SensorMessage, arrivedAt arrival: Double) {
        switch message {
        case let .beat(device, ibi, _, _):
            let time = hostTime(device: device, arrival: arrival)
            let interval = ibi > 0 ? Double(ibi) : nil
            let verdict = filter.judge(interval)
            beats.append(FilteredBeat(timeSeconds: time, normalIntervalMs: verdict == .accepted ? interval : nil, verdict: verdict))
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

    /// Beat phase predicted forward from the last beat (see `BeatPhase`).
    public func beatPhase(at t: Double) -> Double? {
        guard connected, let last = beats.last else { return nil }
        return BeatPhase.phase(at: t, lastBeatSeconds: last.timeSeconds, nextBeatSeconds: nil,
                               expectedIntervalMs: heartRateBPM(at: t).map { 60000 / $0 })
    }
}
