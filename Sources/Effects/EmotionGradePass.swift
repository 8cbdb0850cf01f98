import CEGL
import EmpathyCore
import Foundation
import Grading
import Rendering

/// The emotion-driven grade: Neon Noir looks blended by weight, then
/// intensity, saturation and contrast (shaders/passes/emotion-grade.frag).
///
/// Tetrahedral interpolation is an affine combination of table entries
/// (weights summing to 1), so any affine map of the entries commutes with it.
/// Blending the looks' tables and interpolating once therefore equals
/// blending the looks' outputs: with weights w_k (parameters named after the
/// looks, 0…1) and W = Σ w_k, T = base · (1 − min(W, 1)) + Σ w_k · T_k / max(W, 1).
/// The rest of the grade is affine in its input too, so it is baked into the
/// same table, exactly: for lattice point x and entry T(x),
///   y = x + (T(x) − x) · intensity             (the identity interpolates to x)
///   y = l + (y − l) · saturation, l = Rec. 709 luma of y
///   y = 0.5 + (y − 0.5) · contrast
/// and the shader only interpolates, clamps and rounds. The table is rebuilt
/// on the CPU when a parameter changes (33³ entries, well under a
/// millisecond) into one texture buffer, so a pixel costs one tetrahedral
/// lookup however many looks take part.
public final class EmotionGradePass: FoldablePass {
    public let name = "emotion-grade"
    public let feedbackResetFrames = 0
    public let lookNames: [String]
    private let isf: ISFPass
    private let base: LUT3D
    private let looks: [LUT3D]
    private var weights: [Float]
    private var intensity: Float = 1
    private var saturation: Float = 1
    private var contrast: Float = 1
    /// The weights and the three grade parameters the table was built with.
    private var uploadedKey: [Float]?
    private var tableBuffer: GLuint = 0
    private var tableTexture: GLuint = 0
    private var blended: [Float]

    public var parameterRanges: [String: ClosedRange<Float>?] {
        var ranges = isf.parameterRanges
        for name in lookNames { ranges[name] = 0...1 }
        return ranges
    }

    /// `base` is drawn where no emotion look has weight; `looks` are
    /// (parameter name, LUT). Every table must be a 3D table of one size
    /// with the default 0…1 domain and no shaper.
    public init(context: RenderContext, shaderURL: URL, base: CubeLUT, looks: [(name: String, lut: CubeLUT)],
                format: PixelFormat = .rgba8) throws {
        func table(_ lut: CubeLUT, _ label: String) throws -> LUT3D {
            guard let cube = lut.cube, lut.shaper == nil, cube.domainMin == .zero, cube.domainMax == .one else {
                throw EmpathyError.invalidArgument(
                    "look '\(label)': the emotion grade blends plain 3D LUTs with a 0…1 domain and no 1D shaper")
            }
            return cube
        }
        self.base = try table(base, "base")
        self.looks = try looks.map { try table($0.lut, $0.name) }
        lookNames = looks.map(\.name)
        for (cube, name) in zip(self.looks, lookNames) where cube.size != self.base.size {
            throw EmpathyError.invalidArgument(
                "look '\(name)' is a \(cube.size)³ LUT but the base is \(self.base.size)³; the emotion grade blends tables of one size")
        }
        weights = [Float](repeating: 0, count: looks.count)
        blended = [Float](repeating: 1, count: self.base.size * self.base.size * self.base.size * 4)
        guard context.contextVersion == "3.2", context.maxTextureBufferSize >= self.base.size * self.base.size * self.base.size else {
            throw EmpathyError.message("the emotion grade needs OpenGL ES 3.2 texture buffers (\(context.renderer) has OpenGL ES \(context.contextVersion))")
        }
        isf = try ISFPass(context: context, shader: try ISFShader.load(shaderURL), hostCode: Self.hostCode(cubeSize: self.base.size),
                          format: format)
        glGenBuffers(1, &tableBuffer)
        glBindBuffer(GLenum(GL_TEXTURE_BUFFER), tableBuffer)
        glBufferData(GLenum(GL_TEXTURE_BUFFER), blended.count * 4, nil, GLenum(GL_DYNAMIC_DRAW))
        glGenTextures(1, &tableTexture)
        glBindTexture(GLenum(GL_TEXTURE_BUFFER), tableTexture)
        glTexBuffer(GLenum(GL_TEXTURE_BUFFER), GLenum(GL_RGBA32F), tableBuffer)
        let unit: Int32 = 7
        isf.beforeDraw = { [tableTexture] program in
            glActiveTexture(GLenum(GL_TEXTURE0 + unit))
            glBindTexture(GLenum(GL_TEXTURE_BUFFER), tableTexture)
            glUniform1i(glGetUniformLocation(program, "gradeTable"), unit)
        }
        try GL.check("setting up the emotion grade")
    }

