import Engine
import Foundation
import NN

/// A network a strategy owns besides the run's model: a Mean Teacher's EMA teacher, or CPS's second student with its
/// own optimizer and learning-rate schedule.
///
/// It is built lazily from the run (`ensure(_:)`: a fresh network from its own seed, or a copy of the run's model),
/// because `load(stateDict:)` comes before `willStartRun` on `--resume` and `semiseg predict` never calls
/// `willStartRun`. Its weights, its optimizer's state and its dropout generators go into the strategy's
/// `stateDict()` under `<name>.model.*`, `<name>.optim.*` and `<name>.dropout.*`, so a resumed run continues
/// bit-identically. A network that was never built (e.g. BCP's teacher during pre-training) saves nothing and stays
/// unbuilt after a resume.
public final class StrategyNetwork {
    /// How the network starts.
    public enum Initialisation: Sendable {
        /// Its own random initialisation from `config.seed &+ seedOffset` (CPS's second network).
        case fresh(seedOffset: UInt64)
        /// A copy of the run's model at the moment it is built (teachers).
        case copyOfModel
    }

    /// Key prefix in the strategy state (e.g. "teacher", "net2").
    public let name: String
    public let initialisation: Initialisation
    /// Whether it has its own optimizer (trained by backpropagation); EMA teachers are not.
    public let trainable: Bool
    /// Learning-rate schedule of its optimizer over the run's optimizer steps; nil = the run's configured schedule.
    public var schedule: LRSchedule?
    /// The network (nil until built).
    public private(set) var network: (any SegmentationNetwork)?
    /// Its optimizer (nil unless `trainable` and built).
    public private(set) var optimizer: (any Optimizer)?
    private var pending: [String: Tensor]?

    public init(name: String, initialisation: Initialisation, trainable: Bool, schedule: LRSchedule? = nil) {
        precondition(!name.isEmpty && !name.contains("."), "StrategyNetwork: name must be non-empty without dots, got '\(name)'")
        self.name = name; self.initialisation = initialisation; self.trainable = trainable; self.schedule = schedule
    }

    /// Whether the network exists (or weights for it were loaded and wait for `ensure`).
    public var isBuilt: Bool { network != nil || pending != nil }

    /// The network, built on first use (and given the weights of a loaded checkpoint, if any).
    @discardableResult
    public func ensure(_ run: RunContext) throws -> any SegmentationNetwork {
        if let n = network { return n }
        let n: any SegmentationNetwork
        switch initialisation {
        case .fresh(let offset): n = run.makeModel(run.config.seed &+ offset)
        case .copyOfModel:
            n = run.makeModel(run.config.seed)
            n.copyState(from: run.model)
        }
        n.setTraining(run.model.training)
        if trainable {
            optimizer = run.config.makeOptimizer(n.namedParameters())
            if schedule == nil { schedule = run.config.makeSchedule() }
        }
        network = n
        if let state = pending {
            pending = nil
            try restore(state, into: n)
        }
        return n
    }

    /// Rebuilds the network now as a copy of the run's model (BCP: the teacher starts from the pre-trained student).
    public func reset(copying model: any SegmentationNetwork, _ run: RunContext) throws {
        network = nil; pending = nil; optimizer = nil
        let n = try ensure(run)
        n.copyState(from: model)
    }

    /// Clears the gradients of its parameters (call before the forward passes whose loss it learns from; the trainer
    /// only clears the run's model).
    public func zeroGrad() { network?.zeroGrad() }

    /// One optimizer step from the gradients the step's `backward()` left in its parameters, at the learning rate of
    /// its schedule for the optimizer step just taken (call from `didFinishStep`). A non-finite gradient skips the
    /// update when the run's `nonFinite` is "skip" and throws otherwise.
    public func step(_ run: RunContext) throws {
        guard trainable, let n = network, let opt = optimizer else { throw TrainingError("\(name): step() on a network that is not trainable or not built") }
        if let bad = n.namedParameters().first(where: { !($0.tensor.grad?.isFinite ?? true) }) {
            if run.config.nonFinite == .skip { run.log("warning: step \(run.globalStep): non-finite gradient in \(name).\(bad.name), its update skipped"); n.zeroGrad(); return }
            throw TrainingError("step \(run.globalStep): gradient of \(name).\(bad.name) is not finite; stopping (last good checkpoint kept)")
        }
        opt.learningRate = (schedule ?? run.config.makeSchedule()).learningRate(at: max(run.globalStep - 1, 0))
        opt.step()
        n.zeroGrad()
    }

