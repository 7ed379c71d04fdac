import Engine

/// Padding to the network's divisor (nnU-Net style): a U-Net of depth `d` needs every model axis divisible by 2^d
/// (`TrainConfig.inputDivisor`, the network's `SegmentationNetwork.inputDivisor`).
/// Whole images that are not are padded at the end of each axis (image with its background = minimum value, label
/// with background 0) for training batches, validation and sliding windows; predictions are cropped back to the input
/// size, so `--resize` and `--patch` stay optional.
///
/// Shapes are spatial `[D, H, W]` in voxels; 2D models (`dims` 2) leave `D` alone (slices).
public enum DivisorPadding {
    /// The smallest shape >= `shape` whose model axes are multiples of `divisor`.
    public static func paddedShape(_ shape: [Int], divisor: Int, dims: Int) -> [Int] {
        precondition(shape.count == 3 && divisor >= 1, "DivisorPadding: shape must be [D, H, W], got \(shape)")
        return shape.enumerated().map { i, n in (dims == 2 && i == 0) ? n : (n + divisor - 1) / divisor * divisor }
    }

    /// `t` (`[D, H, W]` or `[C, D, H, W]`) padded at the end of each spatial axis up to `spatial` with `value`
    /// (unchanged when it already has that size).
    public static func pad(_ t: Tensor, to spatial: [Int], value: Float) -> Tensor {
        let size = Array(t.shape.suffix(3))
        let after = zip(size, spatial).map { max($1 - $0, 0) }
        if after.allSatisfy({ $0 == 0 }) { return t }
        return t.padded(after.map { (0, $0) }, value: value)
    }

    /// The sliding-window patch for `image` `[C, D, H, W]` under `config`: the training patch, or, for runs trained on
    /// whole images, the image padded to the divisor (`SlidingWindow` pads with the image minimum and crops back).
    public static func windowPatch(config: TrainConfig, image: Tensor) -> [Int] {
        config.patch ?? paddedShape(Array(image.shape.dropFirst()), divisor: config.inputDivisor, dims: config.dims)
    }

    /// The common padded shape of a batch of whole images: per axis the largest size, rounded up to the divisor.
    static func batchShape(_ shapes: [[Int]], config: TrainConfig) -> [Int] {
        let maxShape = (0..<3).map { a in shapes.map { $0[a] }.max() ?? 1 }
        return paddedShape(maxShape, divisor: config.inputDivisor, dims: config.dims)
    }
}
