import Engine
import Foundation
import NN

/// The trained network of a run as a plain PyTorch state dict (`semiseg export-weights`).
///
/// Checkpoints hold `model.*`, `optim.*` and `strategy.*` tensors; the export keeps the `model.*` ones with the prefix
/// removed, so the names are those of the network's PyTorch reference module (the U-Net: `scripts/reference/nn_reference.py`'s
/// `UNet`, `inc.b.0.weight`, `down.0.b.1.running_mean`, ..., `head.bias`; the zoo: `scripts/reference/zoo_*.py`) and
/// `load_state_dict(strict=True)` accepts the file. Layouts are PyTorch's (conv weights
/// `[out, in, (kD,) kH, kW]`), float32, `num_batches_tracked` int64.
public enum WeightExport {
    /// Which checkpoint of the run.
    public enum Checkpoint: String, Codable, CaseIterable, Sendable {
        /// `checkpoints/best.safetensors` (the selected epoch).
        case best
        /// `checkpoints/last.safetensors` (the final epoch).
        case last
    }

    /// The state dict of `run`'s checkpoint: tensors by name, the names stored as int64, and metadata describing the
    /// network (`network`, `dims`, `model`, `model_options`, `base`, `depth`, `classes`, `in_channels`, `norm`, `upsampling`,
    /// `epoch`) for the loader.
    public static func stateDict(run: URL, checkpoint: Checkpoint) throws
        -> (tensors: [String: Tensor], integerNames: Set<String>, metadata: [String: String]) {
        let url = run.appendingPathComponent("checkpoints/\(checkpoint.rawValue).safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let hint = checkpoint == .best ? " (the run never validated? --checkpoint last exports the final epoch)" : ""
            throw TrainingError("\(url.path): no such checkpoint\(hint)")
        }
        let contents: SafeTensors.Contents
        do { contents = try SafeTensors.read(contentsOf: url) } catch let e as SafeTensors.FormatError {
            throw TrainingError(e.description)
        }
        var tensors: [String: Tensor] = [:], ints = Set<String>()
        for (k, v) in contents.tensors where k.hasPrefix("model.") {
            let name = String(k.dropFirst("model.".count))
            tensors[name] = v
            if contents.dtypes[k] == .i64 { ints.insert(name) }
        }
        guard !tensors.isEmpty else { throw TrainingError("\(url.path): not a SemiSeg checkpoint (no model.* tensors)") }
        var meta: [String: String] = ["format": "pt", "source": url.path]
        if let config = try? TrainConfig.load(run.appendingPathComponent("config.json")) {
            meta["network"] = config.networkName; meta["dims"] = String(config.dims)
            if !config.modelOptions.isEmpty {
                meta["model_options"] = config.modelOptions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
            meta["model"] = config.model; meta["base"] = String(config.base); meta["depth"] = String(config.depth)
            meta["classes"] = String(config.classes); meta["norm"] = config.norm.rawValue; meta["upsampling"] = config.upsampling.rawValue
        }
        if let prep = try? Preprocessing.load(run.appendingPathComponent("preprocessing.json")) {
            meta["in_channels"] = String(prep.channels); meta["classes"] = String(prep.classes)
        }
        if let js = contents.metadata["semiseg_trainer_state"], let obj = try? JSONSerialization.jsonObject(with: Data(js.utf8)) as? [String: Any],
           let e = obj["epochsDone"] as? Int {
            meta["epoch"] = String(e)
        }
        return (tensors, ints, meta)
    }

    /// Writes the state dict of `run`'s checkpoint to `out` (atomically).
    public static func write(run: URL, checkpoint: Checkpoint, to out: URL) throws -> Int {
        let (tensors, ints, meta) = try stateDict(run: run, checkpoint: checkpoint)
        let data = try SafeTensors.encode(tensors, integerNames: ints, metadata: meta)
        do { try writeAtomically(data, to: out) } catch {
            throw TrainingError("\(out.path): cannot write (\(error.localizedDescription))")
        }
        return tensors.count
    }
}
