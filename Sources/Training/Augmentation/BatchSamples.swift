import Engine

/// Splitting a model-layout batch into per-sample volumes and stacking them back (shared by strategies that augment,
/// warp or mix unlabeled batches sample by sample).
///
/// Model layout is `[B, C, H, W]` for 2D models and `[B, C, D, H, W]` for 3D; a sample volume is always
/// `[C, D, H, W]` (D = 1 in 2D), the layout `Augmenter` and `SamplingGrid` work in. Per-voxel maps in model layout
/// are `[B, H, W]` / `[B, D, H, W]`; a sample map is `[D, H, W]`.
public enum BatchSamples {
    /// Spatial shape `[D, H, W]` of a model-layout batch (D = 1 for rank-4 batches).
    public static func spatialShape(_ batch: Tensor) -> [Int] {
        batch.rank == 4 ? [1, batch.shape[2], batch.shape[3]] : Array(batch.shape.suffix(3))
    }

    /// The samples of `batch` as `[C, D, H, W]` tensors (copies, no history).
    public static func split(_ batch: Tensor) -> [Tensor] {
        let b = batch.shape[0], c = batch.shape[1]
        let sp = spatialShape(batch)
        let per = batch.count / max(b, 1)
        let values = batch.scalars
        return (0..<b).map { i in Tensor(Array(values[(i * per)..<((i + 1) * per)]), shape: [c] + sp) }
    }

    /// The per-sample maps of a model-layout map batch `[B, *spatial]` as `[D, H, W]` tensors (D = 1 for `[B, H, W]`).
    public static func splitMaps(_ maps: Tensor) -> [Tensor] {
        let b = maps.shape[0]
        let sp = maps.rank == 3 ? [1, maps.shape[1], maps.shape[2]] : Array(maps.shape.suffix(3))
        let per = maps.count / max(b, 1)
        let values = maps.scalars
        return (0..<b).map { i in Tensor(Array(values[(i * per)..<((i + 1) * per)]), shape: sp) }
    }

    /// Stacks samples (`[C, D, H, W]` volumes or `[D, H, W]` maps) into a tensor of shape `like` (model layout).
    public static func stack(_ samples: [Tensor], like: [Int]) -> Tensor {
        var out: [Float] = []
        out.reserveCapacity(samples.reduce(0) { $0 + $1.count })
        for s in samples { out += s.scalars }
        precondition(out.count == like.reduce(1, *), "BatchSamples.stack: \(out.count) values do not fill shape \(like)")
        return Tensor(out, shape: like)
    }
}
