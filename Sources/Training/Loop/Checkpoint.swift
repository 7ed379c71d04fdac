import Engine
import Foundation
import NN

/// Trainer state that is not a tensor, stored as JSON in the checkpoint's safetensors metadata.
struct TrainerState: Codable {
    /// Epochs completed.
    var epochsDone: Int
    var globalStep: Int
    var dataRNG: RNG
    var strategyRNG: RNG
    /// RNG state of every dropout layer, by module path.
    var dropoutRNG: [String: RNG]
    var bestMetric: Double?
    var bestEpoch: Int?
    var log: MetricsLog
    var validationHistory: [Double?]
    var stopped: Bool
    /// Worker threads the run trained with (`Parallel.threads`): parallel reductions split work by thread count, so
    /// only a resume with the same count is bit-identical. nil in checkpoints written before this field existed.
    var threads: Int?
    /// Checkpoint selection state (EMA of the validation Dice, selected score); nil in checkpoints written before it.
    var selection: CheckpointSelection? = nil
}

/// Run checkpoints: one safetensors file each (`model.*`, `optim.*`, `strategy.*` tensors + JSON trainer state in
/// the metadata), written atomically to `RUN/checkpoints/{last,best}.safetensors`.
enum Checkpoint {
    static let stateKey = "semiseg_trainer_state"

    static func save(to url: URL, model: UNet, optimizer: any Optimizer, strategy: any Strategy, state: TrainerState) throws {
        var tensors: [String: Tensor] = [:]
        for (k, v) in model.stateDict() { tensors["model." + k] = v }
        for (k, v) in optimizer.stateDict() { tensors["optim." + k] = v }
        for (k, v) in strategy.stateDict() { tensors["strategy." + k] = v }
        let ints = Set(model.integerStateNames().map { "model." + $0 })
        let json = try JSONEncoder().encode(state)
        let meta = [stateKey: String(decoding: json, as: UTF8.self), "format": "semiseg-checkpoint-1"]
        let data = try SafeTensors.encode(tensors, integerNames: ints, metadata: meta)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeAtomically(data, to: url)
    }

    /// Loads model (and, when given, optimizer and strategy) state; returns the trainer state.
    @discardableResult
    static func load(from url: URL, model: UNet, optimizer: (any Optimizer)?, strategy: (any Strategy)?) throws -> TrainerState {
        let contents = try SafeTensors.read(contentsOf: url)
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: contents.tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
        }
        guard let js = contents.metadata[stateKey], let state = try? JSONDecoder().decode(TrainerState.self, from: Data(js.utf8)) else {
            throw TrainingError("\(url.path): not a SemiSeg checkpoint (no trainer state)")
        }
        do { try model.load(stateDict: part("model.")) } catch { throw TrainingError("\(url.path): model weights do not fit this run's network: \(error)") }
        if let o = optimizer { try o.load(stateDict: part("optim.")) }
        if let s = strategy { try s.load(stateDict: part("strategy.")) }
        for (name, m) in model.namedModules() {
            if let d = m as? Dropout, let r = state.dropoutRNG[name] { d.rng = r }
        }
        return state
    }

    static func dropoutStates(_ model: UNet) -> [String: RNG] {
        var out: [String: RNG] = [:]
        for (name, m) in model.namedModules() { if let d = m as? Dropout { out[name] = d.rng } }
        return out
    }
}

/// A training failure with a message naming what went wrong (file, epoch, step).
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
