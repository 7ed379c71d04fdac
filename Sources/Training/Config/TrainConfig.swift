import Foundation
import NN

/// Everything that defines a training run; the CLI flags and `--config FILE` (JSON or YAML) map onto it 1:1.
///
/// Units: `spacing` in mm (x, y, z); `resize` and `patch` in voxels as `[D, H, W]` (D = slices);
/// `huWindow` in Hounsfield units. Keys in JSON are the property names (snake_case accepted).
public struct TrainConfig: Codable, Sendable, Equatable {
    // MARK: Data
    /// MSD dataset folder (with dataset.json).
    public var data: String
    /// Run output folder.
    public var out: String
    /// Labeled training cases (the rest of training, minus validation/test, is unlabeled).
    public var labeled: Int = 4
    /// Validation cases.
    public var validation: Int = 2
    /// Test cases held out of training when the dataset has no `labelsTs`.
    public var testCount: Int = 4
    /// A saved split to reuse (`RUN/split.json` of another run); overrides the counts.
    public var split: String? = nil
    /// Resize every case to this `[D, H, W]` (trilinear image, nearest label); nil keeps the grid.
    public var resize: [Int]? = nil
    /// Resample to this spacing (mm, x y z) before anything else; nil keeps the spacing.
    public var spacing: [Double]? = nil
    /// Intensity normalisation (`NormalizationChoice`): ct (nnU-Net: clip to foreground 0.5/99.5 percentiles, z-score),
    /// mri (per-image z-score), mri-nonzero (z-score inside the nonzero mask), window (fixed HU window `huWindow` to
    /// [0, 1]), none.
    public var normalization: NormalizationChoice = .ct
    /// HU window [lo, hi] for `normalization = "window"`.
    public var huWindow: [Double]? = nil

    // MARK: Model
    /// A network of `NetworkRegistry` (`semiseg models`: "unet", "vnet", ...), an alias fixing its rank ("unet2d",
    /// "unet3d"), or "auto" (the default network). Without a rank (`modelDims`) the dimensionality follows the dataset
    /// (`ModelDims.resolve`: 2D data -> 2D, 3D volumes -> 3D, or 2D on slices when `patch` is `[1, H, W]`). A run
    /// folder's config.json always holds the resolved name (the alias where one exists, e.g. "unet2d", as earlier
    /// versions wrote) and, for networks without aliases, `modelDims`. An open registry, hence a String (not an enum).
    public var model: String = "auto"
    /// Spatial rank 2 or 3 of `model` (`--dims`); nil = from the alias, else from the data.
    public var modelDims: Int? = nil
    /// Network-specific options (`--model-opt key=value`, e.g. `deep-supervision=true` for unetpp); see `semiseg models`.
    public var modelOptions: [String: String] = [:]
    public var base: Int = 8
    public var depth: Int = 4
    /// Feature normalisation: batch, instance or none.
    public var norm: NormChoice = .batch
    /// Decoder upsampling: nearest-conv or transposed.
    public var upsampling: UpsamplingChoice = .nearestConv
    /// Classes including background; nil = from dataset.json's labels.
    public var classes: Int = 2

    // MARK: Optimisation
    public var strategy: String = "supervised"
    public var strategyOptions: [String: String] = [:]
    public var epochs: Int = 20
    public var iterationsPerEpoch: Int = 20
    public var batchSize: Int = 2
    public var unlabeledBatchSize: Int = 2
    /// Training patch `[D, H, W]`; nil = the whole (resized) volume. 2D models use `[1, H, W]` (slices).
    public var patch: [Int]? = nil
    public var foregroundOversampling: Double = 0.33
    /// The supervised loss (`LossChoice`, one line per choice there); default dice-ce (as nnU-Net: cross-entropy + soft
    /// Dice without background).
    /// Plain CE learns small organs slowly: 3D spleen phantoms, ~120 steps: validation Dice 0.10 (ce) vs 0.57 (dice-ce).
    public var loss: LossChoice = .diceCE
    /// The optimizer (`OptimizerChoice`); `momentum` applies to the SGD choices.
    public var optimizer: OptimizerChoice = .adam
    public var learningRate: Double = 1e-3
    public var weightDecay: Double = 0
    public var momentum: Double = 0.99
    /// constant, poly, step or cosine-restarts.
    public var schedule: ScheduleChoice = .constant
    /// For "step": multiply by `stepGamma` every `stepEvery` epochs. For "cosine-restarts": cycle length in epochs.
    public var stepEvery: Int = 3
    public var stepGamma: Double = 0.9
    public var cycleEpochs: Int = 5
    /// Augmentation preset (none, standard, seed-workflow), or explicit settings in `augmentationSettings`.
    public var augmentation: AugmentationPreset = .standard
    public var augmentationSettings: AugmentationConfig? = nil