    /// The declarations emotion-grade.frag expects from the host.
    static func hostCode(cubeSize: Int) -> String {
        """
        precision highp samplerBuffer;
        uniform samplerBuffer gradeTable;
        const int cubeSize = \(cubeSize);
        """
    }

    deinit {
        guard (try? isf.context.makeCurrent()) != nil else { return }
        glDeleteTextures(1, &tableTexture)
        glDeleteBuffers(1, &tableBuffer)
    }

    public func setParameter(_ name: String, _ value: Float) throws {
        if let index = lookNames.firstIndex(of: name) {
            guard value.isFinite else { throw EmpathyError.invalidArgument("emotion grade weight '\(name)' is \(value)") }
            weights[index] = min(max(value, 0), 1)
        } else {
            // The shader's header declares these (with their ranges); the
            // table carries them.
            try isf.setParameter(name, value)
            let clamped = isf.parameter(name)?.first ?? value
            switch name {
            case "intensity": intensity = clamped
            case "saturation": saturation = clamped
            case "contrast": contrast = clamped
            default: break
            }
        }
    }

    /// The blended table as RGBA texels, the grade parameters baked in (see
    /// the type's comment).
    static func blend(base: LUT3D, looks: [LUT3D], weights: [Float], intensity: Float = 1, saturation: Float = 1,
                      contrast: Float = 1, into table: inout [Float]) {
        let total = weights.reduce(0, +)
        let baseWeight = 1 - min(total, 1)
        let scale: Float = total > 1 ? 1 / total : 1
        let count = base.size * base.size * base.size
        table.withUnsafeMutableBufferPointer { out in
            base.values.withUnsafeBufferPointer { b in
                for k in 0..<count {
                    out[4 * k] = b[3 * k] * baseWeight
                    out[4 * k + 1] = b[3 * k + 1] * baseWeight
                    out[4 * k + 2] = b[3 * k + 2] * baseWeight
                    out[4 * k + 3] = 1
                }
            }
            for (look, weight) in zip(looks, weights) where weight > 0 {
                let w = weight * scale
                look.values.withUnsafeBufferPointer { t in
                    for k in 0..<count {
                        out[4 * k] += t[3 * k] * w
                        out[4 * k + 1] += t[3 * k + 1] * w
                        out[4 * k + 2] += t[3 * k + 2] * w
                    }
                }
            }
            guard intensity != 1 || saturation != 1 || contrast != 1 else { return }
            let size = base.size
            let step = 1 / Float(size - 1)
            let rec709 = SIMD3<Float>(0.2126, 0.7152, 0.0722)
            for k in 0..<count {
                let x = SIMD3(Float(k % size), Float(k / size % size), Float(k / (size * size))) * step
                var y = SIMD3(out[4 * k], out[4 * k + 1], out[4 * k + 2])
                y = x + (y - x) * intensity
                let luma = (y * rec709).sum()
                y = SIMD3(repeating: luma) + (y - SIMD3(repeating: luma)) * saturation
                y = SIMD3(repeating: 0.5) + (y - SIMD3(repeating: 0.5)) * contrast
                out[4 * k] = y.x
                out[4 * k + 1] = y.y
                out[4 * k + 2] = y.z
            }
        }
    }

    // MARK: Folding into the pass before

    public var isFolded = false
    private static let foldTextureUnit: Int32 = 15

