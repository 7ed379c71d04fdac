import Engine

/// A weak and a strong view of the same batch (FixMatch, UniMatch): the weak view is a random flip / small affine
/// warp of each sample; the strong view is the same warped image with strong intensity perturbations (brightness,
/// contrast, gamma, blur, noise) and, with probability `cutOutProbability`, a CutOut box. Both views share the
/// geometry, so a per-voxel prediction or pseudo-label of the weak view is the target of the strong view voxel for
/// voxel; `grids` move any map of the un-augmented images (labels, probabilities) into the views' frame.
public struct ViewAugmentation: Sendable {
    /// The weak view's transforms (spatial: flips, small rotation/scale). Intensity fields are ignored.
    public var weak: AugmentationConfig
    /// The strong view's extra intensity transforms, applied on top of the weak view. Spatial fields are ignored.
    public var strong: AugmentationConfig
    /// Probability of a CutOut box per sample, its volume fraction range and in-plane aspect ratio bound.
    public var cutOutProbability: Double
    public var cutOutArea: ClosedRange<Double>
    public var cutOutAspect: Double

    public init(weak: AugmentationConfig, strong: AugmentationConfig, cutOutProbability: Double = 0.5,
                cutOutArea: ClosedRange<Double> = 0.02...0.4, cutOutAspect: Double = 0.3) throws {
        var p = weak.problems().map { "weak view: \($0)" } + strong.problems().map { "strong view: \($0)" }
        if !(0...1).contains(cutOutProbability) { p.append("cut-out probability must be in [0, 1], got \(cutOutProbability)") }
        if !(cutOutArea.lowerBound > 0 && cutOutArea.upperBound <= 1) { p.append("cut-out area must be within (0, 1], got \(cutOutArea)") }
        if !(cutOutAspect > 0 && cutOutAspect <= 1) { p.append("cut-out aspect must be in (0, 1], got \(cutOutAspect)") }
        guard p.isEmpty else { throw ConfigError(problems: p) }
        var w = weak, s = strong
        // Each view keeps only its own kind of transform.
        w.gammaProbability = 0; w.brightnessProbability = 0; w.contrastProbability = 0; w.noiseProbability = 0; w.blurProbability = 0
        s.flipProbability = 0; s.rotationProbability = 0; s.translationProbability = 0; s.shearProbability = 0
        s.scaleProbability = 0; s.elasticProbability = 0
        self.weak = w; self.strong = s
        self.cutOutProbability = cutOutProbability; self.cutOutArea = cutOutArea; self.cutOutAspect = cutOutAspect
    }

    /// Weak: flips (p 0.5 per axis), rotation ±20° (p 0.5), scale 0.9–1.1 (p 0.5), UniMatch's medical recipe.
    /// Strong: brightness and contrast 0.5–1.5 (p 0.8, ColorJitter's 0.5), gamma 0.7–1.5 (p 0.5), Gaussian blur
    /// sigma 0.1–2 voxels (p 0.5), noise std ≤ 0.1 (p 0.5); CutOut p 0.5 with area 0.02–0.4, aspect 0.3.
    public static var standard: ViewAugmentation {
        var w = AugmentationConfig()
        w.flipProbability = 0.5
        w.rotationProbability = 0.5; w.rotationDegrees = 20
        w.scaleProbability = 0.5; w.scaleRange = [0.9, 1.1]
        var s = AugmentationConfig()
        s.brightnessProbability = 0.8; s.brightnessRange = [0.5, 1.5]
        s.contrastProbability = 0.8; s.contrastRange = [0.5, 1.5]
        s.gammaProbability = 0.5; s.gammaRange = [0.7, 1.5]
        s.blurProbability = 0.5; s.blurSigmaRange = [0.1, 2]
        s.noiseProbability = 0.5; s.noiseStd = 0.1
        // Values above are valid by construction.
        return try! ViewAugmentation(weak: w, strong: s)
    }

    /// The two views of an un-augmented model-layout batch (`[B, C, H, W]` or `[B, C, D, H, W]`); every random draw
    /// comes from `rng` (a strategy passes `run.rng` so resumed runs repeat it).
    public func views(of batch: Tensor, rng: inout RNG) -> BatchViews {
        let weakAug = try! Augmenter(weak), strongAug = try! Augmenter(strong)   // validated in init
        var weakViews: [Tensor] = [], strongViews: [Tensor] = [], grids: [SamplingGrid] = [], boxes: [MixBox?] = []
        for sample in BatchSamples.split(batch) {
            let w = weakAug(image: sample, label: nil, rng: &rng)
            let spatial = Array(sample.shape.suffix(3))
            var s = strongAug(image: w.image, label: nil, rng: &rng).image
            var box: MixBox? = nil
            if Double(rng.uniform()) < cutOutProbability {
                let b = MixBox.random(spatial: spatial, areaFraction: cutOutArea, aspect: cutOutAspect, rng: &rng)
                s = Mixing.cutOut(s.reshaped([1] + s.shape), region: b.map(spatial: spatial).reshaped([1] + spatial)).reshaped(s.shape)
                box = b
            }
            weakViews.append(w.image); strongViews.append(s); grids.append(w.grid); boxes.append(box)
        }
        return BatchViews(weak: BatchSamples.stack(weakViews, like: batch.shape), strong: BatchSamples.stack(strongViews, like: batch.shape),
                          grids: grids, cutOut: boxes)
    }
}

/// The weak and strong views of one batch (model layout, same shape as the source batch) and how they were made.
public struct BatchViews {
    /// Weakly augmented images (flips, small affine).
    public let weak: Tensor
    /// Strongly augmented images: the weak images plus intensity perturbations and CutOut; same geometry as `weak`.
    public let strong: Tensor
    /// Per sample, the warp from the source image into the views' frame (`grid.apply(map)` moves a `[K, D, H, W]`
    /// map of the source image; identity when no spatial transform fired).
    public let grids: [SamplingGrid]
    /// Per sample, the CutOut box of the strong view (nil when none was cut).
    public let cutOut: [MixBox?]

    /// Moves per-sample maps of the source images into the views' frame: `maps` in model layout `[B, K, *spatial]`
    /// (probabilities: `.linear`) or `[B, *spatial]` (labels: `.nearest`); voxels sampled from outside the image take
    /// the border value.
    public func warp(_ maps: Tensor, interpolation: WarpInterpolation) -> Tensor {
        let perClass = maps.rank == (weak.rank)
        let samples = perClass ? BatchSamples.split(maps) : BatchSamples.splitMaps(maps).map { $0.reshaped([1] + $0.shape) }
        let moved = zip(samples, grids).map { m, g in g.isIdentity() ? m : g.apply(m, interpolation: interpolation, padding: .border) }
        return BatchSamples.stack(moved, like: maps.shape)
    }
}
