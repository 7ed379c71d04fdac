import Engine
import Foundation
import NN

/// Everything a strategy may read or change during a run. One instance per run, shared by reference.
///
/// This is a class (not the `inout` struct of the first sketch) because hooks keep references to the
/// model and the data across steps, and a class makes "what is shared" explicit.
public final class RunContext {
    /// The run's configuration.
    public let config: TrainConfig
    /// The network being trained: the registry network `config.model` names, built from `config.networkSpec` after
    /// `Strategy.configure(model:)`. Strategies use it only through `SegmentationNetwork` (any network may be here).
    public let model: any SegmentationNetwork
    /// The optimizer over `model`'s parameters.
    public let optimizer: any Optimizer
    /// Builds a fresh network of the same architecture (teachers, EMA copies), initialised from `seed`.
    public let makeModel: (_ seed: UInt64) -> any SegmentationNetwork
    /// The split in use.
    public let split: DataSplit
    /// In-memory cases by partition. Strategies may add pseudo-labeled cases to `data.labeled`.
    public let data: CaseStore
    /// Output folder of the run.
    public let runDirectory: URL
    /// Current epoch (0-based) and global optimizer step.
    public internal(set) var epoch = 0
    public internal(set) var globalStep = 0
    /// Total optimizer steps of the run (epochs x iterations per epoch).
    public var totalSteps: Int { config.epochs * config.iterationsPerEpoch }
    /// Generator reserved for strategies (augmentations of unlabeled batches, sampling); saved in checkpoints.
    public var rng: RNG
    /// Extra per-epoch values a strategy wants in `metrics.csv` (e.g. "consistency"); averaged over the epoch's steps.
    public internal(set) var epochValues: [String: Double] = [:]
    var epochCounts: [String: Int] = [:]
    /// Validation Dice per epoch so far (nil where not validated).
    public internal(set) var validationHistory: [Double?] = []
    /// Log sink (progress lines).
    public let log: (String) -> Void

    init(config: TrainConfig, model: any SegmentationNetwork, optimizer: any Optimizer, makeModel: @escaping (UInt64) -> any SegmentationNetwork, split: DataSplit,
         data: CaseStore, runDirectory: URL, rng: RNG, log: @escaping (String) -> Void) {
        self.config = config; self.model = model; self.optimizer = optimizer; self.makeModel = makeModel
        self.split = split; self.data = data; self.runDirectory = runDirectory; self.rng = rng; self.log = log
    }

    /// The run's sliding-window predictor for `image` `[C, D, H, W]`: the training patch, or the whole image when the
    /// run trained on whole volumes (padded to the network divisor, see `DivisorPadding`).
    public func window(for image: Tensor) -> SlidingWindow {
        SlidingWindow(patch: DivisorPadding.windowPatch(config: config, image: image), stepFraction: config.windowStep, mirror: config.mirrorTTA)
    }

    /// Progress through the run in [0, 1] (for ramp-ups).
    public var progress: Double { totalSteps > 0 ? Double(globalStep) / Double(totalSteps) : 1 }

    /// Adds a value to this epoch's running mean of `key` (shown in metrics.csv).
    public func record(_ key: String, _ value: Double) {
        let n = epochCounts[key, default: 0]
        epochValues[key] = (epochValues[key, default: 0] * Double(n) + value) / Double(n + 1)
        epochCounts[key] = n + 1
    }

    func resetEpochValues() { epochValues = [:]; epochCounts = [:] }

    /// Plain prediction with the current model in eval mode: class probabilities `[K, D, H, W]` for `image` `[C, D, H, W]`.
    public func plainProbabilities(_ image: Tensor, model net: (any SegmentationNetwork)? = nil) -> Tensor {
        let m = net ?? model
        let wasTraining = m.training
        m.eval()
        defer { m.setTraining(wasTraining) }
        return window(for: image).predict(image, classes: config.classes) { m($0) }
    }
}

/// One optimizer step's data, given to `supervisedLoss`, `additionalLoss` and `didFinishStep`.
public struct StepContext {
    /// Labeled images in the model's layout (`[B, C, H, W]` for 2D models, `[B, C, D, H, W]` for 3D), augmented,
    /// and targets `[B, *spatial]` (class indices as Float).
    public let labeledImages: Tensor
    public let labeledTargets: Tensor
    /// Per-voxel loss mask `[B, *spatial]` (1 = use, 0 = ignore), nil when every voxel counts.
    public let labeledMask: Tensor?
    /// The model's logits on `labeledImages` (with gradient).
    public let logits: Tensor
    /// Unlabeled images in the model's layout (NOT augmented: strategies augment them), nil unless requested.
    public let unlabeledImages: Tensor?
    /// Spatial shape `[D, H, W]` of the batch (D = 1 for 2D).
    public let spatialShape: [Int]
    /// The shared run.
    public let run: RunContext
}
