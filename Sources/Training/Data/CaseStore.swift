import Engine

/// One preprocessed case held in memory.
///
/// `image` is `[C, D, H, W]` (normalised intensities; D = 1 for 2D data), `label` `[D, H, W]` class indices as Float.
public struct TrainingCase {
    /// Case id (the image file name, e.g. `spleen_2.nii.gz`); travels with every prediction.
    public let id: String
    public var image: Tensor
    public var label: Tensor?
    /// Per-voxel loss weight `[D, H, W]` (0 = ignore), e.g. low-confidence pseudo-labels; nil = all voxels count.
    public var mask: Tensor?
    /// Class-balanced foreground voxel index for patch oversampling (see `PatchSampler.foregroundIndex`).
    public var foreground: [Int]
    /// Smallest image value (padding value for crops beyond the volume).
    public let minValue: Float

    /// Creates a case, indexing its foreground.
    public init(id: String, image: Tensor, label: Tensor?, mask: Tensor? = nil) {
        precondition(image.rank == 4, "TrainingCase \(id): image must be [C, D, H, W], got \(image.shape)")
        if let l = label { precondition(l.shape == Array(image.shape.dropFirst()), "TrainingCase \(id): label \(l.shape) does not match image \(image.shape)") }
        if let m = mask { precondition(m.shape == Array(image.shape.dropFirst()), "TrainingCase \(id): mask \(m.shape) does not match image \(image.shape)") }
        self.id = id; self.image = image; self.label = label; self.mask = mask
        foreground = label.map { PatchSampler.foregroundIndex($0) } ?? []
        minValue = image.withData { $0.min() ?? 0 }
    }

    /// Spatial shape `[D, H, W]`.
    public var spatialShape: [Int] { Array(image.shape.dropFirst()) }
}

/// The cases of a run by partition (the split's ids, in the split's order).
public final class CaseStore {
    /// Cases whose labels train the model (strategies may append pseudo-labeled cases).
    public var labeled: [TrainingCase]
    /// Cases used without labels.
    public var unlabeled: [TrainingCase]
    /// Model-selection cases.
    public var validation: [TrainingCase]
    /// Held-out evaluation cases.
    public var test: [TrainingCase]
    /// Image channels (modalities).
    public let channels: Int

    public init(labeled: [TrainingCase], unlabeled: [TrainingCase], validation: [TrainingCase], test: [TrainingCase]) {
        self.labeled = labeled; self.unlabeled = unlabeled; self.validation = validation; self.test = test
        channels = (labeled.first ?? unlabeled.first ?? validation.first ?? test.first)?.image.shape[0] ?? 1
    }
}
