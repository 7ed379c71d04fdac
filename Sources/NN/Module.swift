import Engine

/// Errors from loading a state dictionary into a module.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    /// Keys the module has but the state dictionary lacks.
    case missingKeys([String])
    /// Keys in the state dictionary that the module does not have.
    case unexpectedKeys([String])
    /// A key whose stored shape differs from the module's tensor.
    case shapeMismatch(key: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingKeys(let k): return "state dict is missing keys: \(k.joined(separator: ", "))"
        case .unexpectedKeys(let k): return "state dict has unexpected keys: \(k.joined(separator: ", "))"
        case .shapeMismatch(let key, let e, let f): return "state dict key \(key): shape \(f) does not match the module's \(e)"
        }
    }
}

/// Base class of every layer and network (MLX style): subclasses register their parameters, buffers and
/// child modules explicitly in `init` and implement `callAsFunction`.
///
/// Names are hierarchical and dot-separated exactly like PyTorch's `state_dict()` keys
/// (`down.0.b.1.running_mean`): a module's own parameters come first, then its buffers, then its children
/// in registration order.
open class Module {
    /// Whether the module is in training mode (dropout active, batch norm uses batch statistics).
    public private(set) var training = true

    private var ownParameters: [(name: String, tensor: Tensor)] = []
    private var ownBuffers: [(name: String, tensor: Tensor, isInteger: Bool)] = []
    private var ownChildren: [(name: String, module: Module)] = []

    /// Creates an empty module in training mode.
    public init() {}

    /// Applies the module. Subclasses override; the base class traps because it has no computation.
    open func callAsFunction(_ x: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)) does not implement callAsFunction")
    }

    // MARK: - Registration

    /// Registers a trainable tensor under `name` (marking it as requiring gradients) and returns it.
    @discardableResult
    public func registerParameter(_ name: String, _ tensor: Tensor) -> Tensor {
        precondition(!name.contains(".") && !name.isEmpty, "registerParameter: invalid name '\(name)'")
        precondition(!hasLocalName(name), "registerParameter: '\(name)' is already registered in \(type(of: self))")
        tensor.requiringGrad()
        ownParameters.append((name, tensor))
        return tensor
    }

    /// Registers a non-trainable state tensor (saved in the state dict) under `name` and returns it.
    ///
    /// `isInteger` marks buffers that PyTorch stores as int64 (`num_batches_tracked`); they are held as Float
    /// here and written as I64 to safetensors.
    @discardableResult
    public func registerBuffer(_ name: String, _ tensor: Tensor, isInteger: Bool = false) -> Tensor {
        precondition(!name.contains(".") && !name.isEmpty, "registerBuffer: invalid name '\(name)'")
        precondition(!hasLocalName(name), "registerBuffer: '\(name)' is already registered in \(type(of: self))")
        ownBuffers.append((name, tensor, isInteger))
        return tensor
    }

    /// Registers a child module under `name` and returns it. The child follows this module's training flag.
    @discardableResult
    public func registerModule<M: Module>(_ name: String, _ module: M) -> M {
        precondition(!name.contains(".") && !name.isEmpty, "registerModule: invalid name '\(name)'")
        precondition(!hasLocalName(name), "registerModule: '\(name)' is already registered in \(type(of: self))")
        module.setTraining(training)
        ownChildren.append((name, module))
        return module
    }

    private func hasLocalName(_ name: String) -> Bool {
        ownParameters.contains { $0.name == name } || ownBuffers.contains { $0.name == name } || ownChildren.contains { $0.name == name }
    }

    // MARK: - Traversal

    /// Direct children with their local names, in registration order.
    public var children: [(name: String, module: Module)] { ownChildren }

    /// This module (name "") and every descendant with its dotted path, pre-order.
    public func namedModules() -> [(name: String, module: Module)] {
        var out: [(String, Module)] = []
        var stack: [(String, Module)] = [("", self)]
        while let (prefix, m) = stack.popLast() {
            out.append((prefix, m))
            for (name, child) in m.ownChildren.reversed() {
                stack.append((prefix.isEmpty ? name : prefix + "." + name, child))
            }
        }
        return out
    }

    /// Every parameter with its dotted name (PyTorch `named_parameters()` order).
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { prefix, m in m.ownParameters.map { (Module.join(prefix, $0.name), $0.tensor) } }
    }

    /// Every buffer with its dotted name (PyTorch `named_buffers()` order).
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { prefix, m in m.ownBuffers.map { (Module.join(prefix, $0.name), $0.tensor) } }
    }

    /// All parameters, in `namedParameters()` order.
    public func parameters() -> [Tensor] { namedParameters().map { $0.tensor } }

    /// Total number of trainable scalars.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.count } }

    /// Parameters and buffers in PyTorch `state_dict()` order (per module: parameters, buffers, then children).
    public func namedStates() -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        func visit(_ m: Module, _ prefix: String) {
            for p in m.ownParameters { out.append((Module.join(prefix, p.name), p.tensor)) }
            for b in m.ownBuffers { out.append((Module.join(prefix, b.name), b.tensor)) }
            for c in m.ownChildren { visit(c.module, Module.join(prefix, c.name)) }
        }
        visit(self, "")
        return out
    }

    /// The state dictionary: name -> tensor for every parameter and buffer. The tensors are the live ones
    /// (not copies); copy them before mutating.
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedStates().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Names of state entries that PyTorch stores as int64 (e.g. BatchNorm's `num_batches_tracked`).
    public func integerStateNames() -> Set<String> {
        var out = Set<String>()
        for (prefix, m) in namedModules() {
            for b in m.ownBuffers where b.isInteger { out.insert(Module.join(prefix, b.name)) }
        }
        return out
    }

    /// Copies values from `stateDict` into this module's parameters and buffers in place (optimizers keep
    /// their references). Strict like PyTorch: any missing, unexpected or shape-mismatched key throws,
    /// naming the keys, and nothing is modified.
    public func load(stateDict: [String: Tensor]) throws {
        let mine = namedStates()
        let names = Set(mine.map { $0.name })
        let missing = mine.map { $0.name }.filter { stateDict[$0] == nil }
        if !missing.isEmpty { throw StateDictError.missingKeys(missing) }
        let unexpected = stateDict.keys.filter { !names.contains($0) }.sorted()
        if !unexpected.isEmpty { throw StateDictError.unexpectedKeys(unexpected) }
        for (name, t) in mine {
            guard let src = stateDict[name] else { continue }
            if src.shape != t.shape { throw StateDictError.shapeMismatch(key: name, expected: t.shape, found: src.shape) }
        }
        for (name, t) in mine {
            guard let src = stateDict[name], src !== t else { continue }
            src.withData { s in t.withMutableData { d in _ = d.update(fromContentsOf: s) } }
        }
    }

    // MARK: - Mode

    /// Sets training mode on this module and all descendants.
    public func setTraining(_ flag: Bool) {
        for (_, m) in namedModules() { m.training = flag }
    }

    /// Switches to training mode (dropout on, batch statistics); returns self for chaining.
    @discardableResult public func train() -> Self { setTraining(true); return self }

    /// Switches to evaluation mode (dropout off, running statistics); returns self for chaining.
    @discardableResult public func eval() -> Self { setTraining(false); return self }

    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }

    static func join(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
}
