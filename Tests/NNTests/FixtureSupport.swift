import Engine
import Foundation
import Testing
import NN

/// Locations and decoding of the PyTorch fixtures written by `scripts/reference/nn_reference.py`.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(name))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SafeTensors.FormatError(file: name, problem: "top level is not an object")
        }
        return obj
    }
}

/// Float array from a JSON value.
func floats(_ any: Any?) -> [Float] { (any as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.floatValue } }

/// Norm-wise relative error ||a − b|| / ||b|| (b the reference).
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var num = 0.0, den = 0.0
    for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
    return den > 0 ? (num / den).squareRoot() : num.squareRoot()
}

/// Euclidean norm in Double.
func norm(_ a: [Float]) -> Double { a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }

/// A temporary file URL unique to this process.
func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("semiseg-nn-\(getpid())-\(name)")
}

/// Parent of every NN suite, run serially: the Engine's `GradMode` switch is process-global, so a
/// `withNoGrad` in one test would otherwise disable tape recording in another running concurrently.
@Suite(.serialized) enum NNTests {}
