import EmpathyCore

/// What the face analysis reads in one frame: the performer's face (or its
/// absence), its action units and the expression scores. The emotion track's
/// row (`Fusion.EmotionTrackRow`) is this reading plus the heart.
public struct FaceReading: Sendable, Equatable {
    /// 0-based frame index in the clip.
    public var frameIndex: Int
    /// Frame time from the clip's start: frameIndex / framesPerSecond.
    public var timeSeconds: Double
    /// False when no face was followed in this frame (scores then relax toward neutral).
    public var faceFound: Bool
    public var faceID: Int?
    public var box: FaceBox?
    public var actionUnits: ActionUnitIntensities
    /// Scores in `EmotionCategory.allCases` order, summing to 1.
    public var categories: [Double]
    public var valence: Double
    public var arousal: Double
    /// The category of a brief expression this frame belongs to (`MicroExpression`).
    public var microExpression: EmotionCategory?

    public init(frameIndex: Int, timeSeconds: Double, faceFound: Bool, faceID: Int? = nil, box: FaceBox? = nil,
                actionUnits: ActionUnitIntensities = ActionUnitIntensities(), estimate: EmotionEstimate = .neutral) {
        self.frameIndex = frameIndex
        self.timeSeconds = timeSeconds
        self.faceFound = faceFound
        self.faceID = faceID
        self.box = box
        self.actionUnits = actionUnits
        self.categories = estimate.categories
        self.valence = estimate.valence
        self.arousal = estimate.arousal
    }

    public var estimate: EmotionEstimate { EmotionEstimate(categories: categories, valence: valence, arousal: arousal) }
}
