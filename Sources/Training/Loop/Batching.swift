import Engine

/// Builds training batches: case choice, patch crop, joint augmentation, stacking to the model layout.
struct Batcher {
    let config: TrainConfig
    let augmenter: Augmenter
    let sampler: PatchSampler?

    /// Stacks `[C, D, H, W]` tensors into `[B, C, D, H, W]`, or `[B, C, H, W]` for 2D models.
    func stackImages(_ xs: [Tensor]) -> Tensor {
        let s = xs[0].shape
        let t = Tensor.concat(xs.map { $0.reshaped([1] + s) }, axis: 0)
        return config.dims == 2 ? t.reshaped([xs.count, s[0], s[2], s[3]]) : t
    }

    /// Stacks `[D, H, W]` maps into `[B, D, H, W]`, or `[B, H, W]` for 2D models.
    func stackMaps(_ xs: [Tensor]) -> Tensor {
        let s = xs[0].shape
        let t = Tensor.concat(xs.map { $0.reshaped([1] + s) }, axis: 0)
        return config.dims == 2 ? t.reshaped([xs.count, s[1], s[2]]) : t
    }

    /// A labeled batch: images, targets and (when any case has one) the loss mask.
    func labeledBatch(_ cases: [TrainingCase], rng: inout RNG) -> (Tensor, Tensor, Tensor?) {
        var xs: [Tensor] = [], ys: [Tensor] = [], ms: [Tensor] = [], pads: [Float] = []
        let anyMask = cases.contains { $0.mask != nil }
        for _ in 0..<config.batchSize {
            let c = cases[rng.int(below: cases.count)]
            guard let label = c.label else { preconditionFailure("labeled case \(c.id) has no label") }
            var img = c.image, lab = label
            var mask = c.mask ?? (anyMask ? Tensor(repeating: 1, shape: c.spatialShape) : nil)
            if let s = sampler {
                let start = s.drawStart(spatialShape: c.spatialShape, foregroundVoxels: c.foreground, rng: &rng)
                img = s.crop(img, start: start, padValue: c.minValue)
                lab = s.crop(lab, start: start, padValue: 0)
                mask = mask.map { s.crop($0, start: start, padValue: 0) }
            }
            let a = augmenter(image: img, label: lab, rng: &rng)
            xs.append(a.image)
            ys.append(a.label ?? lab)
            pads.append(c.minValue)
            if let m = mask { ms.append(a.grid.isIdentity() ? m : a.grid.apply(m.reshaped([1] + m.shape), interpolation: .nearest).reshaped(m.shape)) }
        }
        if sampler == nil {
            // Whole images: pad to the network divisor (and to the batch's largest case); padded voxels are background.
            let target = DivisorPadding.batchShape(ys.map(\.shape), config: config)
            xs = zip(xs, pads).map { DivisorPadding.pad($0, to: target, value: $1) }
            ys = ys.map { DivisorPadding.pad($0, to: target, value: 0) }
            ms = ms.map { DivisorPadding.pad($0, to: target, value: 0) }
        }
        return (stackImages(xs), stackMaps(ys), ms.isEmpty ? nil : stackMaps(ms))
    }

    /// An unlabeled batch (cropped, not augmented), from unlabeled cases or, when there are none, from labeled images.
    func unlabeledBatch(_ cases: [TrainingCase], rng: inout RNG) -> Tensor {
        var xs: [Tensor] = [], pads: [Float] = []
        for _ in 0..<config.unlabeledBatchSize {
            let c = cases[rng.int(below: cases.count)]
            if let s = sampler {
                let start = s.drawStart(spatialShape: c.spatialShape, foregroundVoxels: nil, rng: &rng)
                xs.append(s.crop(c.image, start: start, padValue: c.minValue))
            } else { xs.append(c.image); pads.append(c.minValue) }
        }
        if sampler == nil {
            let target = DivisorPadding.batchShape(xs.map { Array($0.shape.dropFirst()) }, config: config)
            xs = zip(xs, pads).map { DivisorPadding.pad($0, to: target, value: $1) }
        }
        return stackImages(xs)
    }
}
