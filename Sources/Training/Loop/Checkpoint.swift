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
    /// Set in a mid-epoch checkpoint (SIGINT/SIGTERM): how far epoch `epochsDone + 1` got. nil at epoch boundaries.
    var epochProgress: EpochProgress? = nil
    /// Checkpoint selection state (EMA of the validation Dice, selected score); nil in checkpoints written before it.
    var selection: CheckpointSelection? = nil
}

/// Run checkpoints: one safetensors file each (`model.*`, `optim.*`, `strategy.*` tensors + JSON trainer state in
/// the metadata), written atomically to `RUN/checkpoints/{last,best}.safetensors` (older `last`s: `CheckpointFiles`).
///
/// Every checkpoint carries the SHA-256 digest of its bytes (`SafeTensors.encodeWithDigest`, format
/// `semiseg-checkpoint-2`), checked on every load: a file changed after it was written (bit rot, a copy cut short, a
/// tail appended) is rejected as damaged, never read as weights. Checkpoints of format 1 (before digests) load unchecked.
enum Checkpoint {
    static let stateKey = "semiseg_trainer_state"
    static let formatKey = "format"
    static let format = "semiseg-checkpoint-2"
    static let legacyFormat = "semiseg-checkpoint-1"

    static func encode(model: Module, optimizer: any Optimizer, strategy: any Strategy, state: TrainerState) throws -> Data {
        var tensors: [String: Tensor] = [:]
        for (k, v) in model.stateDict() { tensors["model." + k] = v }
        for (k, v) in optimizer.stateDict() { tensors["optim." + k] = v }
        for (k, v) in strategy.stateDict() { tensors["strategy." + k] = v }
        let ints = Set(model.integerStateNames().map { "model." + $0 })
        let json = try JSONEncoder().encode(state)
        let meta = [stateKey: String(decoding: json, as: UTF8.self), formatKey: format]
        return try SafeTensors.encodeWithDigest(tensors, integerNames: ints, metadata: meta)
    }

    static func save(to url: URL, model: Module, optimizer: any Optimizer, strategy: any Strategy, state: TrainerState) throws {
        let data = try encode(model: model, optimizer: optimizer, strategy: strategy, state: state)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeAtomically(data, to: url)
    }

    /// A checkpoint file whose integrity was verified: its tensors and trainer state.
    struct Verified {
        let url: URL
        let contents: SafeTensors.Contents
        let state: TrainerState
    }

    /// Reads `url` and checks its integrity (safetensors structure, digest, trainer state) without applying it.
    /// - Throws: `CheckpointDamaged` naming the file and what is wrong.
    static func verify(_ url: URL) throws -> Verified {
        let data: Data
        do { data = try FileBytes.read(url) } catch {
            throw CheckpointDamaged(url: url, problem: "cannot read file (\(error))")
        }
        let contents: SafeTensors.Contents
        do { contents = try SafeTensors.decode(data, name: url.path) } catch let e as SafeTensors.FormatError {
            throw CheckpointDamaged(url: url, problem: e.problem)
        }
        switch SafeTensors.digestStatus(data, contents: contents) {
        case .verified: break
        case .absent:
            guard contents.metadata[formatKey] == legacyFormat else {
                throw CheckpointDamaged(url: url, problem: "no SHA-256 digest in the metadata (damaged, or not a SemiSeg checkpoint)")
            }
        case .mismatch(let stored, let computed):
            throw CheckpointDamaged(url: url, problem: "SHA-256 digest mismatch (stored \(stored.prefix(12))..., computed "
                                    + "\(computed.prefix(12))...): the file changed after it was written")
        }
        guard let js = contents.metadata[stateKey], let state = try? JSONDecoder().decode(TrainerState.self, from: Data(js.utf8)) else {
            throw CheckpointDamaged(url: url, problem: "not a SemiSeg checkpoint (no trainer state)")
        }
        return Verified(url: url, contents: contents, state: state)
    }

    /// Applies a verified checkpoint to the model (and, when given, optimizer and strategy); returns the trainer state.
    @discardableResult
    static func apply(_ v: Verified, model: Module, optimizer: (any Optimizer)?, strategy: (any Strategy)?) throws -> TrainerState {
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: v.contents.tensors.compactMap { k, t in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), t) : nil })
        }
        do { try model.load(stateDict: part("model.")) } catch { throw TrainingError("\(v.url.path): model weights do not fit this run's network: \(error)") }
        if let o = optimizer { try o.load(stateDict: part("optim.")) }
        if let s = strategy { try s.load(stateDict: part("strategy.")) }
        for (name, m) in model.namedModules() {
            if let d = m as? Dropout, let r = v.state.dropoutRNG[name] { d.rng = r }
        }
        return v.state
    }

    /// Verifies and loads model (and, when given, optimizer and strategy) state; returns the trainer state.
    /// - Throws: `TrainingError` "`<file>`: damaged checkpoint: ..." for a damaged file, or when it does not fit the network.
    @discardableResult
    static func load(from url: URL, model: Module, optimizer: (any Optimizer)?, strategy: (any Strategy)?) throws -> TrainerState {
        let v: Verified
        do { v = try verify(url) } catch let e as CheckpointDamaged { throw TrainingError(e.description) }
        return try apply(v, model: model, optimizer: optimizer, strategy: strategy)
    }

    static func dropoutStates(_ model: Module) -> [String: RNG] {
        var out: [String: RNG] = [:]
        for (name, m) in model.namedModules() { if let d = m as? Dropout { out[name] = d.rng } }
        return out
    }
}

/// A checkpoint file that fails its integrity check (unreadable, not safetensors, digest mismatch, no trainer state).
/// `Checkpoint.load` reports it as the `TrainingError` "`<file>`: damaged checkpoint: `<problem>`".
public struct CheckpointDamaged: Error, CustomStringConvertible {
    public let url: URL
    public let problem: String
    public var description: String { "\(url.path): damaged checkpoint: \(problem)" }
}

/// A training failure with a message naming what went wrong (file, epoch, step).
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
