/// The emotion vector of one frame: what the passes react to.
///
/// Analysis (face + heartbeat) produces one per frame in the emotion track;
/// the renderer turns it into shader uniforms. Every field has a neutral
/// default, so a frame without a face or without a sensor still renders.
public struct EmotionState: Sendable, Equatable {
    /// The seven categories (`EmotionCategory`, the engine's one list).
    public typealias Category = EmotionCategory

    /// Pleasant (+1) to unpleasant (−1).
    public var valence: Float = 0
    /// Calm (−1) to excited (+1), as in the emotion track (face arousal, or
    /// the arousal fused with the heart where a session was given).
    public var arousal: Float = 0
    /// nil without a sensor reading.
    public var heartRateBPM: Float?
    /// 0 at a beat, rising to 1 just before the next (predicted forward).
    public var beatPhase: Float = 0
    /// 1 at a beat, decaying to 0 (an envelope for pulsing effects).
    public var beatPulse: Float = 0
    /// HRV stress, 0 (relaxed) to 1 (RMSSD far below the performer's baseline).
    public var stress: Float = 0
    /// Each 0...1, indexed by `EmotionCategory.index`.
    public var categories: [Float] = [1, 0, 0, 0, 0, 0, 0]
    /// The performer's face box in normalised picture coordinates (origin at
    /// the top-left, 0...1), nil when no face was found.
    public var faceBox: (x: Float, y: Float, width: Float, height: Float)? {
        get { faceBoxStorage.map { ($0.x, $0.y, $0.z, $0.w) } }
        set { faceBoxStorage = newValue.map { SIMD4($0.x, $0.y, $0.width, $0.height) } }
    }
    /// Key landmarks in normalised picture coordinates (top-left origin):
    /// eye centres (the performer's left and right, so `leftEye` is on the
    /// picture's right for a face towards the camera), nose tip, mouth
    /// centre; nil without a face or without 68-point landmarks.
    public var leftEye: SIMD2<Float>?
    public var rightEye: SIMD2<Float>?
    public var noseTip: SIMD2<Float>?
    public var mouthCenter: SIMD2<Float>?

    /// The face region's outline in normalised picture coordinates (top-left
    /// origin), for the face matte: the jaw (landmarks 0–16), then the brows
    /// (26 back to 17) raised by 0.6 inter-ocular distances to take in the
    /// forehead; nil without 68-point landmarks.
    public var faceOutline: [SIMD2<Float>]?
    var faceBoxStorage: SIMD4<Float>?

    public init() {}

    public func score(_ category: EmotionCategory) -> Float { categories[category.index] }
}
