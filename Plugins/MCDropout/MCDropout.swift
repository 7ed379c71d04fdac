import Engine
import NN
import Training

/// Monte-Carlo dropout (Gal & Ghahramani 2016): dropout in the network's encoder and/or decoder blocks, supervised
/// training, and at inference the mean of T stochastic forward passes with uncertainty maps.
///
/// Options (`--opt key=value`):
/// - `p` (0.5, in 0...0.95): dropout probability at the end of every selected block (seed workflow: 0.5); with
///   `where=encoder-ramp` the probability of the deepest encoder block;
/// - `where` (`encoder-ramp`; was `both`): `encoder` (`inc` + `down.*`), `decoder` (`dec.*`), `both`, or
///   `encoder-ramp`: encoder blocks only, rising with depth as p × (0.1, 0.2, 0.4, 0.6, 1.0) from the first block to the
///   bottleneck (interpolated for other depths) — SSL4MIS's U-Net (`networks/unet.py`, `dropout [0.05, 0.1, 0.2,
///   0.3, 0.5]`, no decoder dropout), the MC-dropout network of its UA-MT; p = 0.5 everywhere (`both`) regularises a
///   small U-Net far more than the references do;
/// - `samples` (8, 1...1000; was 10): stochastic passes T per prediction, as UA-MT (`T = 8` in SSL4MIS);
/// - `batch-passes` (`auto`; or 0 = all T, 1...1000): passes sent through the network in one batch. `auto` batches
///   as many passes as keep one forward at most `autoBatchVoxels` (2^20) voxels: all T for 2D slices and small 3D
///   patches (the batch amortises per-op overhead), one pass at a time for a 64x128x128 patch, where a batch of 10
///   measured 1.29x slower than 10 separate passes (`semiseg bench --net unet3d-s8 --mc-samples 10`: 4.02 s vs
///   3.11 s, quiet 2-core machine; the batch's activations, 3.3 GB, cost more memory traffic than the batching saves);
/// - `sample-seed` (0): seed of the dropout masks at inference. Every `predict` call restarts the masks from it,
///   so a case's prediction does not depend on what was predicted before; the training masks are restored after.
///
/// Dropout is element-wise, placed by the network where its `DropoutPlan` asks (`NetworkSpec.dropout`: every network
/// of `semiseg models` maps encoder/decoder sites at their relative depth). At inference the model is in eval mode
/// (BatchNorm uses running statistics) and only the dropout layers are forced active (`Dropout.alwaysActive`).
public final class MCDropout: Strategy {
    public static let name = "mc-dropout"
    public static let summary = "MC dropout: dropout in encoder/decoder blocks, T stochastic passes at inference with entropy/BALD/variance maps"

    /// `semiseg predict --mc-samples T` overrides `samples`.
    public static let predictOptions = [PredictOption(flag: "mc-samples", key: "samples", minimum: 1)]
    /// The default of `samples` (T).
    public static let defaultSamples = 8
    /// BALD and variance over the T passes, and the sum of their foreground masks (MCStatistics).
    public static let uncertaintyMaps = [
        UncertaintyMap(name: "mutual_information", caption: "mutual information", unit: "MI (nats)", scale: .nats),
        UncertaintyMap(name: "variance", caption: "probability variance", unit: "variance", scale: .ownMaximum),
        UncertaintyMap(name: "mc_mask_sum", caption: "sum of T masks", unit: "foreground votes",
                       scale: .sampleCount(option: "samples", default: defaultSamples)),
    ]

    /// Dropout probability and placement.
    public let p: Double
    public let placement: DropoutPlacement
    /// Stochastic passes per prediction, and how many go through the network in one batch.
    public let samples: Int
    /// nil = `auto` (`autoBatchPasses`).
    public let batchPasses: Int?
    /// Voxels of one forward up to which `auto` batches passes (one 64x128x128 patch).
    public static let autoBatchVoxels = 1 << 20
    /// Seed of the inference dropout masks.
    public let sampleSeed: UInt64

