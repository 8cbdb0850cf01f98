import EmpathyCore
import Foundation
import Rendering

/// The settings every job that writes a PNG sequence shares, so a command
/// sets them in one place (`empathy`'s `SequenceOptions.apply(to:)`).
public protocol SequenceSettings {
    var frames: FrameSpec? { get set }
    var startNumber: Int { get set }
    var padding: Int { get set }
    var overwrite: Bool { get set }
    var platform: RenderContext.Platform { get set }
}

extension GradeConfiguration: SequenceSettings {}
extension RenderConfiguration: SequenceSettings {}
