import Engine
import Foundation
import NN

/// A finished run loaded from disk: its configuration, preprocessing, split and best network.
///
/// Used by `semiseg predict`, offline pseudo-labelling (`--teacher RUN`) and ensembles across runs.
public struct TrainedRun {
    /// The run folder.
    public let directory: URL
    public let config: TrainConfig
    public let preprocessing: Preprocessing
    public let split: DataSplit
    /// The network with the best (or, without validation, the last) checkpoint loaded, in eval mode.
    public let model: any SegmentationNetwork
    /// Best validation foreground Dice recorded in the checkpoint (nil without validation).
    public let validationDice: Double?

    /// Loads `dir/config.json`, `preprocessing.json`, `split.json` and `checkpoints/best.safetensors` (or `last`).
    /// `configure` lets the caller apply its strategy's model changes (e.g. MC dropout) before weights load.
    public static func load(_ dir: URL, configure: (inout NetworkSpec) -> Void = { _ in }) throws -> TrainedRun {
        let fm = FileManager.default
        guard fm.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
            throw TrainingError("\(dir.path): not a SemiSeg run folder (no config.json)")
        }
        let config = try TrainConfig.load(dir.appendingPathComponent("config.json"))
        let prep = try Preprocessing.load(dir.appendingPathComponent("preprocessing.json"))
        let split = try DataSplit.load(dir.appendingPathComponent("split.json"))
        var net = config.networkSpec(inChannels: prep.channels)
        net.classes = prep.classes
        configure(&net)
        let problems = NetworkRegistry.problems(net)
        guard problems.isEmpty else { throw TrainingError("\(dir.appendingPathComponent("config.json").path): \(problems.joined(separator: "; "))") }
        let model = TrainConfig.makeNetwork(net, seed: config.seed)
        var url = dir.appendingPathComponent("checkpoints/best.safetensors")
        if !fm.fileExists(atPath: url.path) { url = dir.appendingPathComponent("checkpoints/last.safetensors") }
        guard fm.fileExists(atPath: url.path) else { throw TrainingError("\(dir.path): no checkpoint in checkpoints/") }
        let state = try Checkpoint.load(from: url, model: model, optimizer: nil, strategy: nil)
        model.eval()
        return TrainedRun(directory: dir, config: config, preprocessing: prep, split: split, model: model, validationDice: state.bestMetric)
    }

    /// Sliding-window class probabilities `[K, D, H, W]` of this run's network for a preprocessed image `[C, D, H, W]`.
    public func probabilities(_ image: Tensor) -> Tensor {
        let window = SlidingWindow(patch: DivisorPadding.windowPatch(config: config, image: image), stepFraction: config.windowStep, mirror: config.mirrorTTA)
        return window.predict(image, classes: preprocessing.classes) { model($0) }
    }
}
