import EmpathyCore
import Foundation

/// How faces are found and followed.
public struct TrackerOptions: Sendable, Equatable {
    public var detector: DetectorKind = .hog
    /// Run the detector every this many frames (and whenever a face is lost
    /// or its fit degrades); between detections each box is refitted from
    /// the face's previous landmarks.
    public var detectEveryFrames: Int = 12
    /// Resize factor for detection; nil picks `min(1, 640 / longer side)`
    /// (HOG's smallest face is ~80 px at that size: 160 px in a 720p frame).
    public var detectionScale: Double?
    /// A refitted face whose landmarks sit further than this (RMS, in IOD
    /// units) from the best similarity fit of the mean shape has degraded:
    /// the detector runs at once. Expressions reach about 0.12.
    public var maxFitResidualIOD: Double = 0.25
    /// Faces narrower than this (pixels) are dropped.
    public var minFaceSidePixels: Int = 40
    /// A track the detector did not confirm this many times in a row is dropped.
    public var maxMissedDetections: Int = 2
    /// One Euro parameters for the landmarks (IOD units; see `LandmarkSmoother`).
    public var landmarkSmoothing: OneEuroFilter.Parameters = LandmarkSmoother.defaultParameters

    public init() {}

    public func detectionScale(width: Int, height: Int) -> Double {
        if let detectionScale { return detectionScale }
        return min(1, 640 / Double(max(width, height)))
    }
}

/// One face in one frame.
public struct TrackedFace: Sendable {
    /// Stable for as long as the face is followed; new faces get the next number, from 1.
    public var id: Int
    /// The box the landmarks were predicted in (dlib convention).
    public var box: FaceBox
    /// Landmarks as dlib predicted them (whole pixels).
    public var rawLandmarks: [SIMD2<Double>]
    /// Landmarks after the One Euro filter.
    public var landmarks: [SIMD2<Double>]
    /// RMS distance of the raw landmarks from the fitted mean shape, in IOD units.
    public var fitResidualIOD: Double
    /// True when the box came from the detector this frame.
    public var detectedThisFrame: Bool
}

/// Follows faces through a clip: detection now and then, landmarks every
/// frame, boxes carried between detections by refitting them from the
/// previous landmarks (similarity fit of the model's mean shape, whose unit
/// box is the detector's box).
///
/// Used from one thread; not Sendable.
public final class FaceTracker {
    public let options: TrackerOptions
    private let detector: FaceDetector
    private let predictor: LandmarkPredictor

    private struct Track {
        var id: Int
        var box: FaceBox
        var raw: [SIMD2<Double>]
        var smoother: LandmarkSmoother
        var missedDetections = 0
    }
    private var tracks: [Track] = []
    private var nextID = 1
    private var framesSinceDetection = Int.max
    /// Frames that ran the detector, for statistics.
    public private(set) var detectionCount = 0

    public init(detector: FaceDetector, predictor: LandmarkPredictor, options: TrackerOptions = TrackerOptions()) {
        self.detector = detector
        self.predictor = predictor
        self.options = options
    }

    /// The box dlib's detector would draw around `landmarks`: the similarity
    /// fit T of the mean shape (unit-box coordinates) onto all landmarks gives
    /// centre T(0.5, 0.5) and side scale(T); rotation is dropped (boxes are upright).
    public static func box(fittedTo landmarks: [SIMD2<Double>], meanShape: [SIMD2<Double>]) -> (box: FaceBox, residualIOD: Double) {
        let fit = SimilarityTransform.fit(from: meanShape, to: landmarks)
        let centre = fit.apply(SIMD2(0.5, 0.5))
        let side = fit.scale
        let box = FaceBox(left: Int((centre.x - side / 2).rounded()), top: Int((centre.y - side / 2).rounded()),
                          right: Int((centre.x + side / 2).rounded()), bottom: Int((centre.y + side / 2).rounded()))
        var sum = 0.0
        for (m, p) in zip(meanShape, landmarks) {
            let d = fit.apply(m) - p
            sum += (d * d).sum()
        }
        let iod = max(1e-9, Landmark68.interOcularDistance(landmarks))
        return (box, (sum / Double(max(1, landmarks.count))).squareRoot() / iod)
    }

    /// Forgets every face (the next update detects afresh).
    public func reset() {
        tracks.removeAll()
        framesSinceDetection = Int.max
    }

