import EmpathyCore
import Foundation

/// How faces are found and followed.
public struct TrackerOptions: Sendable, Equatable {
    public var detector: DetectorKind = .hog
    /// Run the detector every this many frames (and whenever a face is lost
    /// or its fit degrades); between detections each box is refitted from
    /// the face's previous landmarks.
    public var detectEveryFrames: Int = 12
    /// While no face is followed, look for one every this many frames (a
    /// faceless stretch would otherwise pay for a detection on every frame).
    public var searchEveryFrames: Int = 3
    /// Resize factor for detection; nil picks `min(1, 640 / longer side)`
    /// (HOG's smallest face is ~80 px at that size: 160 px in a 720p frame).
    public var detectionScale: Double?
    /// A refitted face whose landmarks sit further than this (RMS, in IOD
    /// units) from the best similarity fit of the mean shape has degraded:
    /// the detector runs at once. Expressions reach about 0.12.
    public var maxFitResidualIOD: Double = 0.25
    /// A still picture: detect at full resolution with dlib's one-upsample
    /// pipeline (`FaceDetector.detectStill`) instead of the video fast path.
    public var stillImage = false
    /// Faces narrower than this (pixels) are dropped.
    public var minFaceSidePixels: Int = 40
    /// A track the detector did not confirm this many times in a row is
    /// dropped; after a miss the detector runs again on the next frame, so a
    /// vanished face is followed for at most detectEveryFrames + this many frames.
    public var maxMissedDetections: Int = 2
    /// A face whose box shows less grey-level contrast than this (standard
    /// deviation of 64 samples, 8-bit levels) is dropped at once: the picture
    /// went blank.
    public var minFaceContrast: Double = 4
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
    /// Wall time in the detector and in the landmark predictor, for the stage split.
    public private(set) var detectSeconds = 0.0
    public private(set) var landmarkSeconds = 0.0

    public init(detector: FaceDetector, predictor: LandmarkPredictor, options: TrackerOptions = TrackerOptions()) {
        self.detector = detector
        self.predictor = predictor
        self.options = options
    }

    /// Where dlib's HOG box sits relative to the mean shape's unit box, in
    /// unit-box units: its centre at (0.501, 0.558) and its side 0.921.
    /// (The model's mean shape is not centred in the detector's boxes.)
    /// Measured on 36 frames of the demo and expression clips: HOG box
    /// against the similarity fit of the mean shape to dlib's own landmarks
    /// in that box; spread about ±0.01.
    public static let detectorBoxCentre = SIMD2<Double>(0.501, 0.558)
    public static let detectorBoxSide = 0.921

    /// The box dlib's detector would draw around `landmarks`: with T the
    /// similarity fit of the mean shape (unit-box coordinates) onto all
    /// landmarks, centre T(detectorBoxCentre) and side
    /// detectorBoxSide · scale(T) (rotation dropped: boxes are upright).
    /// `residualIOD` is the RMS distance of the landmarks from T(mean shape)
    /// in inter-ocular distances.
    public static func box(fittedTo landmarks: [SIMD2<Double>], meanShape: [SIMD2<Double>]) -> (box: FaceBox, residualIOD: Double) {
        let fit = SimilarityTransform.fit(from: meanShape, to: landmarks)
        let centre = fit.apply(detectorBoxCentre)
        let half = detectorBoxSide * fit.scale / 2
        // dlib's unit box maps left -> 0 and right -> 1, so the centre is (left + right) / 2.
        let box = FaceBox(left: Int((centre.x - half).rounded()), top: Int((centre.y - half).rounded()),
                          right: Int((centre.x + half).rounded()), bottom: Int((centre.y + half).rounded()))
        var sum = 0.0
        for (m, p) in zip(meanShape, landmarks) {
            let d = fit.apply(m) - p
            sum += (d * d).sum()
        }
        let iod = max(1e-9, Landmark68.interOcularDistance(landmarks))
        return (box, (sum / Double(max(1, landmarks.count))).squareRoot() / iod)
    }

    /// Standard deviation of the grey levels ((R+G+B)/3) on an 8 × 8 grid of
    /// samples inside `box` (clipped to the frame). A face has texture; a
    /// blank or black frame (a cut to black, a lens cap) gives about 0.
    public static func contrast(of frame: RGBAImage, in box: FaceBox) -> Double {
        var sum = 0.0, sumSquares = 0.0, n = 0.0
        for j in 0..<8 {
            for i in 0..<8 {
                let x = box.left + (2 * i + 1) * box.width / 16
                let y = box.top + (2 * j + 1) * box.height / 16
                guard x >= 0, y >= 0, x < frame.width, y < frame.height else { continue }
                let o = frame.offset(x: x, y: y)
                let g = (Double(frame.pixels[o]) + Double(frame.pixels[o + 1]) + Double(frame.pixels[o + 2])) / 3
                sum += g; sumSquares += g * g; n += 1
            }
        }
        guard n > 1 else { return 0 }
        let mean = sum / n
        return max(0, sumSquares / n - mean * mean).squareRoot()
    }

    /// Forgets every face (the next update detects afresh).
    public func reset() {
        tracks.removeAll()
        framesSinceDetection = Int.max
    }

    /// Faces in `frame`, ordered by ID. `intervalSeconds` is the time since the previous frame.
    ///
    /// With the frame's index in its clip, scheduled detections fall on the
    /// clip's frames whose index is a multiple of the cadence (and at most
    /// the cadence apart, counting the frames given): an analysis of part of
    /// a clip then detects on the frames the whole clip's analysis does, and
    /// from the first such frame on follows the face as it does (the boxes,
    /// so the raw landmarks, are the detector's on the same picture).
    public func update(frame: RGBAImage, intervalSeconds: Double, frameIndex: Int? = nil) throws -> [TrackedFace] {
        let width = frame.width, height = frame.height
        var detectedIDs = Set<Int>()
        let due = tracks.isEmpty ? min(options.searchEveryFrames, options.detectEveryFrames) : options.detectEveryFrames
        let scheduled = frameIndex.map { $0 % max(1, due) == 0 } ?? false
        if framesSinceDetection >= due || scheduled {
            try detect(frame, detectedIDs: &detectedIDs)
        } else if tracks.isEmpty {
            framesSinceDetection += 1
            return []
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
            if Self.contrast(of: frame, in: b) < options.minFaceContrast { continue }
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
        let boxes = try timed(&detectSeconds) {
            options.stillImage ? try detector.detectStill(in: frame) : try detector.detect(in: frame, scale: scale)
        }
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
            // Unconfirmed: look again on the next frame rather than in N frames.
            framesSinceDetection = options.detectEveryFrames
        }
        tracks.removeAll { $0.missedDetections > options.maxMissedDetections }
        for b in unmatched {
            var box = boxes[b]
            if detector.kind == .cascade {
                // The cascade's false positives (textures, shapes) must not become faces.
                guard let confirmed = try detector.confirm(in: frame, proposal: box) else { continue }
                box = confirmed
            }
            tracks.append(Track(id: nextID, box: box, raw: [],
                                smoother: LandmarkSmoother(pointCount: predictor.pointCount, parameters: options.landmarkSmoothing)))
            detectedIDs.insert(nextID)
            nextID += 1
        }
    }

    private func predictAll(_ frame: RGBAImage, detectedIDs: Set<Int>) throws -> [TrackedFace] {
        var faces: [TrackedFace] = []
        for i in tracks.indices {
            let raw = try timed(&landmarkSeconds) { try predictor.landmarks(in: frame, box: tracks[i].box) }
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