    /// emotion-grade.frag's lookup (its functions between the header and
    /// `main`, renamed into the `isf_fold` namespace), then the rounding its
    /// `main` does. The colour is first rounded to 8 bits, as the unfolded
    /// chain stores the previous pass's output in an 8-bit buffer; in a
    /// floating-point chain neither rounding happens (the input clamped to
    /// 0…1, as the table's domain).
    public var foldCode: String {
        let text = isf.shader.text
        guard let start = text.range(of: "vec3 cubeEntry"), let end = text.range(of: "void main()") else { return "" }
        var functions = String(text[start.lowerBound..<end.lowerBound])
        for (name, renamed) in [("cubeEntry", "isf_foldEntry"), ("applyCube", "isf_foldCube"),
                                ("gradeTable", "isf_foldTable"), ("cubeSize", "isf_foldCubeSize")] {
            functions = functions.replacingOccurrences(of: name, with: renamed)
        }
        return """
            precision highp samplerBuffer;
            uniform samplerBuffer isf_foldTable;
            const int isf_foldCubeSize = \(base.size);
            \(functions)
            vec4 isf_fold(vec4 color) {
            #ifdef EMPATHY_FLOAT
                return vec4(isf_foldCube(clamp(color.rgb, 0.0, 1.0)), color.a);
            #else
                vec3 x = floor(clamp(color.rgb, 0.0, 1.0) * 255.0 + 0.5) * (1.0 / 255.0);
                vec3 y = isf_foldCube(x);
                return vec4(floor(clamp(y, 0.0, 1.0) * 255.0 + 0.5) * (1.0 / 255.0), color.a);
            #endif
            }
            """
    }

    public func linkFold(program: GLuint) {
        glUniform1i(glGetUniformLocation(program, "isf_foldTable"), Self.foldTextureUnit)
    }

    public func prepareFold(program: GLuint) throws {
        uploadTableIfChanged()
        glActiveTexture(GLenum(GL_TEXTURE0 + Self.foldTextureUnit))
        glBindTexture(GLenum(GL_TEXTURE_BUFFER), tableTexture)
        try GL.check("binding the folded emotion grade")
    }

    private func uploadTableIfChanged() {
        let key = weights + [intensity, saturation, contrast]
        if uploadedKey != key {
            Self.blend(base: base, looks: looks, weights: weights, intensity: intensity, saturation: saturation,
                       contrast: contrast, into: &blended)
            glBindBuffer(GLenum(GL_TEXTURE_BUFFER), tableBuffer)
            blended.withUnsafeBytes { bytes in
                glBufferSubData(GLenum(GL_TEXTURE_BUFFER), 0, bytes.count, bytes.baseAddress)
            }
            uploadedKey = key
        }
    }

    public func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint {
        try isf.context.makeCurrent()
        uploadTableIfChanged()
        return try isf.render(input: input, source: source, frame: frame, width: width, height: height)
    }

}

extension PassType {
    static let emotionGrade = PassType(
        name: "emotion-grade", summary: "Neon Noir looks blended by the emotion, then intensity, saturation and contrast",
        fields: [("base", "the LUT where no emotion look has weight, e.g. \"neon-noir/midnight\""),
                 ("looks", "a LUT per weight parameter: { \"rage\": \"neon-noir/rage\", … }")],
        shader: ("passes/emotion-grade.frag", EmotionGradePass.hostCode(cubeSize: 33)),
        validate: { fields in
            _ = try fields.string("base", example: "\"neon-noir/midnight\"")
            _ = try fields.stringMap("looks", example: "{ \"rage\": \"neon-noir/rage\", … }")
        },
        make: { fields, build in
            let looks = try fields.stringMap("looks", example: "{ \"rage\": \"neon-noir/rage\", … }")
            return try EmotionGradePass(
                context: build.context, shaderURL: build.shadersDirectory.appendingPathComponent("passes/emotion-grade.frag"),
                base: try fields.lut("base"),
                looks: try looks.keys.sorted().map { ($0, try fields.lut(named: looks[$0] ?? "", field: "looks.\($0)")) },
                format: build.format)
        })
}
