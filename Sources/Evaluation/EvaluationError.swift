// Errors raised by the Evaluation module.

/// An input problem found by the evaluation harness, described in SemiSeg's words.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// The number of stored values does not match the product of the shape.
    case sizeMismatch(expected: Int, got: Int, what: String)
    /// Two volumes that must be compared voxel by voxel have different shapes.
    case shapeMismatch([Int], [Int])
    /// The shape is not 2D (`[H, W]`) or 3D (`[D, H, W]`), or has a non-positive extent.
    case badShape([Int])
    /// The spacing does not have one positive, finite entry per axis.
    case badSpacing([Double])
    /// A label is not below the declared number of classes.
    case labelOutOfRange(label: Int, classes: Int)
    /// Predictions and references do not name the same cases.
    case caseMismatch(missingPredictions: [String], extraPredictions: [String])
    /// The same case id appears more than once in one set.
    case duplicateCase(String)
    /// A free-form invalid argument (e.g. a threshold out of range).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .sizeMismatch(e, g, w): return "\(w): expected \(e) values, got \(g)"
        case let .shapeMismatch(a, b): return "shape mismatch: \(a) vs \(b)"
        case let .badShape(s): return "unsupported shape \(s) (need [H, W] or [D, H, W] with positive extents)"
        case let .badSpacing(s): return "bad spacing \(s) (need one positive finite value in mm per axis)"
        case let .labelOutOfRange(l, c): return "label \(l) out of range for \(c) classes"
        case let .caseMismatch(m, x):
            var parts: [String] = []
            if !m.isEmpty { parts.append("no prediction for \(m.joined(separator: ", "))") }
            if !x.isEmpty { parts.append("no reference for \(x.joined(separator: ", "))") }
            return "cases do not match: " + parts.joined(separator: "; ")
        case let .duplicateCase(id): return "case \(id) appears more than once"
        case let .invalidArgument(s): return s
        }
    }
}
