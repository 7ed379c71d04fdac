import Engine

/// Per-parameter optimizer state (momentum buffers, moment estimates) that can be saved and restored.
public protocol OptimizerState {
    /// Fresh state for a parameter (buffers are created lazily or as zeros of the parameter's shape).
    init(like parameter: Tensor)
    /// The state's tensors by field name (absent fields are omitted), for checkpoints.
    var tensors: [String: Tensor] { get }
    /// Restores fields from `tensors` (as produced by `tensors`); throws naming a missing or mis-shaped field.
    mutating func restore(_ tensors: [String: Tensor], parameter: Tensor, key: String) throws
}

/// Errors from restoring optimizer state.
public enum OptimizerError: Error, CustomStringConvertible, Equatable {
    /// A saved state tensor is missing.
    case missing(String)
    /// A saved state tensor has the wrong shape.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// The saved state names parameters this optimizer does not have.
    case unexpected([String])

    public var description: String {
        switch self {
        case .missing(let k): return "optimizer state is missing \(k)"
        case .shapeMismatch(let k, let e, let f): return "optimizer state \(k) has shape \(f), expected \(e)"
        case .unexpected(let k): return "optimizer state has unexpected keys: \(k.joined(separator: ", "))"
        }
    }
}

/// An optimizer in the MLX style: it owns named parameters and one typed `State` per parameter; a concrete
/// optimizer writes only `update(_:gradient:state:)`, the per-parameter rule. `step()`, `zeroGrad()` and
/// state saving come from the protocol extension.
public protocol Optimizer: AnyObject {
    /// Per-parameter state type.
    associatedtype State: OptimizerState
    /// Current learning rate (set it from an `LRSchedule` before each step).
    var learningRate: Float { get set }
    /// The optimised parameters with their names (keys of the saved state).
    var parameters: [(name: String, tensor: Tensor)] { get }
    /// One state per parameter, in `parameters` order.
    var states: [State] { get set }
    /// Number of `step()` calls so far (Adam's bias-correction time step).
    var stepCount: Int { get set }
    /// Updates `parameter` in place from `gradient`; `stepCount` already counts this step.
    func update(_ parameter: Tensor, gradient: Tensor, state: inout State)
}

extension Optimizer {
    /// Applies one update to every parameter that has a gradient (no tape recording).
    public func step() {
        stepCount += 1
        withNoGrad {
            for (i, p) in parameters.enumerated() {
                guard let g = p.tensor.grad else { continue }
                precondition(g.shape == p.tensor.shape, "optimizer: gradient \(g.shape) for parameter \(p.name) \(p.tensor.shape)")
                update(p.tensor, gradient: g, state: &states[i])
            }
        }
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.tensor.zeroGrad() } }

    /// Saved state: `step` (a scalar) and `<parameter name>.<field>` for every state tensor.
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": Tensor(scalar: Float(stepCount))]
        for (p, s) in zip(parameters, states) {
            for (field, t) in s.tensors { out[p.name + "." + field] = t.copy() }
        }
        return out
    }

    /// Restores a state saved by `stateDict()` for the same parameters (exact resume).
    public func load(stateDict: [String: Tensor]) throws {
        guard let step = stateDict["step"] else { throw OptimizerError.missing("step") }
        let names = Set(parameters.map { $0.name })
        let unexpected = stateDict.keys.filter { k in
            guard k != "step", let dot = k.lastIndex(of: ".") else { return k != "step" }
            return !names.contains(String(k[..<dot]))
        }
        if !unexpected.isEmpty { throw OptimizerError.unexpected(unexpected.sorted()) }
        var restored = states
        for (i, p) in parameters.enumerated() {
            var fields: [String: Tensor] = [:]
            for (k, t) in stateDict where k.hasPrefix(p.name + ".") && !k.dropFirst(p.name.count + 1).contains(".") {
                fields[String(k.dropFirst(p.name.count + 1))] = t.copy()
            }
            var s = State(like: p.tensor)
            try s.restore(fields, parameter: p.tensor, key: p.name)
            restored[i] = s
        }
        states = restored
        stepCount = Int(step.item)
    }
}

/// Checks a restored state field's presence and shape.
func restoredField(_ fields: [String: Tensor], _ field: String, like p: Tensor, key: String) throws -> Tensor {
    guard let t = fields[field] else { throw OptimizerError.missing(key + "." + field) }
    guard t.shape == p.shape else { throw OptimizerError.shapeMismatch(key: key + "." + field, expected: p.shape, found: t.shape) }
    return t
}

/// Normalises the parameter list passed to an optimizer.
func namedParameterList(_ parameters: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
    precondition(Set(parameters.map { $0.name }).count == parameters.count, "optimizer: duplicate parameter names")
    return parameters
}