    /// network ← decay·network + (1 − decay)·`source` (buffers copied), building it first if needed.
    public func updateEMA(from source: any SegmentationNetwork, decay: Float, _ run: RunContext) throws {
        try ensure(run).updateEMA(from: source, decay: decay)
    }

    /// Sliding-window class probabilities `[K, D, H, W]` of this network in eval mode for `image` `[C, D, H, W]`.
    public func probabilities(_ image: Tensor, _ run: RunContext) throws -> Tensor {
        run.plainProbabilities(image, model: try ensure(run))
    }

    /// This network's prediction for `image` `[C, D, H, W]` (probabilities and their entropy), for a strategy's
    /// `predict` when this network is the one that predicts.
    public func prediction(_ image: Tensor, _ run: RunContext) throws -> Prediction {
        let p = try probabilities(image, run)
        return Prediction(probabilities: p, uncertainty: ["entropy": Prediction.entropy(p)])
    }

    // MARK: - State

    /// Weights, optimizer state and dropout generators under `<name>.` (empty when never built).
    public func stateDict() -> [String: Tensor] {
        guard let n = network else { return pending ?? [:] }
        var out: [String: Tensor] = [:]
        for (k, v) in n.stateDict() { out["\(name).model.\(k)"] = v }
        if let o = optimizer { for (k, v) in o.stateDict() { out["\(name).optim.\(k)"] = v } }
        for (path, m) in n.namedModules() {
            if let d = m as? Dropout { out["\(name).dropout.\(path)"] = StrategyNetwork.encode(d.rng) }
        }
        return out
    }

    /// Restores `stateDict()` from a strategy state that may hold other entries too (only `<name>.*` keys are read).
    /// Before the network is built the entries are kept until `ensure`.
    public func load(stateDict: [String: Tensor]) throws {
        let mine = stateDict.filter { $0.key.hasPrefix(name + ".") }
        guard !mine.isEmpty else { network = nil; optimizer = nil; pending = nil; return }
        if let n = network { try restore(mine, into: n) } else { pending = mine.mapValues { $0.copy() } }
    }

    private func restore(_ state: [String: Tensor], into n: any SegmentationNetwork) throws {
        func part(_ p: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: state.compactMap { k, v in k.hasPrefix(p) ? (String(k.dropFirst(p.count)), v) : nil })
        }
        do { try n.load(stateDict: part("\(name).model.")) } catch {
            throw TrainingError("\(name): weights in the checkpoint do not fit the network: \(error)")
        }
        if let o = optimizer {
            do { try o.load(stateDict: part("\(name).optim.")) } catch { throw TrainingError("\(name): optimizer state in the checkpoint does not fit: \(error)") }
        }
        let rngs = part("\(name).dropout.")
        for (path, m) in n.namedModules() {
            if let d = m as? Dropout, let t = rngs[path] { d.rng = try StrategyNetwork.decode(t, key: "\(name).dropout.\(path)") }
        }
    }

    /// An RNG's four 64-bit words as 16 exactly representable 16-bit chunks.
    static func encode(_ rng: RNG) -> Tensor {
        Tensor(rng.stateWords.flatMap { w in (0..<4).map { Float((w >> (16 * UInt64($0))) & 0xFFFF) } }, shape: [16])
    }

    static func decode(_ t: Tensor, key: String) throws -> RNG {
        let v = t.scalars
        guard v.count == 16 else { throw TrainingError("\(key): a generator state needs 16 values, got \(v.count)") }
        let words = (0..<4).map { i in (0..<4).reduce(UInt64(0)) { $0 | (UInt64(v[i * 4 + $1]) << (16 * UInt64($1))) } }
        return try JSONDecoder().decode(RNG.self, from: Data("[\(words.map(String.init).joined(separator: ","))]".utf8))
    }
}
