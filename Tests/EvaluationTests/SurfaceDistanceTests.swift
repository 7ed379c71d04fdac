// Tests of SurfaceDistance.swift. Reference values: medpy 0.5.2 `hd95`, `asd`, `assd` from
// scripts/reference/eval_reference.py (Fixtures/eval_reference.json). Distances must agree to 1e-4 mm.

import Testing
@testable import Evaluation

@Suite struct SurfaceDistanceTests {
    @Test func medpyParity() throws {
        let fx = try #require(ReferenceFixture.shared, "missing Fixtures/eval_reference.json")
        #expect(fx.binary.count >= 20)
        for c in fx.binary {
            let s = try SurfaceDistances.compute(prediction: c.predMask, reference: c.refMask, geometry: c.geometry)
            if c.hd95 == nil {
                #expect(s == nil, "\(c.name): medpy refuses, expected nil")
                continue
            }
            let d = try #require(s, "\(c.name): expected distances")
            #expect(close(d.hd95, c.hd95, 1e-4), "\(c.name) hd95 \(d.hd95) vs medpy \(c.hd95 ?? -1)")
            #expect(close(d.assd, c.assd, 1e-4), "\(c.name) assd \(d.assd) vs \(c.assd ?? -1)")
            #expect(close(d.assdPooled, c.assd_pooled, 1e-4), "\(c.name) pooled assd \(d.assdPooled) vs \(c.assd_pooled ?? -1)")
            let asdPR = d.predictionToReference.reduce(0, +) / Double(d.predictionToReference.count)
            let asdRP = d.referenceToPrediction.reduce(0, +) / Double(d.referenceToPrediction.count)
            #expect(close(asdPR, c.asd_pred_to_ref, 1e-4), "\(c.name) asd(pred, ref)")
            #expect(close(asdRP, c.asd_ref_to_pred, 1e-4), "\(c.name) asd(ref, pred)")
        }
    }

    /// NSD against its brute-force definition: for every surface voxel, the minimum Euclidean distance (mm) to
    /// the other surface by scanning all pairs; fraction of both surfaces within the tolerance.
    @Test(arguments: [0.5, 1.0, 2.0, 3.7])
    func nsdMatchesBruteForce(tolerance: Double) throws {
        var rng = TestRNG(99)
        for (shape, spacing) in [([10, 14, 12], [2.5, 0.8, 0.7]), ([30, 25], [0.9, 1.3])] {
            let a = rng.blobs(shape: shape, count: 3, radius: 3.5)
            let b = rng.blobs(shape: shape, count: 3, radius: 3.0)
            let g = try GridGeometry(shape: shape, spacing: spacing)
            let s = try #require(try SurfaceDistances.compute(prediction: a, reference: b, geometry: g))
            let sa = try Surface.indices(of: a, shape: shape), sb = try Surface.indices(of: b, shape: shape)
            var strides = [Int](repeating: 1, count: shape.count)
            for k in stride(from: shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * shape[k + 1] }
            func mm(_ i: Int) -> [Double] {
                var r = i
                return (0..<shape.count).map { k in let c = r / strides[k]; r -= c * strides[k]; return Double(c) * spacing[k] }
            }
            let pa = sa.map(mm), pb = sb.map(mm)
            func nearest(_ p: [Double], _ set: [[Double]]) -> Double {
                set.map { q in zip(p, q).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }.min()?.squareRoot() ?? .infinity
            }
            let da = pa.map { nearest($0, pb) }, db = pb.map { nearest($0, pa) }
            let within = da.filter { $0 <= tolerance }.count + db.filter { $0 <= tolerance }.count
            let want = Double(within) / Double(da.count + db.count)
            #expect(abs(s.nsd(tolerance: tolerance) - want) < 1e-12, "shape \(shape) tol \(tolerance)")
            #expect(zip(s.predictionToReference, da).allSatisfy { abs($0 - $1) < 1e-9 })
        }
    }

    @Test func percentileMatchesNumpyLinear() {
        // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8; percentile([0, 1], 95) = 0.95; single value -> itself.
        #expect(abs(SurfaceDistances.percentile([4, 1, 10, 3, 2], 95) - 8.8) < 1e-12)
        #expect(abs(SurfaceDistances.percentile([1, 0], 95) - 0.95) < 1e-12)
        #expect(SurfaceDistances.percentile([2.5], 95) == 2.5)
    }

    @Test func emptyMaskGivesNil() throws {
        let g = try GridGeometry(shape: [4, 4])
        var a = [Bool](repeating: false, count: 16)
        #expect(try SurfaceDistances.compute(prediction: a, reference: a, geometry: g) == nil)
        a[5] = true
        #expect(try SurfaceDistances.compute(prediction: a, reference: [Bool](repeating: false, count: 16), geometry: g) == nil)
        #expect(try SurfaceDistances.compute(prediction: a, reference: a, geometry: g)?.hd95 == 0)
    }
}
