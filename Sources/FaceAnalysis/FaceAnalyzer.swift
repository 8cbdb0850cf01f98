import EmpathyCore
import Foundation

/// What one frame's analysis found.
public struct FrameAnalysis: Sendable {
    public var reading: FaceReading
    /// The performer's smoothed landmarks (nil when no face).
    public var landmarks: [SIMD2<Double>]?
    /// Every face followed in the frame.
    public var faces: [TrackedFace]
}

/// Options for analysing a clip.
public struct AnalysisOptions: Sendable, Equatable {
    public var tracker = TrackerOptions()
    public var scorer = ExpressionScorer.Options()
    /// Follow this face ID (`--face ID`); nil applies the performer rule.
    public var performerID: Int?
    public init() {}
}

/// Tracking, performer choice and scoring for a clip, frame by frame.
///
/// Performer rule: with `performerID`, that face (frames where it is not
/// followed are no-face frames). Otherwise the performer is kept for as long
/// as it is followed; when there is none (start, or it was lost), the
/// largest face in the frame (box area) becomes the performer.
///
/// Used from one thread; not Sendable.
public final class FaceAnalyzer {
    public let options: AnalysisOptions
    public let tracker: FaceTracker
    public let scorer: ExpressionScorer
    /// The appearance model, or nil for landmark AUs alone.
    public let expressionModel: ExpressionModel?
    public private(set) var performerID: Int?
    /// Wall time in the appearance model and in scoring, for the stage split.
    public private(set) var modelSeconds = 0.0
    public private(set) var scoreSeconds = 0.0
    private let meanShape: [SIMD2<Double>]

    public init(detector: FaceDetector, predictor: LandmarkPredictor, profile: NeutralProfile?, profilePath: String? = nil,
                expressionModel: ExpressionModel?, options: AnalysisOptions = AnalysisOptions()) throws {
        self.options = options
        self.expressionModel = expressionModel
        meanShape = predictor.meanShape
        tracker = FaceTracker(detector: detector, predictor: predictor, options: options.tracker)
        let path = profilePath ?? profile?.name ?? ""
        var appearanceNeutral: [Double]?
        if let expressionModel, let profile, let recorded = try profile.appearanceNeutralScores(path: path) {
            let using = URL(fileURLWithPath: expressionModel.path).lastPathComponent
            guard profile.appearanceModel == nil || profile.appearanceModel == using else {
                throw EmpathyError.badFile(path: path, line: nil, message:
                    "was recorded with the expression model '\(profile.appearanceModel ?? "")', not '\(using)'; analyse with that model or record the calibration again")
            }
            appearanceNeutral = recorded
        }
        scorer = ExpressionScorer(meanShape: predictor.meanShape, profile: try profile?.expressionFeatures(path: path),
                                  profileIsPerformer: (profile?.frameCount ?? 0) > 0,
                                  appearanceNeutral: appearanceNeutral, options: options.scorer)
        performerID = options.performerID
    }

    public func analyze(frame: RGBAImage, frameIndex: Int, timeSeconds: Double, intervalSeconds: Double) throws -> FrameAnalysis {
        let faces = try tracker.update(frame: frame, intervalSeconds: intervalSeconds, frameIndex: frameIndex)
        if options.performerID == nil, !faces.contains(where: { $0.id == performerID }) {
            performerID = faces.max { $0.box.width * $0.box.height < $1.box.width * $1.box.height }?.id
        }
        let performer = faces.first { $0.id == performerID }
        var appearance: [Double]?
        if let expressionModel, let performer {
            appearance = try timed(&modelSeconds) {
                try expressionModel.probabilities(in: frame, landmarks: performer.landmarks, meanShape: meanShape)
            }
        }
        let (units, estimate) = timed(&scoreSeconds) {
            scorer.score(landmarks: performer?.landmarks, appearance: appearance, intervalSeconds: intervalSeconds)
        }
        let reading = FaceReading(frameIndex: frameIndex, timeSeconds: timeSeconds, faceFound: performer != nil,
                                  faceID: performer?.id, box: performer?.box, actionUnits: units, estimate: estimate)
        return FrameAnalysis(reading: reading, landmarks: performer?.landmarks, faces: faces)
    }
}

/// Runs `body`, adding its wall time to `seconds`.
func timed<T>(_ seconds: inout Double, _ body: () throws -> T) rethrows -> T {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    return try body()
}
