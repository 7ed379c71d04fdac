import Engine

/// Stochastic gradient descent with PyTorch's exact rule (`torch.optim.SGD`):
/// d = g + wd·p; with momentum, b = d on the first step, else b = μ·b + (1−dampening)·d, and
/// d = d + μ·b (Nesterov) or d = b; then p ← p − lr·d.
public final class SGD: Optimizer {
    /// Momentum buffer per parameter (nil until the first step, as in PyTorch).
    public struct State: OptimizerState {
        /// The momentum buffer `b`, same shape as the parameter.
        public var momentumBuffer: Tensor?
        public init(like parameter: Tensor) { momentumBuffer = nil }
        public var tensors: [String: Tensor] { momentumBuffer.map { ["momentum_buffer": $0] } ?? [:] }
        public mutating func restore(_ tensors: [String: Tensor], parameter: Tensor, key: String) throws {
            momentumBuffer = tensors["momentum_buffer"] == nil ? nil : try restoredField(tensors, "momentum_buffer", like: parameter, key: key)
        }
    }

    public var learningRate: Float
    /// Momentum μ, dampening, and L2 weight decay.
    public let momentum: Float, dampening: Float, weightDecay: Float
    /// Nesterov momentum.
    public let nesterov: Bool
    public let parameters: [(name: String, tensor: Tensor)]
    public var states: [State]
    public var stepCount = 0

    /// Creates SGD over named parameters (e.g. `model.namedParameters()`).
    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum > 0 and zero dampening")
        self.parameters = namedParameterList(parameters)
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        states = parameters.map { State(like: $0.tensor) }
    }

    public func update(_ parameter: Tensor, gradient: Tensor, state: inout State) {
        let n = parameter.count
        var d = [Float](repeating: 0, count: n)
        parameter.withData { p in gradient.withData { g in for i in 0..<n { d[i] = g[i] + weightDecay * p[i] } } }
        if momentum != 0 {
            if let buf = state.momentumBuffer {
                buf.withMutableData { b in for i in 0..<n { b[i] = momentum * b[i] + (1 - dampening) * d[i] } }
            } else {
                state.momentumBuffer = Tensor(d, shape: parameter.shape)
            }
            if let buf = state.momentumBuffer {
                buf.withData { b in for i in 0..<n { d[i] = nesterov ? d[i] + momentum * b[i] : b[i] } }
            }
        }
        let lr = learningRate
        parameter.withMutableData { p in for i in 0..<n { p[i] -= lr * d[i] } }
    }
}
