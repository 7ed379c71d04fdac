import Engine
import NN

extension TrainConfig {
    /// The configured optimizer (`optimizer`, `learningRate`, `weightDecay`, `momentum`) over `parameters`: the run's
    /// network, or a strategy's extra network (`StrategyNetwork`).
    public func makeOptimizer(_ parameters: [(name: String, tensor: Tensor)]) -> any Optimizer {
        let lr = Float(learningRate), wd = Float(weightDecay)
        switch optimizer {
        case .sgd: return SGD(parameters, learningRate: lr, momentum: Float(momentum), weightDecay: wd, nesterov: true)
        case .sgdMomentum: return SGD(parameters, learningRate: lr, momentum: Float(momentum), weightDecay: wd, nesterov: false)
        case .adamw: return Adam.adamW(parameters, learningRate: lr, weightDecay: wd)
        case .adam: return Adam(parameters, learningRate: lr, weightDecay: wd)
        }
    }

    /// The configured learning-rate schedule over the run's `epochs × iterationsPerEpoch` optimizer steps.
    public func makeSchedule() -> LRSchedule {
        let lr = Float(learningRate)
        switch schedule {
        case .poly: return .poly(base: lr, totalSteps: epochs * iterationsPerEpoch)
        case .step: return LRSchedule(base: lr, kind: .step(every: stepEvery * iterationsPerEpoch, gamma: Float(stepGamma)))
        case .cosineRestarts: return LRSchedule(base: lr, kind: .cosineRestarts(t0: cycleEpochs * iterationsPerEpoch, tMult: 1, etaMin: lr * 1e-2))
        case .constant: return LRSchedule(base: lr)
        }
    }

    /// The configured supervised loss (`loss`, `LossChoice`) on logits `[B, K, *spatial]` and targets
    /// `[B, *spatial]` (class indices); `mask` (0 = ignore a voxel) applies to every loss whose `acceptsVoxelMask`. Top-K CE ranks all
    /// voxels (strategies that mask voxels reject it). The trainer's default labeled loss, and a strategy's for its
    /// extra networks.
    public func supervisedLoss(_ logits: Tensor, _ targets: Tensor, mask: Tensor? = nil) -> Tensor {
        switch loss {
        case .dice: return Losses.softDice(logits, targets, includeBackground: false, mask: mask)
        case .diceWithBackground: return Losses.softDice(logits, targets, includeBackground: true, mask: mask)
        case .diceCE: return Losses.diceCrossEntropy(logits, targets, mask: mask)
        case .topK10: return Losses.topKCrossEntropy(logits, targets, percent: 10)
        case .ce: return Losses.crossEntropy(logits, targets, mask: mask)
        }
    }
}
