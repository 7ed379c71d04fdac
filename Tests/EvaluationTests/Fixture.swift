// Loads Fixtures/eval_reference.json, produced by scripts/reference/eval_reference.py
// (/tmp/torchref/bin/python scripts/reference/eval_reference.py > Tests/EvaluationTests/Fixtures/eval_reference.json;
// numpy 2.4.6, scipy 1.17.1, medpy 0.5.2).

import Foundation
@testable import Evaluation

struct ReferenceFixture: Decodable {
    struct BinaryCase: Decodable {
        let name: String
        let shape: [Int]
        let spacing: [Double]
        let pred: [Int]
        let ref: [Int]
        let tp: Int, fp: Int, fn: Int, tn: Int
        let dc: Double?, jc: Double?, precision: Double?, recall: Double?
        let hd95: Double?
        let assd: Double?
        let assd_pooled: Double?
        let asd_pred_to_ref: Double?
        let asd_ref_to_pred: Double?

        var count: Int { shape.reduce(1, *) }
        var predMask: [Bool] { decodeRuns(pred, count: count) }
        var refMask: [Bool] { decodeRuns(ref, count: count) }
        var geometry: GridGeometry { get throws { try GridGeometry(shape: shape, spacing: spacing) } }
    }

    struct PValue: Decodable { let statistic: Double; let pvalue: Double }
    struct WilcoxonCase: Decodable {
        let name: String
        let x: [Double], y: [Double]
        let auto: PValue?, exact: PValue?, asymptotic: PValue?
    }

    struct SemanticCase: Decodable { let shape: [Int]; let gt: [UInt8]; let pred: [UInt8] }
    struct Semantic: Decodable {
        let classes: Int
        let cases: [SemanticCase]
        let confusion: [[Int]]
        let overall_accuracy: Double, mean_accuracy: Double, mean_iou: Double, mean_dice: Double
        let frequency_weighted_iou: Double
        let iou: [Double], dice: [Double]
    }

    let binary: [BinaryCase]
    let wilcoxon: [WilcoxonCase]
    let semantic: Semantic

    static let shared: ReferenceFixture? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/eval_reference.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(ReferenceFixture.self, from: data)
    }()
}

/// Run-lengths `[start, length, ...]` over the flat index -> mask.
func decodeRuns(_ runs: [Int], count: Int) -> [Bool] {
    var m = [Bool](repeating: false, count: count)
    var k = 0
    while k + 1 < runs.count {
        for i in runs[k]..<(runs[k] + runs[k + 1]) { m[i] = true }
        k += 2
    }
    return m
}

/// Deterministic pseudo-random generator for test data: Evaluation's `SplitMix64`, with the test helpers below.
struct TestRNG {
    var mix: SplitMix64
    init(_ seed: UInt64) { mix = SplitMix64(seed) }
    mutating func next() -> UInt64 { mix.next() }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Blob-like mask: a few random ellipsoids (or ellipses) on the grid.
    mutating func blobs(shape: [Int], count: Int, radius: Double) -> [Bool] {
        let n = shape.reduce(1, *)
        var m = [Bool](repeating: false, count: n)
        var centers: [[Double]] = []
        for _ in 0..<count { centers.append(shape.map { Double($0) * uniform() }) }
        var strides = [Int](repeating: 1, count: shape.count)
        for a in stride(from: shape.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        for i in 0..<n {
            var r = i
            let coord = (0..<shape.count).map { a -> Double in let c = r / strides[a]; r -= c * strides[a]; return Double(c) }
            for c in centers {
                var d2 = 0.0
                for a in 0..<shape.count { d2 += (coord[a] - c[a]) * (coord[a] - c[a]) }
                if d2 <= radius * radius { m[i] = true; break }
            }
        }
        return m
    }
}

/// Exact optional comparison helper: both nil, or both present and within `tol`.
func close(_ a: Double?, _ b: Double?, _ tol: Double) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case let (x?, y?): return abs(x - y) <= tol
    default: return false
    }
}
