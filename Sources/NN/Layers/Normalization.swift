import Engine

// MARK: - BatchNorm

/// Batch normalisation over `[N, C, *spatial]` (any spatial rank), like `nn.BatchNorm2d`/`3d`.
///
/// Parameters `weight`, `bias` `[C]`; buffers `running_mean`, `running_var` `[C]` and
/// `num_batches_tracked` `[]` (int64 in PyTorch). In training mode batch statistics are used and the running
/// statistics updated (unbiased variance, `momentum`); in eval mode the running statistics are used.
public final class BatchNorm: Module {
    /// Scale `[C]` (ones) and shift `[C]` (zeros), or nil when not affine.
    public let weight: Tensor?, bias: Tensor?
    /// Running mean and variance `[C]`.
    public let runningMean: Tensor, runningVar: Tensor
    /// Number of training forward passes (a scalar).
    public let numBatchesTracked: Tensor
    /// Running-statistics momentum and variance epsilon.
    public let momentum: Float, eps: Float
    /// Whether training-mode passes update the running statistics and `num_batches_tracked` (default true). Off,
    /// a training-mode pass still normalises with its batch statistics but leaves the buffers alone
    /// (`Module.withFrozenRunningStatistics`).
    public var updatesRunningStatistics = true

    /// Creates a batch norm over `channels` channels.
    public init(_ channels: Int, momentum: Float = 0.1, eps: Float = 1e-5, affine: Bool = true) {
        self.momentum = momentum
        self.eps = eps
        weight = affine ? Tensor(repeating: 1, shape: [channels]) : nil
        bias = affine ? Tensor(zeros: [channels]) : nil
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(repeating: 1, shape: [channels])
        numBatchesTracked = Tensor(zeros: [])
        super.init()
        if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
        registerBuffer("running_mean", runningMean)
        registerBuffer("running_var", runningVar)
        registerBuffer("num_batches_tracked", numBatchesTracked, isInteger: true)
    }

    /// Normalises `x` `[N, C, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, fusedReLU: false) }

    /// Normalises `x`, followed by ReLU in the same op when `fusedReLU` (same values as `ReLU()(self(x))`).
    public func callAsFunction(_ x: Tensor, fusedReLU: Bool) -> Tensor {
        if training && updatesRunningStatistics { numBatchesTracked.withMutableData { $0[0] += 1 } }
        return x.batchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                           training: training, momentum: updatesRunningStatistics ? momentum : 0, eps: eps, fusedReLU: fusedReLU)
    }
}

// MARK: - InstanceNorm

/// Instance normalisation (per sample and channel over the spatial axes), like `nn.InstanceNorm3d(affine: true)`.
///
/// Parameters `weight`, `bias` `[C]` when affine. No running statistics (PyTorch's default), so train and
/// eval behave the same.
public final class InstanceNorm: Module {
    /// Scale and shift `[C]`, or nil when not affine.
    public let weight: Tensor?, bias: Tensor?
    /// Variance epsilon.
    public let eps: Float

    /// Creates an instance norm over `channels` channels.
    public init(_ channels: Int, eps: Float = 1e-5, affine: Bool = true) {
        self.eps = eps
        weight = affine ? Tensor(repeating: 1, shape: [channels]) : nil
        bias = affine ? Tensor(zeros: [channels]) : nil
        super.init()
        if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
    }

    /// Normalises `x` `[N, C, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.instanceNorm(weight: weight, bias: bias, eps: eps) }
}

// MARK: - GroupNorm

/// Group normalisation, like `nn.GroupNorm(groups, channels)`: statistics per sample over each group of
/// `channels/groups` channels and the spatial axes. Parameters `weight`, `bias` `[C]`.
public final class GroupNorm: Module {
    /// Number of channel groups.
    public let groups: Int
    /// Scale and shift `[C]`, or nil when not affine.
    public let weight: Tensor?, bias: Tensor?
    /// Variance epsilon.
    public let eps: Float

    /// Creates a group norm; `channels` must be divisible by `groups`.
    public init(groups: Int, channels: Int, eps: Float = 1e-5, affine: Bool = true) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels not divisible into \(groups) groups")
        self.groups = groups
        self.eps = eps
        weight = affine ? Tensor(repeating: 1, shape: [channels]) : nil
        bias = affine ? Tensor(zeros: [channels]) : nil
        super.init()
        if let weight, let bias { registerParameter("weight", weight); registerParameter("bias", bias) }
    }

    /// Normalises `x` `[N, C, *spatial]`.
    public override func callAsFunction(_ x: Tensor) -> Tensor { x.groupNorm(groups: groups, weight: weight, bias: bias, eps: eps) }
}

extension Module {
    /// Runs `body` with every `BatchNorm` below this module normalising training-mode passes by their batch statistics
    /// without updating the running statistics (restored afterwards). For passes whose batches should not shape the
    /// statistics used at inference, e.g. a semi-supervised student's pass over unlabeled images.
    public func withFrozenRunningStatistics<T>(_ body: () throws -> T) rethrows -> T {
        let norms = namedModules().compactMap { $0.module as? BatchNorm }
        let was = norms.map(\.updatesRunningStatistics)
        for n in norms { n.updatesRunningStatistics = false }
        defer { for (n, w) in zip(norms, was) { n.updatesRunningStatistics = w } }
        return try body()
    }
}
