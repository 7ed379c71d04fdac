// Surface distances between two binary masks: HD95, ASSD, NSD (medpy / MONAI conventions).

import Foundation

/// Directed surface distances between a prediction and a reference mask, in mm.
///
/// Surfaces are extracted with `Surface` (medpy's border rule); each distance is the exact Euclidean
/// distance, using the voxel spacing, from a surface voxel of one mask to the nearest surface voxel of the
/// other, computed with `DistanceTransform` on the bounding box of both surfaces (exact because every
/// seed and every query lies inside that box).
public struct SurfaceDistances: Sendable {
    /// For each prediction-surface voxel (ascending flat index), the distance in mm to the reference surface.
    public let predictionToReference: [Double]
    /// For each reference-surface voxel (ascending flat index), the distance in mm to the prediction surface.
    public let referenceToPrediction: [Double]

    /// Computes both directed distance sets; `nil` when either mask has no foreground voxel
    /// (medpy raises there; SemiSeg reports the metrics as undefined).
    ///
    /// - Parameters:
    ///   - prediction, reference: flat row-major masks over `geometry.shape`.
    ///   - geometry: shape `[H, W]` / `[D, H, W]` and spacing in mm in the same order.
    public static func compute(prediction: [Bool], reference: [Bool], geometry: GridGeometry) throws -> SurfaceDistances? {
        let sp = try Surface.indices(of: prediction, shape: geometry.shape)
        let sr = try Surface.indices(of: reference, shape: geometry.shape)
        guard reference.count == prediction.count else {
            throw EvaluationError.sizeMismatch(expected: prediction.count, got: reference.count, what: "reference mask")
        }
        guard !sp.isEmpty, !sr.isEmpty else { return nil }
        // Bounding box of both surfaces.
        let shape = geometry.shape
        let rank = shape.count
        var lo = shape.map { _ in Int.max }, hi = shape.map { _ in Int.min }
        var strides = [Int](repeating: 1, count: rank)
        for a in stride(from: rank - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        for list in [sp, sr] {
            for i in list {
                var r = i
                for a in 0..<rank {
                    let c = r / strides[a]; r -= c * strides[a]
                    if c < lo[a] { lo[a] = c }
                    if c > hi[a] { hi[a] = c }
                }
            }
        }
        let box = (0..<rank).map { hi[$0] - lo[$0] + 1 }
        var boxStrides = [Int](repeating: 1, count: rank)
        for a in stride(from: rank - 2, through: 0, by: -1) { boxStrides[a] = boxStrides[a + 1] * box[a + 1] }
        func local(_ i: Int) -> Int {
            var r = i, out = 0
            for a in 0..<rank {
                let c = r / strides[a]; r -= c * strides[a]
                out += (c - lo[a]) * boxStrides[a]
            }
            return out
        }
        let lp = sp.map(local), lr = sr.map(local)
        let count = box.reduce(1, *)
        func distances(from seeds: [Int], at queries: [Int]) -> [Double] {
            var f = [Double](repeating: .infinity, count: count)
            for s in seeds { f[s] = 0 }
            f.withUnsafeMutableBufferPointer { DistanceTransform.transform($0, shape: box, spacing: geometry.spacing) }
            return queries.map { f[$0].squareRoot() }
        }
        return SurfaceDistances(predictionToReference: distances(from: lr, at: lp),
                                referenceToPrediction: distances(from: lp, at: lr))
    }

    /// Stores precomputed directed distances (mm).
    public init(predictionToReference: [Double], referenceToPrediction: [Double]) {
        self.predictionToReference = predictionToReference
        self.referenceToPrediction = referenceToPrediction
    }

    /// 95th percentile (numpy linear interpolation) of the union of both directed distance sets, in mm:
    /// `medpy.metric.binary.hd95`.
    public var hd95: Double { Self.percentile(predictionToReference + referenceToPrediction, 95) }

    /// Hausdorff distance (maximum of both directed sets), in mm: `medpy.metric.binary.hd`.
    public var hausdorff: Double { max(predictionToReference.max() ?? 0, referenceToPrediction.max() ?? 0) }

    /// Average symmetric surface distance in mm as the mean of the two directed average surface distances,
    /// `(asd(pred, ref) + asd(ref, pred)) / 2`: medpy <= 0.4 `assd`, used by the SSL4MIS line of papers.
    public var assd: Double { (Self.mean(predictionToReference) + Self.mean(referenceToPrediction)) / 2 }

    /// Mean over the pooled distances of both directions, in mm: medpy 0.5 `assd`
    /// (differs from `assd` when the two surfaces have different voxel counts).
    public var assdPooled: Double {
        (predictionToReference.reduce(0, +) + referenceToPrediction.reduce(0, +))
            / Double(predictionToReference.count + referenceToPrediction.count)
    }

    /// Normalised surface Dice at `tolerance` mm: the fraction of surface voxels of both masks whose distance
    /// to the other surface is `<= tolerance` (MONAI `compute_surface_dice` without sub-voxel surfels; the
    /// DeepMind surface-distance version weights by surfel area instead of counting voxels).
    public func nsd(tolerance: Double) -> Double {
        let a = predictionToReference.reduce(0) { $0 + ($1 <= tolerance ? 1 : 0) }
        let b = referenceToPrediction.reduce(0) { $0 + ($1 <= tolerance ? 1 : 0) }
        return Double(a + b) / Double(predictionToReference.count + referenceToPrediction.count)
    }

    /// numpy `percentile(values, q)` with the default linear method; `values` must be non-empty.
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let a = values.sorted()
        guard a.count > 1 else { return a.first ?? .nan }
        let h = q / 100 * Double(a.count - 1)
        let i = min(Int(h.rounded(.down)), a.count - 2)
        let t = h - Double(i)
        let x = a[i], y = a[i + 1], d = y - x
        return t >= 0.5 ? y - d * (1 - t) : x + d * t  // numpy `_lerp`
    }

    private static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
}
