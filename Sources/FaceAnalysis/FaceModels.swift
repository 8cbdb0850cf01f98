import EmpathyCore
import FaceShim
import Foundation

/// A face box in dlib's convention: inclusive pixel bounds in full-frame
/// coordinates (a box `w` pixels wide has `right == left + w - 1`).
public struct FaceBox: Sendable, Equatable, Codable {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int
    /// Detector confidence (HOG: SVM margin; cascade: 0; refitted boxes: 0).
    public var score: Double

    public init(left: Int, top: Int, right: Int, bottom: Int, score: Double = 0) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
        self.score = score
    }

    public var width: Int { right - left + 1 }
    public var height: Int { bottom - top + 1 }
    /// Centre in pixels: ((left + right + 1) / 2, (top + bottom + 1) / 2).
    public var centre: SIMD2<Double> {
        SIMD2(Double(left + right + 1) / 2, Double(top + bottom + 1) / 2)
    }

    /// Intersection over union of the two boxes' pixel areas.
    public func overlap(with other: FaceBox) -> Double {
        let w = min(right, other.right) - max(left, other.left) + 1
        let h = min(bottom, other.bottom) - max(top, other.top) + 1
        guard w > 0, h > 0 else { return 0 }
        let inter = Double(w * h)
        return inter / (Double(width * height + other.width * other.height) - inter)
    }

    var shim: fs_box { fs_box(left: Int32(left), top: Int32(top), right: Int32(right), bottom: Int32(bottom), score: score) }
}

/// Which detector finds faces.
public enum DetectorKind: String, Sendable, CaseIterable, Codable {
    /// dlib's HOG frontal detector: the box convention the 68-point model was trained on.
    case hog
    /// OpenCV's LBP cascade (opencv-data), about 4× faster than `.hog`; boxes
    /// converted to dlib's convention. New faces are confirmed by HOG on a crop.
    case cascade
}

/// Finds frontal faces with dlib's HOG detector or an OpenCV cascade.
///
/// The shim keeps scratch buffers per detector, so calls are serialised by
/// `lock`; share it across threads only if waiting is acceptable.
public final class FaceDetector: @unchecked Sendable {
    public static let defaultCascadePath =
        "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml"

    public let kind: DetectorKind
    fileprivate let lock = NSLock()
    fileprivate let handle: OpaquePointer

    /// `cascadePath` is used by `.cascade` only (default: opencv-data's
    /// `lbpcascade_frontalface_improved.xml`; the box conversion was measured for it).
    public init(kind: DetectorKind = .hog, cascadePath: String? = nil) throws {
        self.kind = kind
        let path = cascadePath ?? Self.defaultCascadePath
        var error = [CChar](repeating: 0, count: 512)
        var opened: OpaquePointer?
        let status = path.withCString { cPath in
            fs_detector_open(kind == .hog ? FS_DETECTOR_HOG : FS_DETECTOR_CASCADE, cPath, &opened, &error, error.count)
        }
        guard Int(status) == FS_OK, let opened else {
            throw faceShimError(status, error, path: kind == .cascade ? path : nil, what: "face detector")
        }
        handle = opened
    }

    deinit { fs_detector_close(handle) }

    /// Faces in `image`, strongest first. The frame is resized by `scale`
    /// before detection (see `fs_detect`); boxes are in full-frame pixels.
    public func detect(in image: RGBAImage, scale: Double = 1, maxFaces: Int = 16) throws -> [FaceBox] {
        try boxes(in: image, maxFaces: maxFaces) { frame, pixels, boxes, count, error in
            fs_detect(handle, pixels, Int32(frame.width), Int32(frame.height), frame.bytesPerRow,
                      scale, boxes, Int32(max(0, maxFaces)), count, error, 512)
        }
    }

    /// Faces in a still (a single photo), strongest first: dlib's own boxes
    /// as its Python API finds them with one upsampling (see
    /// `fs_detect_still`), in the still's pixels, so `LandmarkPredictor` on
    /// the same image gives dlib's landmarks. Always HOG, whatever `kind`.
    /// Stills over 1024 px skip dlib's smallest faces: boxes from about 4 %
    /// of the longer side (8K: 322 px).
    public func detectStill(in image: RGBAImage, maxFaces: Int = 16) throws -> [FaceBox] {
        try boxes(in: image, maxFaces: maxFaces) { frame, pixels, boxes, count, error in
            fs_detect_still(handle, pixels, Int32(frame.width), Int32(frame.height), frame.bytesPerRow,
                            boxes, Int32(max(0, maxFaces)), count, error, 512)
        }
    }