    public init(options: StrategyOptions) throws {
        p = options.double("p", default: 0.5, in: 0...0.95)
        let sites = DropoutPlacement.allCases.filter { $0 != .none }
        placement = DropoutPlacement(rawValue: options.choice("where", default: DropoutPlacement.encoderRamp.rawValue,
                                                              from: sites.map(\.rawValue))) ?? .encoderRamp
        samples = options.int("samples", default: Self.defaultSamples, in: 1...1000)
        let bp = options.string("batch-passes", default: "auto") ?? "auto"
        if bp == "auto" {
            batchPasses = nil
        } else if let n = Int(bp), (0...1000).contains(n) {
            batchPasses = n
        } else {
            batchPasses = nil
            options.fail("option 'batch-passes' must be auto or an integer in 0...1000, got '\(bp)'")
        }
        sampleSeed = UInt64(options.int("sample-seed", default: 0, in: 0...Int.max))
        try options.finish()
    }

    /// Asks the network for dropout at the selected sites (`DropoutPlan`; a U-Net puts it at the end of its DoubleConvs).
    public func configure(model: inout NetworkSpec) {
        guard p > 0 else { return }
        model.dropout = DropoutPlan(p: p, placement: placement)
    }

    /// Mean probabilities of `samples` stochastic passes over `image` `[C, D, H, W]` with the run's model and sliding window.
    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? {
        var window = run.window(for: image)
        window.batchSize = 1
        let draws = try MCDropout.sample(image, model: run.model, classes: run.config.classes, window: window,
                                         samples: samples,
                                         batchPasses: batchPasses ?? MCDropout.autoBatchPasses(patch: window.patch, samples: samples),
                                         seed: sampleSeed)
        return MCStatistics.summarize(draws)
    }

    /// Passes per forward for `batch-passes=auto`: as many of the `samples` as keep `passes × Π patch` within
    /// `autoBatchVoxels` (at least 1; `patch` spatial, without channels).
    public static func autoBatchPasses(patch: [Int], samples: Int) -> Int {
        let voxels = max(patch.reduce(1, *), 1)
        return min(max(autoBatchVoxels / voxels, 1), samples)
    }

    /// T sampled probability maps `[K, D, H, W]` of `model` for `image` `[C, D, H, W]`, dropout forced on, BatchNorm in
    /// eval mode. Each sliding-window patch is replicated `batchPasses` times along the batch axis (one forward call
    /// for several passes); the T log-softmax outputs are stacked as `T·K` channels, whose joint softmax is `p_tk / T`.
    /// The model's mode and dropout generators are restored afterwards.
    public static func sample(_ image: Tensor, model: any SegmentationNetwork, classes K: Int, window: SlidingWindow, samples T: Int,
                              batchPasses: Int, seed: UInt64) throws -> [Tensor] {
        guard window.batchSize == 1 else { throw TrainingError("mc-dropout: sampling needs a sliding window with batch size 1") }
        let drops = model.namedModules().compactMap { $0.module as? Dropout }
        let saved = drops.map { ($0.rng, $0.alwaysActive) }
        let wasTraining = model.training
        model.eval()
        for (i, d) in drops.enumerated() {
            d.alwaysActive = true
            d.rng = RNG(seed: seed &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15)
        }
        defer {
            for (d, s) in zip(drops, saved) { d.rng = s.0; d.alwaysActive = s.1 }
            model.setTraining(wasTraining)
        }
        let chunk = batchPasses == 0 ? T : min(batchPasses, T)
        var out: [Tensor] = []
        while out.count < T {
            let t = min(chunk, T - out.count)
            let packed = window.predict(image, classes: t * K) { x in
                let copies = t == 1 ? x : Tensor.concat([Tensor](repeating: x, count: t), axis: 0)
                let lp = model(copies).logSoftmax(axis: 1)               // [t, K, *spatial] (window batch is 1)
                return lp.reshaped([1, t * K] + Array(lp.shape.dropFirst(2)))
            }
            let v = packed.scalars, per = packed.count / t
            let spatial = Array(packed.shape.dropFirst())
            for s in 0..<t {
                out.append(Tensor(v[(s * per)..<((s + 1) * per)].map { $0 * Float(t) }, shape: [K] + spatial))
            }
        }
        return out
    }
}
