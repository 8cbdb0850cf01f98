import CEGL
import EmpathyCore
import Foundation
import Rendering

/// One step of a pass chain on the GPU. Every pass takes the chain's current
/// picture (`input`) and the untouched frame (`source`), both frame-sized
/// textures with row 0 at the bottom, and returns the texture it drew into.
///
/// Not Sendable: passes use their context's GL objects, which belong to the
/// thread that created the context.
public protocol EffectPass: AnyObject {
    var name: String { get }
    /// Parameters a look may drive, with their ranges (nil = unbounded).
    var parameterRanges: [String: ClosedRange<Float>?] { get }
    /// 0 when the pass keeps nothing between frames; otherwise its persistent
    /// buffers are cleared at every frame index that is a multiple of it.
    var feedbackResetFrames: Int { get }
    /// True when the texture `render` returns is kept for the next frame
    /// (a persistent last pass): a later pass must not draw over it.
    var outputPersists: Bool { get }
    /// True when the pass samples the untouched frame (`source`), so earlier
    /// passes must leave it as uploaded.
    var readsSource: Bool { get }
    func setParameter(_ name: String, _ value: Float) throws
    func render(input: GLuint, source: GLuint, frame: FrameInputs, width: Int, height: Int) throws -> GLuint
}

extension EffectPass {
    public var outputPersists: Bool { false }
    public var readsSource: Bool { false }
}

/// A pass that maps each pixel's colour and nothing else: its output at a
/// pixel depends only on its input at that pixel. A chain of such passes does
/// not care which way up the rows are (`PassChain` skips the flip of a
/// top-down frame).
public protocol PointwisePass: EffectPass {}

/// A pointwise pass that can be folded into an ISF pass's last draw
/// (`ISFPass.fold`): the draw writes the ISF pass's own output as usual and,
/// to a second colour attachment, this pass's result, so the picture is not
/// drawn twice.
public protocol FoldablePass: PointwisePass {
    /// GLSL defining `vec4 isf_fold(vec4 color)` and what it reads; names
    /// start with `isf_fold` so they cannot meet the host shader's.
    var foldCode: String { get }
    /// Once, with the host's folded program in use: point the fold's
    /// samplers at their texture units (so no draw sees two sampler types on
    /// one unit).
    func linkFold(program: GLuint)
    /// With the host pass's program in use, before its last draw: set this
    /// pass's uniforms and textures for the frame.
    func prepareFold(program: GLuint) throws
    /// Set by the chain when the pass is folded: it does not draw itself.
    var isFolded: Bool { get set }
}