    /// Runs one of the shim's detectors on the top-down frame (under `lock`)
    /// with room for `maxFaces` boxes and a 512-byte error buffer.
    private func boxes(
        in image: RGBAImage, maxFaces: Int,
        _ call: (RGBAImage, UnsafePointer<UInt8>?, UnsafeMutablePointer<fs_box>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<CChar>) -> Int32
    ) throws -> [FaceBox] {
        let frame = image.topDown()
        var boxes = [fs_box](repeating: fs_box(), count: max(1, maxFaces))
        var count: Int32 = 0
        var error = [CChar](repeating: 0, count: 512)
        let status = lock.withLock {
            frame.pixels.withUnsafeBufferPointer { pixels in call(frame, pixels.baseAddress, &boxes, &count, &error) }
        }
        guard Int(status) == FS_OK else { throw faceShimError(status, error, path: nil, what: "face detection") }
        return boxes.prefix(Int(max(0, min(count, Int32(maxFaces))))).map {
            FaceBox(left: Int($0.left), top: Int($0.top), right: Int($0.right), bottom: Int($0.bottom), score: $0.score)
        }
    }
}

extension FaceDetector {
    /// dlib's HOG box for a face near `proposal`, found on a small crop
    /// around it (1.8 box sides wide, scaled so the box is 110 px), or nil
    /// when HOG sees no face there. A few milliseconds.
    public func confirm(in image: RGBAImage, proposal: FaceBox) throws -> FaceBox? {
        let frame = image.topDown()
        var confirmed = fs_box()
        var found: Int32 = 0
        var error = [CChar](repeating: 0, count: 512)
        let status = lock.withLock {
            frame.pixels.withUnsafeBufferPointer { pixels in
                fs_confirm_face(handle, pixels.baseAddress, Int32(frame.width), Int32(frame.height), frame.bytesPerRow,
                                proposal.shim, &confirmed, &found, &error, error.count)
            }
        }
        guard Int(status) == FS_OK else { throw faceShimError(status, error, path: nil, what: "face confirmation") }
        guard found == 1 else { return nil }
        return FaceBox(left: Int(confirmed.left), top: Int(confirmed.top), right: Int(confirmed.right),
                       bottom: Int(confirmed.bottom), score: confirmed.score)
    }
}

/// dlib's shape predictor (68 points with the standard model): landmarks
/// inside a face box, in full-frame pixels. dlib rounds each point to whole
/// pixels.
///
/// The predictor is read-only after loading, but calls are serialised by
/// `lock` to keep the shim's one-thread-at-a-time rule.
public final class LandmarkPredictor: @unchecked Sendable {
    /// Debian `libdlib-data`'s model (trained on iBUG 300-W; see docs/emotion-track.md for its licence).
    public static let defaultModelPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

    public let modelPath: String
    public let pointCount: Int
    /// The model's mean shape in box-normalised units (0,0 top-left of the box, 1,1 bottom-right).
    public let meanShape: [SIMD2<Double>]
    private let lock = NSLock()
    private let handle: OpaquePointer

    public init(modelPath: String = LandmarkPredictor.defaultModelPath) throws {
        self.modelPath = modelPath
        var error = [CChar](repeating: 0, count: 512)
        var opened: OpaquePointer?
        let status = modelPath.withCString { fs_predictor_open($0, &opened, &error, error.count) }
        guard Int(status) == FS_OK, let opened else {
            throw faceShimError(status, error, path: modelPath, what: "landmark model")
        }
        let count = Int(fs_predictor_point_count(opened))
        var xy = [Float](repeating: 0, count: 2 * count)
        let meanStatus = fs_predictor_mean_shape(opened, &xy, xy.count, &error, error.count)
        guard Int(meanStatus) == FS_OK else {
            fs_predictor_close(opened)
            throw faceShimError(meanStatus, error, path: modelPath, what: "landmark model")
        }
        handle = opened
        pointCount = count
        meanShape = (0..<count).map { SIMD2(Double(xy[2 * $0]), Double(xy[2 * $0 + 1])) }
    }

    deinit { fs_predictor_close(handle) }

    /// Throws unless the model predicts the 68-point iBUG layout that
    /// tracking and expression scores are written for.
    public func requireIBUG68Layout() throws {
        guard pointCount == 68 else {
            throw EmpathyError.badFile(path: modelPath, line: nil, message:
                "predicts \(pointCount) points; face analysis needs a 68-point model in the iBUG 300-W layout, e.g. \(Self.defaultModelPath)")
        }
    }

    /// Landmarks inside `box`, in full-frame pixel coordinates.
    public func landmarks(in image: RGBAImage, box: FaceBox) throws -> [SIMD2<Double>] {
        let frame = image.topDown()
        var xy = [Float](repeating: 0, count: 2 * pointCount)
        var error = [CChar](repeating: 0, count: 512)
        let status = lock.withLock {
            frame.pixels.withUnsafeBufferPointer { pixels in
                fs_landmarks(handle, pixels.baseAddress, Int32(frame.width), Int32(frame.height), frame.bytesPerRow,
                             box.shim, &xy, xy.count, &error, error.count)
            }
        }
        guard Int(status) == FS_OK else { throw faceShimError(status, error, path: nil, what: "landmarks") }
        return (0..<pointCount).map { SIMD2(Double(xy[2 * $0]), Double(xy[2 * $0 + 1])) }
    }
}

func faceShimError(_ status: Int32, _ buffer: [CChar], path: String?, what: String) -> EmpathyError {
    var text = String(cBuffer: buffer)
    if text.isEmpty { text = "\(what) failed with status \(status)" }
    if let path { return .badFile(path: path, line: nil, message: text) }
    return .message(text)
}
