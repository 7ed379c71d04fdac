import Engine
import Foundation

/// Adam and AdamW with PyTorch's exact formulas (`torch.optim.Adam` / `AdamW`, single-tensor path):
/// m ← m + (1−β1)(g − m); v ← β2·v + (1−β2)·g²; p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε).
/// Adam adds `weightDecay`·p to g (L2); AdamW (`decoupled`) first scales p by (1 − lr·weightDecay).
public final class Adam: Optimizer {
    /// First and second moment estimates per parameter.
    public struct State: OptimizerState {
        /// m (`exp_avg`) and v (`exp_avg_sq`), same shape as the parameter.
        public var expAvg: Tensor, expAvgSq: Tensor
        /// Zero moments.
        public init(like parameter: Tensor) {
            expAvg = Tensor(zeros: parameter.shape)
            expAvgSq = Tensor(zeros: parameter.shape)
        }
        /// `exp_avg` and `exp_avg_sq` (PyTorch's state names).
        public var tensors: [String: Tensor] { ["exp_avg": expAvg, "exp_avg_sq": expAvgSq] }
        /// Restores both moments; both must be present.
        public mutating func restore(_ tensors: [String: Tensor], parameter: Tensor, key: String) throws {
            expAvg = try restoredField(tensors, "exp_avg", like: parameter, key: key)
            expAvgSq = try restoredField(tensors, "exp_avg_sq", like: parameter, key: key)
        }
    }

    /// Learning rate.
    public var learningRate: Float
    /// β1, β2, ε and weight decay.
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// AdamW's decoupled weight decay instead of L2.
    public let decoupled: Bool
    /// The optimised parameters with their names.
    public let parameters: [(name: String, tensor: Tensor)]
    /// One moment state per parameter.
    public var states: [State]
    /// Steps taken (t in the bias corrections).
    public var stepCount = 0

    /// Creates Adam (or AdamW when `decoupled`) over named parameters.
    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false) {
        self.parameters = namedParameterList(parameters)
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        states = parameters.map { State(like: $0.tensor) }
    }

    /// AdamW: Adam with decoupled weight decay (PyTorch default weight decay 0.01).
    public static func adamW(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float = 1e-3, beta1: Float = 0.9,
                             beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
        Adam(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, decoupled: true)
    }

    /// The Adam/AdamW rule for one parameter.
    public func update(_ parameter: Tensor, gradient: Tensor, state: inout State) {
        let n = parameter.count
        let t = Double(stepCount)
        let lr = learningRate, wd = weightDecay, b1 = beta1, b2 = beta2, eps = eps, decoupled = decoupled
        let stepSize = Float(Double(lr) / (1 - Foundation.pow(Double(b1), t)))
        let bc2Sqrt = Float((1 - Foundation.pow(Double(b2), t)).squareRoot())
        let w1 = 1 - b1
        parameter.withMutableData { p in
            gradient.withData { g in
                state.expAvg.withMutableData { m in
                    state.expAvgSq.withMutableData { v in
                        // Elementwise, so splitting the range across threads changes no value (bit-exact for any count).
                        guard let pp = p.baseAddress, let gp = g.baseAddress, let mp = m.baseAddress, let vp = v.baseAddress else { return }
                        let k = AdamKernel(lr: lr, weightDecay: wd, beta1: b1, beta2: b2, eps: eps, decoupled: decoupled,
                                           stepSize: stepSize, bc2Sqrt: bc2Sqrt)
                        Parallel.forEachChunk(n, minPerChunk: 32768) { range in
                            k.update(p: pp, g: gp, m: mp, v: vp, range)
                        }
                    }
                }
            }
        }
    }
}
