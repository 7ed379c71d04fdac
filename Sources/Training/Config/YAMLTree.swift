import Foundation
import Yams

/// A YAML document as the plain values `JSONSerialization` produces (`[String: Any]`, `[Any]`, `String`, `Int`,
/// `Double`, `Bool`, `NSNull`), built from Yams' composed node tree rather than `Yams.load`.
///
/// `Yams.load` (5.0.1) force-unwraps mapping keys as strings and traps on a key that is itself a list or mapping
/// (`? [a]\n: 1`), a crash the config fuzzer found (Fuzz/regressions/config/crash-complex-key). Walking the node tree
/// ourselves turns such input into a readable error naming the file and line. Timestamps stay the text the user wrote;
/// merge keys (`<<`) are ordinary keys (and so rejected as unknown by the config reader).
enum YAMLTree {
    /// Nesting deeper than this is refused (configs are two or three levels deep; this bounds the recursion).
    static let maxDepth = 64

    /// The plain value of `node`; `path` names the file in errors.
    static func value(of node: Node, path: String, depth: Int = 0) throws -> Any {
        guard depth < maxDepth else {
            throw ConfigError(problems: ["\(location(node, path)): YAML nested more than \(maxDepth) levels deep"])
        }
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.description) {  // Tag.name is internal in Yams 5
            case .null: return NSNull()
            case .bool: return node.bool ?? scalar.string
            case .int: return node.int ?? node.float ?? scalar.string
            case .float: return node.float ?? scalar.string
            default: return scalar.string
            }
        case .sequence(let sequence):
            return try sequence.map { try value(of: $0, path: path, depth: depth + 1) }
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, item) in mapping {
                guard case .scalar(let k) = key else {
                    throw ConfigError(problems: ["\(location(key, path)): a YAML key must be a plain name, not a list or mapping"])
                }
                object[k.string] = try value(of: item, path: path, depth: depth + 1)
            }
            return object
        }
    }

    /// "FILE:LINE" of a node (1-based line), or "FILE" when Yams has no mark for it.
    static func location(_ node: Node, _ path: String) -> String {
        node.mark.map { "\(path):\($0.line)" } ?? path
    }
}
