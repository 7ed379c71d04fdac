// Tests of DistanceTransform.swift: exact agreement with brute force on anisotropic grids.

import Testing
@testable import Evaluation

@Suite struct DistanceTransformTests {
    func bruteForce(_ seeds: [Bool], shape: [Int], spacing: [Double]) -> [Double] {
        var strides = [Int](repeating: 1, count: shape.count)
        for a in stride(from: shape.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        func coord(_ i: Int) -> [Double] {
            var r = i
            return (0..<shape.count).map { a in let c = r / strides[a]; r -= c * strides[a]; return Double(c) * spacing[a] }
        }
        let seedCoords = seeds.indices.filter { seeds[$0] }.map(coord)
        return seeds.indices.map { i in
            let p = coord(i)
            return seedCoords.map { s in zip(p, s).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }.min() ?? .infinity
        }
    }

    @Test(arguments: [([7, 9, 11], [2.5, 0.8, 0.7]), ([5, 13, 6], [1, 1, 1]), ([12, 10], [0.9, 1.3]), ([1, 17], [1, 0.5])])
    func matchesBruteForce(shape: [Int], spacing: [Double]) throws {
        var rng = TestRNG(UInt64(shape.reduce(0, +)))
        let n = shape.reduce(1, *)
        for density in [0.01, 0.1, 0.5] {
            var seeds = (0..<n).map { _ in rng.uniform() < density }
            if !seeds.contains(true) { seeds[n / 2] = true }
            let got = try DistanceTransform.squaredDistance(seeds: seeds, shape: shape, spacing: spacing)
            let want = bruteForce(seeds, shape: shape, spacing: spacing)
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-9, "shape \(shape) density \(density): worst error \(worst)")
        }
    }

    @Test func noSeedIsInfinite() throws {
        let d = try DistanceTransform.squaredDistance(seeds: [Bool](repeating: false, count: 12), shape: [3, 4], spacing: [1, 1])
        #expect(d.allSatisfy { $0 == .infinity })
    }

    @Test func rejectsBadInput() {
        #expect(throws: EvaluationError.self) { try DistanceTransform.squaredDistance(seeds: [true], shape: [2, 2], spacing: [1, 1]) }
        #expect(throws: EvaluationError.self) { try DistanceTransform.squaredDistance(seeds: [true, false, false, false], shape: [2, 2], spacing: [1, -1]) }
    }
}