    // MARK: Validation, inference, reproducibility
    public var validateEvery: Int = 1
    /// Sliding-window overlap fraction for validation and prediction.
    public var windowStep: Double = 0.5
    public var mirrorTTA: Bool = false
    public var seed: UInt64 = 0
    /// Seed of the data split when it is drawn from the counts (nil = `seed`). Fix it to train several seeds on one
    /// split with `semiseg train` (`compare` always uses one split: `splitSeed`, else its first seed).
    public var splitSeed: UInt64? = nil
    /// Which epoch's weights are kept as `best` and evaluated: `ema` (default, nnU-Net's 0.9 EMA of the validation
    /// Dice), `best` (raw validation Dice) or `last` (see `CheckpointSelect`).
    public var select: CheckpointSelect = .ema
    /// What to do on a NaN/Inf loss or gradient: stop (default, keep the last good checkpoint) or skip the step.
    public var nonFinite: NonFiniteAction = .stop

    public init(data: String, out: String) { self.data = data; self.out = out }

    /// Spatial rank of the model: the alias's, else `modelDims`, else 3 (an unresolved "auto").
    public var dims: Int { NetworkRegistry.lookup(model)?.aliasDims ?? modelDims ?? 3 }

    /// Every problem with the values, one sentence each (empty = valid).
    public func problems() -> [String] {
        var p: [String] = []
        func check(_ ok: Bool, _ m: @autoclosure () -> String) { if !ok { p.append(m()) } }
        p += modelProblems()
        check(base >= 1 && base <= 256, "base must be in 1...256, got \(base)")
        check(depth >= 1 && depth <= 6, "depth must be in 1...6, got \(depth)")
        check(classes >= 2, "classes must be >= 2, got \(classes)")
        check(labeled >= 1, "labeled must be >= 1, got \(labeled)")
        check(validation >= 0 && testCount >= 0, "validation and testCount must be >= 0")
        check(epochs >= 1 && iterationsPerEpoch >= 1, "epochs and iterationsPerEpoch must be >= 1")
        check(batchSize >= 1 && unlabeledBatchSize >= 1, "batch sizes must be >= 1")
        check(learningRate > 0 && learningRate.isFinite, "learningRate must be > 0, got \(learningRate)")
        check(weightDecay >= 0, "weightDecay must be >= 0")
        check(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got \(momentum)")
        check(stepEvery >= 1 && cycleEpochs >= 1 && stepGamma > 0, "stepEvery, cycleEpochs must be >= 1 and stepGamma > 0")
        if normalization == .window { check((huWindow?.count ?? 0) == 2 && (huWindow?[0] ?? 0) < (huWindow?[1] ?? 0), "normalization 'window' needs huWindow [lo, hi] with lo < hi") }
        if let r = resize { check(r.count == 3 && r.allSatisfy { $0 >= 1 }, "resize must be [D, H, W] >= 1, got \(r)") }
        if let s = spacing { check(s.count == 3 && s.allSatisfy { $0 > 0 }, "spacing must be 3 positive mm values, got \(s)") }
        if let pt = patch { check(pt.count == 3 && pt.allSatisfy { $0 >= 1 }, "patch must be [D, H, W] >= 1, got \(pt)") }
        p += patchModelProblems()
        check(foregroundOversampling >= 0 && foregroundOversampling <= 1, "foregroundOversampling must be in [0, 1]")
        check(validateEvery >= 1, "validateEvery must be >= 1")
        check(windowStep > 0 && windowStep <= 1, "windowStep must be in (0, 1]")
        if let a = augmentationSettings { p += a.problems().map { "augmentationSettings: \($0)" } }
        return p
    }

    /// The patch against the network: divisible by its input divisor in every model axis, `[1, H, W]` for a 2D model.
    /// Empty while `model` is "auto" (checked again once resolved: `ValidatedConfig.resolveModel`).
    func patchModelProblems() -> [String] {
        guard let pt = patch, pt.count == 3, model != "auto" else { return [] }
        var p: [String] = []
        let f = inputDivisor
        let sp = dims == 2 ? Array(pt.dropFirst()) : pt
        if !sp.allSatisfy({ $0 % f == 0 }) { p.append("patch \(pt) must be divisible by \(f) (\(divisorReason)) in every model axis") }
        if dims == 2 && pt[0] != 1 { p.append("2D models take patches [1, H, W], got \(pt)") }
        return p
    }

    /// The augmentation actually used.
    public var augmentationConfig: AugmentationConfig { augmentationSettings ?? AugmentationConfig.preset(augmentation) }

    // MARK: JSON

    // `load(_:data:out:)` (JSON or YAML files): TrainConfig+File.swift.

    /// Writes the config as pretty JSON.
    public func save(_ url: URL) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try e.encode(self), to: url)
    }

    static func camel(_ k: String) -> String {
        let parts = k.split(separator: "_")
        guard parts.count > 1 else { return k }
        return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
