/// The seven emotion categories: the one list every part of the engine uses,
/// in this order — the emotion track's `cat_…` columns, the scores of
/// `EmotionState.categories`, the shaders' `emotion…` uniforms and the look
/// files' emotion fields. Face analysis adds each category's FACS prototype
/// and circumplex coordinates (FaceAnalysis/Emotion.swift).
public enum EmotionCategory: String, Sendable, CaseIterable, Codable {
    case neutral, happiness, sadness, surprise, fear, anger, disgust

    /// Position in `allCases`.
    public var index: Int { Self.indices[self] ?? 0 }
    private static let indices = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    /// The name with a capital first letter, for derived names (`emotionHappiness`).
    public var capitalizedName: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}