    /// Faces in `frame`, ordered by ID. `intervalSeconds` is the time since the previous frame.
    public func update(frame: RGBAImage, intervalSeconds: Double) throws -> [TrackedFace] {
        let width = frame.width, height = frame.height
        var detectedIDs = Set<Int>()
        if tracks.isEmpty || framesSinceDetection >= options.detectEveryFrames {
            try detect(frame, detectedIDs: &detectedIDs)
        } else {
            framesSinceDetection += 1
            for i in tracks.indices {
                tracks[i].box = Self.box(fittedTo: tracks[i].raw, meanShape: predictor.meanShape).box
            }
        }
        var faces = try predictAll(frame, detectedIDs: detectedIDs)
        // A degraded fit or a face leaving the frame: detect now and predict again.
        let degraded = faces.contains { $0.fitResidualIOD > options.maxFitResidualIOD }
        if degraded && detectedIDs.isEmpty {
            try detect(frame, detectedIDs: &detectedIDs)
            faces = try predictAll(frame, detectedIDs: detectedIDs)
        }
        // Drop faces that are too small, mostly outside the frame, or duplicates of an older track.
        var kept: [Int] = []
        for (i, face) in faces.enumerated() {
            let b = face.box
            let insideW = min(b.right, width - 1) - max(b.left, 0) + 1
            let insideH = min(b.bottom, height - 1) - max(b.top, 0) + 1
            let insideFraction = insideW > 0 && insideH > 0 ? Double(insideW * insideH) / Double(b.width * b.height) : 0
            if b.width < options.minFaceSidePixels || insideFraction < 0.5 { continue }
            if kept.contains(where: { faces[$0].box.overlap(with: b) > 0.5 }) { continue }
            kept.append(i)
        }
        let keptIDs = Set(kept.map { faces[$0].id })
        tracks.removeAll { !keptIDs.contains($0.id) }
        return smooth(kept.map { faces[$0] }, intervalSeconds: intervalSeconds)
    }

    private func detect(_ frame: RGBAImage, detectedIDs: inout Set<Int>) throws {
        framesSinceDetection = 1
        detectionCount += 1
        let scale = options.detectionScale(width: frame.width, height: frame.height)
        let boxes = try detector.detect(in: frame, scale: scale)
        // Refitted boxes of the current tracks, to match detections against.
        for i in tracks.indices {
            tracks[i].box = Self.box(fittedTo: tracks[i].raw, meanShape: predictor.meanShape).box
        }
        var unmatched = Array(boxes.indices)
        // Greedy matching by overlap, best pairs first.
        var pairs: [(track: Int, box: Int, overlap: Double)] = []
        for t in tracks.indices {
            for b in boxes.indices {
                let o = tracks[t].box.overlap(with: boxes[b])
                if o >= 0.3 { pairs.append((t, b, o)) }
            }
        }
        pairs.sort { $0.overlap > $1.overlap }
        var usedTracks = Set<Int>()
        for pair in pairs where !usedTracks.contains(pair.track) && unmatched.contains(pair.box) {
            usedTracks.insert(pair.track)
            unmatched.removeAll { $0 == pair.box }
            tracks[pair.track].box = boxes[pair.box]
            tracks[pair.track].missedDetections = 0
            detectedIDs.insert(tracks[pair.track].id)
        }
        for t in tracks.indices where !usedTracks.contains(t) {
            tracks[t].missedDetections += 1
        }
        tracks.removeAll { $0.missedDetections > options.maxMissedDetections }
        for b in unmatched {
            tracks.append(Track(id: nextID, box: boxes[b], raw: [],
                                smoother: LandmarkSmoother(pointCount: predictor.pointCount, parameters: options.landmarkSmoothing)))
            detectedIDs.insert(nextID)
            nextID += 1
        }
    }

    private func predictAll(_ frame: RGBAImage, detectedIDs: Set<Int>) throws -> [TrackedFace] {
        var faces: [TrackedFace] = []
        for i in tracks.indices {
            let raw = try predictor.landmarks(in: frame, box: tracks[i].box)
            tracks[i].raw = raw
            let residual = Self.box(fittedTo: raw, meanShape: predictor.meanShape).residualIOD
            faces.append(TrackedFace(id: tracks[i].id, box: tracks[i].box, rawLandmarks: raw, landmarks: raw,
                                     fitResidualIOD: residual, detectedThisFrame: detectedIDs.contains(tracks[i].id)))
        }
        return faces
    }

    /// Applies each face's One Euro filter (once per frame).
    private func smooth(_ faces: [TrackedFace], intervalSeconds: Double) -> [TrackedFace] {
        faces.map { face in
            var out = face
            if let i = tracks.firstIndex(where: { $0.id == face.id }) {
                out.landmarks = tracks[i].smoother.smooth(face.rawLandmarks, intervalSeconds: intervalSeconds)
            }
            return out
        }
    }
}
