import NN

/// A closed choice of `TrainConfig` (docs/ARCHITECTURE.md §5): the String raw values are the spellings in config
/// files, on the command line and in a run folder's `config.json`. Help text and validation messages come from
/// `allCases`; a wrong spelling in a file is a decoding error naming the key, the allowed values and the file.
public protocol ConfigChoice: RawRepresentable, Codable, CaseIterable, Sendable, Hashable, CustomStringConvertible
where RawValue == String {}

extension ConfigChoice {
    public var description: String { rawValue }

    /// The allowed spellings as prose: "a, b or c".
    public static var choiceList: String {
        let v = allCases.map(\.rawValue)
        return v.count < 2 ? v.joined() : v.dropLast().joined(separator: ", ") + " or " + (v.last ?? "")
    }

    /// The problem sentence for a wrong spelling of the setting `key`: "loss must be ce, dice, dice-ce or topk10, got 'x'".
    public static func problem(key: String, got: String) -> String { "\(key) must be \(choiceList), got '\(got)'" }

    /// Decodes a spelling; an unknown one is `DecodingError.dataCorrupted` "must be a, b or c, got 'x'".
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = Self(rawValue: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be \(Self.choiceList), got '\(s)'"))
        }
        self = v
    }
}

/// Intensity normalisation of the images (`TrainConfig.normalization`).
public enum NormalizationChoice: String, ConfigChoice {
    /// nnU-Net CT: clip to the foreground's 0.5/99.5 percentiles, z-score with the foreground statistics.
    case ct
    /// Per-image z-score.
    case mri
    /// Z-score inside the nonzero mask.
    case mriNonzero = "mri-nonzero"
    /// Fixed HU window `huWindow` mapped to [0, 1].
    case window
    case none
}

/// Feature normalisation of the network (`TrainConfig.norm`).
public enum NormChoice: String, ConfigChoice {
    case batch, instance, none

    /// The network's normalisation kind.
    public var kind: NormKind {
        switch self {
        case .batch: return .batch
        case .instance: return .instance
        case .none: return .none
        }
    }
}

/// Decoder upsampling (`TrainConfig.upsampling`).
public enum UpsamplingChoice: String, ConfigChoice {
    /// Nearest-neighbour x2 then a 3-wide convolution.
    case nearestConv = "nearest-conv"
    /// Transposed convolution, kernel 2, stride 2.
    case transposed

    /// The network's upsampling kind.
    public var kind: UpsamplingKind {
        switch self {
        case .nearestConv: return .nearestConv
        case .transposed: return .transposedConv
        }
    }
}

/// The supervised loss (`TrainConfig.loss`; behaviour in `TrainConfig.supervisedLoss`).
public enum LossChoice: String, ConfigChoice {
    /// Cross-entropy.
    case ce
    /// Soft Dice without background.
    case dice
    /// Cross-entropy + soft Dice without background (nnU-Net; the default).
    case diceCE = "dice-ce"
    /// Cross-entropy over the hardest 10 % of voxels.
    case topK10 = "topk10"
    /// Soft Dice over every class, background included (MONAI `DiceLoss`'s default `include_background=True`).
    case diceWithBackground = "dice-bg"

    /// Whether the loss honours a per-voxel mask (0 = ignore), e.g. of low-confidence pseudo-labels; top-K CE ranks
    /// all voxels.
    public var acceptsVoxelMask: Bool {
        switch self {
        case .ce, .dice, .diceCE, .diceWithBackground: return true
        case .topK10: return false
        }
    }
}

/// The optimizer (`TrainConfig.optimizer`; behaviour in `TrainConfig.makeOptimizer`).
public enum OptimizerChoice: String, ConfigChoice {
    case adam, adamw
    /// SGD with Nesterov momentum (nnU-Net).
    case sgd
    /// SGD with classical (heavy-ball) momentum, PyTorch's `optim.SGD(momentum=...)` default as SSL4MIS trains.
    case sgdMomentum = "sgd-momentum"
}

/// The learning-rate schedule (`TrainConfig.schedule`; behaviour in `TrainConfig.makeSchedule`).
public enum ScheduleChoice: String, ConfigChoice {
    case constant, poly, step
    case cosineRestarts = "cosine-restarts"
}

/// An augmentation preset (`TrainConfig.augmentation`; settings in `AugmentationConfig.preset`).
public enum AugmentationPreset: String, ConfigChoice {
    case none, standard
    case seedWorkflow = "seed-workflow"
}

/// What the trainer does on a NaN/Inf loss or gradient (`TrainConfig.nonFinite`).
public enum NonFiniteAction: String, ConfigChoice {
    /// Stop the run, keeping the last good checkpoint (the default).
    case stop
    /// Skip the step and go on.
    case skip
}
