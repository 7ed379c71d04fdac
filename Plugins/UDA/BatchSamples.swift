import Engine

/// Splitting a model-layout batch into per-sample volumes and stacking them back.
///
/// Model layout is `[B, C, H, W]` for 2D models and `[B, C, D, H, W]` for 3D; a sample volume is always
/// `[C, D, H, W]` (D = 1 in 2D), the layout `Augmenter` and `SamplingGrid` work in.
enum BatchSamples {
    /// Spatial shape `[D, H, W]` of a model-layout batch (D = 1 for rank-4 batches).
    static func spatialShape(_ batch: Tensor) -> [Int] {
        batch.rank == 4 ? [1, batch.shape[2], batch.shape[3]] : Array(batch.shape.suffix(3))
    }

    /// The samples of `batch` as `[C, D, H, W]` tensors (copies, no history).
    static func split(_ batch: Tensor) -> [Tensor] {
        let b = batch.shape[0], c = batch.shape[1]
        let sp = spatialShape(batch)
        let per = batch.count / max(b, 1)
        let values = batch.scalars
        return (0..<b).map { i in Tensor(Array(values[(i * per)..<((i + 1) * per)]), shape: [c] + sp) }
    }

    /// Stacks `[C, D, H, W]` samples into a batch with the shape `like` (model layout).
    static func stack(_ samples: [Tensor], like: [Int]) -> Tensor {
        var out: [Float] = []
        out.reserveCapacity(samples.reduce(0) { $0 + $1.count })
        for s in samples { out += s.scalars }
        return Tensor(out, shape: like)
    }
}
