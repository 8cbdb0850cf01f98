import Foundation

/// The One Euro filter (Casiez, Roussel & Vogel, CHI 2012): a low-pass
/// filter whose cutoff rises with speed, so slow jitter is removed and fast
/// motion is followed with little lag.
///
/// For a sample x at interval Δt (seconds):
/// `dx = (x - x̂prev) / Δt`, `d̂x = lowpass(dx, α(dCutoffHz))`,
/// `fc = minCutoffHz + beta * |d̂x| / unit`, `x̂ = lowpass(x, α(fc))` with
/// `α(fc) = 1 / (1 + τ/Δt)`, `τ = 1 / (2π fc)`. `unit` (1 by default)
/// expresses the speed in other units, e.g. pixels per inter-ocular distance,
/// so `beta` need not depend on the face's size in the frame.
public struct OneEuroFilter: Sendable {
    public struct Parameters: Sendable, Equatable, Codable {
        /// Cutoff at rest (Hz): lower removes more jitter, adds lag at low speed.
        public var minCutoffHz: Double
        /// Cutoff increase per unit of speed (units per second): higher follows fast motion.
        public var beta: Double
        /// Cutoff for the speed estimate (Hz).
        public var derivativeCutoffHz: Double

        public init(minCutoffHz: Double, beta: Double, derivativeCutoffHz: Double = 1) {
            self.minCutoffHz = minCutoffHz
            self.beta = beta
            self.derivativeCutoffHz = derivativeCutoffHz
        }
    }

    public let parameters: Parameters
    private var value: Double?
    private var derivative = 0.0

    public init(_ parameters: Parameters) { self.parameters = parameters }

    public mutating func reset() { value = nil; derivative = 0 }

    public mutating func filter(_ x: Double, intervalSeconds dt: Double, unit: Double = 1) -> Double {
        guard let previous = value, dt > 0 else { value = x; derivative = 0; return x }
        let dx = (x - previous) / dt
        derivative += Self.alpha(parameters.derivativeCutoffHz, dt) * (dx - derivative)
        let cutoff = parameters.minCutoffHz + parameters.beta * abs(derivative) / max(1e-9, unit)
        let next = previous + Self.alpha(cutoff, dt) * (x - previous)
        value = next
        return next
    }

    static func alpha(_ cutoffHz: Double, _ dt: Double) -> Double {
        let tau = 1 / (2 * Double.pi * cutoffHz)
        return 1 / (1 + tau / dt)
    }
}

/// One Euro filters over a face's landmarks (x and y of each point), with
/// speeds measured in inter-ocular distances (IOD) per second: the cutoff is
/// `minCutoff + beta · |speed in px/s| / IOD px`, so the same parameters suit
/// a face 80 px or 800 px wide. (Positions stay in pixels: dividing them by a
/// per-frame IOD would turn the IOD's own jitter into motion.) Defaults: minCutoff 1.5 Hz (a face at rest: dlib's
/// whole-pixel jitter is removed), beta 4 per IOD/s (an expression onset of
/// ~0.4 IOD/s doubles the cutoff, keeping the lag near one frame at 24 fps),
/// dCutoff 1 Hz.
public struct LandmarkSmoother: Sendable {
    public static let defaultParameters = OneEuroFilter.Parameters(minCutoffHz: 1.5, beta: 4, derivativeCutoffHz: 1)
    private var filters: [OneEuroFilter]

    public init(pointCount: Int, parameters: OneEuroFilter.Parameters = LandmarkSmoother.defaultParameters) {
        filters = Array(repeating: OneEuroFilter(parameters), count: 2 * pointCount)
    }

    public mutating func reset() { for i in filters.indices { filters[i].reset() } }

    public mutating func smooth(_ points: [SIMD2<Double>], intervalSeconds dt: Double) -> [SIMD2<Double>] {
        let iod = points.count == 68 ? max(1, Landmark68.interOcularDistance(points)) : 1
        var out = points
        for i in points.indices where 2 * i + 1 < filters.count {
            let x = filters[2 * i].filter(points[i].x, intervalSeconds: dt, unit: iod)
            let y = filters[2 * i + 1].filter(points[i].y, intervalSeconds: dt, unit: iod)
            out[i] = SIMD2(x, y)
        }
        return out
    }
}
