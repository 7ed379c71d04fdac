/// Which augmentations to apply, each with a probability and a range (Codable for experiment configs).
///
/// Angles in degrees, translations in voxels, elastic `alpha` in voxels and `sigma` in voxels.
/// Spatial transforms act jointly on image and label; intensity transforms on the image only.
public struct AugmentationConfig: Codable, Sendable, Equatable {
    /// Mirror probability per spatial axis.
    public var flipProbability: Double = 0
    /// Rotation: probability and maximum absolute angle (degrees) per rotation plane.
    public var rotationProbability: Double = 0
    public var rotationDegrees: Double = 0
    /// Translation: probability and maximum shift (voxels) per axis.
    public var translationProbability: Double = 0
    public var translationVoxels: Double = 0
    /// Shear: probability and maximum shear angle (degrees) per axis pair.
    public var shearProbability: Double = 0
    public var shearDegrees: Double = 0
    /// Isotropic scaling: probability and range [min, max] (e.g. 0.85...1.25).
    public var scaleProbability: Double = 0
    public var scaleRange: [Double] = [1, 1]
    /// Elastic deformation: probability, displacement magnitude alpha (voxels) and smoothness sigma (voxels).
    public var elasticProbability: Double = 0
    public var elasticAlpha: Double = 0
    public var elasticSigma: Double = 4
    /// Gamma on the [min, max]-rescaled intensities: probability and gamma range.
    public var gammaProbability: Double = 0
    public var gammaRange: [Double] = [1, 1]
    /// Multiplicative brightness: probability and factor range.
    public var brightnessProbability: Double = 0
    public var brightnessRange: [Double] = [1, 1]
    /// Contrast about the mean: probability and factor range (result clipped to the original min/max, like nnU-Net).
    public var contrastProbability: Double = 0
    public var contrastRange: [Double] = [1, 1]
    /// Additive Gaussian noise: probability and maximum standard deviation (in normalised intensity units).
    public var noiseProbability: Double = 0
    public var noiseStd: Double = 0
    /// Gaussian blur: probability and sigma range (voxels).
    public var blurProbability: Double = 0
    public var blurSigmaRange: [Double] = [0.5, 1]

    public init() {}

    /// No augmentation.
    public static let none = AugmentationConfig()

    /// nnU-Net-like defaults: flips, ±15° rotation, 0.85-1.25 scaling, mild elastic, gamma, brightness, contrast, noise, blur.
    public static var standard: AugmentationConfig {
        var c = AugmentationConfig()
        c.flipProbability = 0.5
        c.rotationProbability = 0.2; c.rotationDegrees = 15
        c.scaleProbability = 0.2; c.scaleRange = [0.85, 1.25]
        c.elasticProbability = 0.1; c.elasticAlpha = 4; c.elasticSigma = 6
        c.gammaProbability = 0.3; c.gammaRange = [0.7, 1.5]
        c.brightnessProbability = 0.15; c.brightnessRange = [0.75, 1.25]
        c.contrastProbability = 0.15; c.contrastRange = [0.75, 1.25]
        c.noiseProbability = 0.1; c.noiseStd = 0.1
        c.blurProbability = 0.1; c.blurSigmaRange = [0.5, 1]
        return c
    }

    /// The seed workflow's recipe: rotation ±10°, translation 10 voxels, shear ±10°, always applied.
    public static var seedWorkflow: AugmentationConfig {
        var c = AugmentationConfig()
        c.rotationProbability = 1; c.rotationDegrees = 10
        c.translationProbability = 1; c.translationVoxels = 10
        c.shearProbability = 1; c.shearDegrees = 10
        return c
    }

    /// The settings of a named preset (`TrainConfig.augmentation`).
    public static func preset(_ preset: AugmentationPreset) -> AugmentationConfig {
        switch preset {
        case .none: return AugmentationConfig.none
        case .standard: return .standard
        case .seedWorkflow: return .seedWorkflow
        }
    }

    /// Checks ranges; returns one message per problem (empty when valid).
    public func problems() -> [String] {
        var p: [String] = []
        let probs: [(String, Double)] = [("flipProbability", flipProbability), ("rotationProbability", rotationProbability),
            ("translationProbability", translationProbability), ("shearProbability", shearProbability), ("scaleProbability", scaleProbability),
            ("elasticProbability", elasticProbability), ("gammaProbability", gammaProbability), ("brightnessProbability", brightnessProbability),
            ("contrastProbability", contrastProbability), ("noiseProbability", noiseProbability), ("blurProbability", blurProbability)]
        for (k, v) in probs where !(v >= 0 && v <= 1) { p.append("\(k) must be in [0, 1], got \(v)") }
        let ranges: [(String, [Double])] = [("scaleRange", scaleRange), ("gammaRange", gammaRange), ("brightnessRange", brightnessRange),
                                            ("contrastRange", contrastRange), ("blurSigmaRange", blurSigmaRange)]
        for (k, r) in ranges where !(r.count == 2 && r[0] <= r[1] && r[0] > 0) { p.append("\(k) must be [min, max] with 0 < min <= max, got \(r)") }
        let nonneg: [(String, Double)] = [("rotationDegrees", rotationDegrees), ("translationVoxels", translationVoxels), ("shearDegrees", shearDegrees),
                                          ("elasticAlpha", elasticAlpha), ("noiseStd", noiseStd)]
        for (k, v) in nonneg where !(v >= 0 && v.isFinite) { p.append("\(k) must be >= 0, got \(v)") }
        if !(elasticSigma > 0) { p.append("elasticSigma must be > 0, got \(elasticSigma)") }
        if rotationDegrees > 180 { p.append("rotationDegrees must be <= 180, got \(rotationDegrees)") }
        if shearDegrees >= 60 { p.append("shearDegrees must be < 60, got \(shearDegrees)") }
        return p
    }

    /// Whether any spatial transform can fire.
    public var hasSpatial: Bool {
        flipProbability > 0 || rotationProbability > 0 || translationProbability > 0 || shearProbability > 0 || scaleProbability > 0 || elasticProbability > 0
    }
}
