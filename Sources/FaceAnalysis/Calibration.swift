import EmpathyCore
import Foundation

/// Where calibration profiles live: `calibration/NAME.json` in the
/// Empathy Engine folder (found by `ResourceLocator`), or the current
/// folder's `calibration/` when run outside a checkout.
public enum CalibrationLibrary {
    public static func directory() -> String {
        if let root = try? ResourceLocator.root() { return root.appendingPathComponent("calibration").path }
        return "calibration"
    }

    /// A name (`alice`, → calibration/alice.json) or a path to a .json file.
    public static func path(forName name: String) -> String {
        if name.contains("/") || name.hasSuffix(".json") { return name }
        return directory() + "/" + name + ".json"
    }

    /// Names that are safe as file names: letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}

extension ExpressionFeatures {
    /// A neutral face from many frames' feature values: the per-feature
    /// median, so the odd blink or word does not move it.
    public static func neutral(from samples: [[Double]]) -> ExpressionFeatures {
        ExpressionFeatures(values: names.indices.map { k in median(samples.map { $0[k] }) })
    }
}
