import Engine

extension UNet: SegmentationNetwork {
    public var spatialDims: Int { config.dims }
    public var inputChannels: Int { config.inChannels }
    public var classes: Int { config.classes }
    public var inputDivisor: [Int] { [Int](repeating: 1 << config.depth, count: config.dims) }

    /// The U-Net configuration for a registry spec: `base`, `depth`, `norm`, `upsampling` as given; the dropout plan
    /// mapped onto the DoubleConv blocks (encoder block i at depth fraction i/depth, decoder block of stage i at i/depth).
    public static func config(for spec: NetworkSpec) -> UNetConfig {
        let depth = spec.depth
        let enc = (0...depth).map { spec.dropout.probability(at: DropoutSite(.encoder, depthFraction: Double($0) / Double(max(depth, 1)))) }
        let dec = (0..<depth).reversed().map { spec.dropout.probability(at: DropoutSite(.decoder, depthFraction: Double($0) / Double(max(depth, 1)))) }
        return UNetConfig(dims: spec.dims, inChannels: spec.inChannels, classes: spec.classes, baseChannels: spec.base, depth: depth,
                          norm: spec.norm, encoderDropout: enc.allSatisfy { $0 == 0 } ? [] : enc,
                          decoderDropout: dec.allSatisfy { $0 == 0 } ? [] : dec, upsampling: spec.upsampling)
    }

    /// `unet` (aliases `unet2d`, `unet3d`): Ronneberger 2015 / Çiçek 2016 U-Net, (conv3 + norm + ReLU) x2 per stage.
    public static let registryEntry = NetworkEntry(
        name: "unet", summary: "U-Net (Ronneberger 2015, 3D: Çiçek 2016): (conv3+norm+ReLU)x2 stages, max-pool down, concat skips",
        aliases: ["unet2d": 2, "unet3d": 3], paperBase: 64,
        problems: { spec in UNet.config(for: spec).problems },
        divisor: { 1 << $0.depth },
        build: { spec, seed in UNet(UNet.config(for: spec), seed: seed) })
}

extension UNet {
    /// The benchmark networks of docs/ARCHITECTURE.md §9 as registry specs (`unet3d-s8`, `unet2d-s16`).
    public static let benchmarkSpecs: [String: NetworkSpec] = [
        "unet3d-s8": NetworkSpec(name: "unet", dims: 3, base: 8),
        "unet2d-s16": NetworkSpec(name: "unet", dims: 2, base: 16),
    ]
}
