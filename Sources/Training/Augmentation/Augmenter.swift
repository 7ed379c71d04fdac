import Engine

/// One augmented training sample: the transformed image and label, and the warp that produced them.
public struct AugmentedSample {
    /// Image `[C, D, H, W]` (D = 1 in 2D).
    public let image: Tensor
    /// Label map `[D, H, W]` of class indices (nil when the sample is unlabeled).
    public let label: Tensor?
    /// The spatial warp applied (identity when no spatial transform fired): apply it to a prediction on the
    /// un-augmented image to map that prediction into this sample's frame (consistency strategies).
    public let grid: SamplingGrid
}

/// Applies an `AugmentationConfig` jointly to an image and its label.
public struct Augmenter: Sendable {
    /// The configuration in use.
    public let config: AugmentationConfig

    /// Validates the configuration; throws one error listing every problem.
    public init(_ config: AugmentationConfig) throws {
        let p = config.problems()
        guard p.isEmpty else { throw ConfigError(problems: p.map { "augmentation: \($0)" }) }
        self.config = config
    }

    /// Augments an image `[C, D, H, W]` and optional label `[D, H, W]`; the same warp moves both
    /// (trilinear for the image, nearest for the label, both clamped at the border so they stay aligned).
    public func callAsFunction(image: Tensor, label: Tensor?, rng: inout RNG) -> AugmentedSample {
        precondition(image.rank == 4, "Augmenter: image must be [C, D, H, W], got \(image.shape)")
        let spatial = Array(image.shape.suffix(3))
        if let l = label { precondition(l.shape == spatial, "Augmenter: label \(l.shape) does not match image \(image.shape)") }
        var grid = SamplingGrid.identity(shape: spatial)
        var img = image, lab = label
        if config.hasSpatial {
            grid = RandomSpatial.draw(config, shape: spatial, rng: &rng)
            img = grid.apply(img, interpolation: .linear, padding: .border)
            if let l = lab { lab = grid.apply(l.reshaped([1] + spatial), interpolation: .nearest, padding: .border).reshaped(spatial) }
        }
        img = IntensityAugment.apply(img, config, spatialShape: spatial, rng: &rng)
        return AugmentedSample(image: img, label: lab, grid: grid)
    }
}

/// A configuration error with every problem found (one per line).
public struct ConfigError: Error, CustomStringConvertible {
    /// Each problem as a sentence.
    public let problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String { problems.joined(separator: "\n") }
}
