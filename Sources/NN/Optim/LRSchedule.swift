import Foundation

/// Learning-rate schedules evaluated at an integer step (an iteration or an epoch, as the trainer decides),
/// matching PyTorch's schedulers.
public struct LRSchedule: Sendable, Codable, Equatable {
    /// The decay rule after warm-up.
    public enum Kind: Sendable, Codable, Equatable {
        /// `base` forever.
        case constant
        /// nnU-Net's poly: `base·(1 − min(t, T)/T)^power` (`PolynomialLR`).
        case poly(totalSteps: Int, power: Float)
        /// `base·gamma^⌊t/every⌋` (`StepLR`).
        case step(every: Int, gamma: Float)
        /// SGDR (`CosineAnnealingWarmRestarts`): cosine from `base` to `etaMin` over cycles of length t0, t0·tMult, ...
        case cosineRestarts(t0: Int, tMult: Int, etaMin: Float)
    }

    /// Peak learning rate.
    public var base: Float
    /// Decay rule.
    public var kind: Kind
    /// Linear warm-up steps: step t < W gets `base·(t+1)/W`; the rule then runs on t − W.
    public var warmupSteps: Int

    /// Creates a schedule.
    public init(base: Float, kind: Kind = .constant, warmupSteps: Int = 0) {
        self.base = base
        self.kind = kind
        self.warmupSteps = warmupSteps
    }

    /// nnU-Net's default poly schedule with power 0.9.
    public static func poly(base: Float, totalSteps: Int, power: Float = 0.9, warmupSteps: Int = 0) -> LRSchedule {
        LRSchedule(base: base, kind: .poly(totalSteps: totalSteps, power: power), warmupSteps: warmupSteps)
    }

    /// The learning rate at step `t` (0-based).
    public func learningRate(at t: Int) -> Float {
        precondition(t >= 0, "LRSchedule: negative step \(t)")
        if t < warmupSteps { return base * Float(t + 1) / Float(warmupSteps) }
        let s = t - warmupSteps
        let b = Double(base)
        switch kind {
        case .constant:
            return base
        case .poly(let total, let power):
            precondition(total > 0, "LRSchedule.poly: totalSteps must be positive")
            return Float(b * Foundation.pow(1 - Double(min(s, total)) / Double(total), Double(power)))
        case .step(let every, let gamma):
            precondition(every > 0, "LRSchedule.step: every must be positive")
            return Float(b * Foundation.pow(Double(gamma), Double(s / every)))
        case .cosineRestarts(let t0, let tMult, let etaMin):
            precondition(t0 > 0 && tMult >= 1, "LRSchedule.cosineRestarts: need t0 > 0 and tMult >= 1")
            var tCur = s, tI = t0
            if tMult == 1 {
                tCur = s % t0
            } else {
                while tCur >= tI { tCur -= tI; tI *= tMult }
            }
            let e = Double(etaMin)
            return Float(e + (b - e) * (1 + Foundation.cos(Double.pi * Double(tCur) / Double(tI))) / 2)
        }
    }
}
