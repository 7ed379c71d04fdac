import Engine
import Foundation
import TestSupport
import Testing

/// Loader for `Fixtures/spatial_reference.json`, produced by `scripts/reference/engine_spatial_reference.py`
/// (PyTorch, fixed seed): inputs, parameters, forward outputs and input gradients for a fixed upstream gradient.
enum SpatialReference {
    struct StoredTensor: Decodable {
        let shape: [Int]
        let data: [Float]
        /// A fresh leaf tensor holding these values.
        var tensor: Tensor { Tensor(data, shape: shape) }
    }

    struct Params: Decodable {
        var stride: [Int]?, padding: [Int]?, dilation: [Int]?, outputPadding: [Int]?, kernel: [Int]?, scale: [Int]?, size: [Int]?
        var mode: String?, training: Bool?, momentum: Float?, eps: Float?, groups: Int?
        enum CodingKeys: String, CodingKey {
            case stride, padding, dilation, outputPadding = "output_padding", kernel, scale, size, mode, training, momentum, eps, groups
        }
    }

    struct Case: Decodable {
        let name: String
        let op: String
        let params: Params
        let tensors: [String: StoredTensor]

        /// The stored tensor `key`; records an issue and returns an empty tensor when missing.
        func tensor(_ key: String) -> Tensor {
            guard let t = tensors[key] else {
                Issue.record("fixture case \(name) has no tensor '\(key)'")
                return Tensor(zeros: [0])
            }
            return t.tensor
        }

        /// The stored tensor `key` as a gradient-requiring leaf, or nil when the case has none.
        func leaf(_ key: String) -> Tensor? { tensors[key]?.tensor.requiringGrad() }
    }

    /// The input leaves of one case by name.
    struct Leaves {
        let name: String
        let values: [String: Tensor]
        /// A required input (records an issue and returns an empty tensor when missing).
        subscript(_ key: String) -> Tensor {
            guard let t = values[key] else {
                Issue.record("fixture case \(name) has no input '\(key)'")
                return Tensor(zeros: [0])
            }
            return t
        }
        /// An optional input such as a bias.
        func optional(_ key: String) -> Tensor? { values[key] }
    }

    struct File: Decodable { let generator: String; let cases: [Case] }

    /// All cases (empty, with a recorded issue in `fixtureLoads`, when the file is missing or malformed).
    static let cases: [Case] = load("spatial_reference.json")

    /// The cases of one fixture file in `Fixtures/` of this format (empty when missing or malformed).
    static func load(_ name: String) -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.cases
    }

    /// Names of the cases for one op (test arguments).
    static func names(op: String) -> [String] { cases.filter { $0.op == op }.map(\.name) }

    /// The case called `name`.
    static func named(_ name: String) -> Case? { cases.first { $0.name == name } }

    /// Runs `forward` on the case's leaves, compares the output with `out`, back-propagates `gout` and compares
    /// every `grad_<key>` with the gradient of the leaf `<key>`.
    static func check(_ c: Case, atol: Float = 1e-4, rtol: Float = 1e-4,
                      sourceLocation: SourceLocation = #_sourceLocation, _ forward: (Leaves) -> Tensor) {
        var leaves: [String: Tensor] = [:]
        for key in c.tensors.keys where !key.hasPrefix("grad_") && !["out", "gout", "indices"].contains(key) && !key.hasPrefix("running_") {
            leaves[key] = c.leaf(key)
        }
        let out = forward(Leaves(name: c.name, values: leaves))
        expectClose(out, c.tensor("out"), atol: atol, rtol: rtol, "\(c.name): forward", sourceLocation: sourceLocation)
        out.backward(c.tensor("gout"))
        for (key, leaf) in leaves {
            guard let grad = leaf.grad else {
                Issue.record("\(c.name): no gradient for \(key)", sourceLocation: sourceLocation)
                continue
            }
            expectClose(grad, c.tensor("grad_" + key), atol: atol, rtol: rtol, "\(c.name): grad \(key)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Spatial reference fixture")
struct SpatialReferenceFixtureTests {
    @Test func fixtureLoads() {
        #expect(SpatialReference.cases.count >= 20, "Fixtures/spatial_reference.json missing or unreadable; rerun scripts/reference/engine_spatial_reference.py")
    }
}
