import ArgumentParser
import Experiments
import Foundation
import Training

/// Flags shared by `train` and `compare`; each maps onto a `TrainConfig` field (a `--config` file gives the base).
struct RunOptions: ParsableArguments {
    /// The defaults the help shows: those of a config with no key set.
    static let D = TrainConfig(data: "", out: "")
    @Option(help: "Experiment config, JSON or YAML (.yaml/.yml; keys as in TrainConfig); flags given here override it.") var config: String?
    @Option(help: "MSD dataset folder (with dataset.json).") var data: String?
    @Option(help: "Output run folder.") var out: String?
    @Option(help: "Strategy name (see `semiseg strategies`; default \(RunOptions.D.strategy)).") var strategy: String?
    @Option(name: .customLong("opt"), help: "Strategy option key=value (repeatable).") var opts: [String] = []
    @Option(help: "Labeled training cases (default \(RunOptions.D.labeled)).") var labeled: Int?
    @Option(help: "Validation cases (default \(RunOptions.D.validation)).") var validation: Int?
    @Option(name: .customLong("test-count"), help: "Test cases held out when the dataset has no labelsTs (default \(RunOptions.D.testCount)).") var testCount: Int?
    @Option(help: "Reuse a split file (RUN/split.json).") var split: String?
    @Option(help: "Network (see `semiseg models`: unet, vnet, ...; unet2d/unet3d = unet at that rank) (default \(RunOptions.D.model): unet2d for 2D data or a 1,H,W patch, else unet3d).") var model: String?
    @Option(help: "Rank of the network, 2 or 3 (default: from an alias like unet2d, else from the data).") var dims: Int?
    @Option(name: .customLong("model-opt"), help: "Network option key=value (repeatable; see `semiseg models`).") var modelOpts: [String] = []
    @Option(help: "Base channels (default \(RunOptions.D.base)).") var base: Int?
    @Option(help: "U-Net depth, down-samplings (default \(RunOptions.D.depth)).") var depth: Int?
    @Option(help: "\(NormChoice.choiceList) (default \(RunOptions.D.norm)).", completion: .list(NormChoice.allValueStrings), transform: choice("norm")) var norm: NormChoice?
    @Option(help: "\(UpsamplingChoice.choiceList) (default \(RunOptions.D.upsampling)).", completion: .list(UpsamplingChoice.allValueStrings), transform: choice("upsampling")) var upsampling: UpsamplingChoice?
    @Option(help: "Epochs (default \(RunOptions.D.epochs)).") var epochs: Int?
    @Option(help: "Optimizer steps per epoch (default \(RunOptions.D.iterationsPerEpoch)).") var iterations: Int?
    @Option(name: .customLong("batch-size"), help: "Labeled batch size (default \(RunOptions.D.batchSize)).") var batchSize: Int?
    @Option(help: "Training patch D,H,W (2D: 1,H,W) (default: whole volumes).") var patch: String?
    @Option(help: "Resize every case to D,H,W voxels, e.g. 64,128,128 (default: keep the grid).") var resize: String?
    @Option(help: "Resample to spacing x,y,z in mm (default: keep the spacing).") var spacing: String?
    @Option(help: "\(NormalizationChoice.choiceList) (default \(RunOptions.D.normalization)).", completion: .list(NormalizationChoice.allValueStrings), transform: choice("normalization")) var normalization: NormalizationChoice?
    @Option(name: .customLong("hu-window"), help: "lo,hi HU for --normalization window.") var huWindow: String?
    @Option(help: "\(LossChoice.choiceList) (default \(RunOptions.D.loss)).", completion: .list(LossChoice.allValueStrings), transform: choice("loss")) var loss: LossChoice?
    @Option(help: "\(OptimizerChoice.choiceList) (default \(RunOptions.D.optimizer)).", completion: .list(OptimizerChoice.allValueStrings), transform: choice("optimizer")) var optimizer: OptimizerChoice?
    @Option(help: "Learning rate (default \(RunOptions.D.learningRate)).") var lr: Double?
    @Option(name: .customLong("weight-decay"), help: "Weight decay (default \(RunOptions.D.weightDecay)).") var weightDecay: Double?
    @Option(help: "\(ScheduleChoice.choiceList) (default \(RunOptions.D.schedule)).", completion: .list(ScheduleChoice.allValueStrings), transform: choice("schedule")) var schedule: ScheduleChoice?
    @Option(help: "SGD momentum (default \(RunOptions.D.momentum)).") var momentum: Double?
    @Option(name: .customLong("step-every"), help: "--schedule step: multiply the learning rate by --step-gamma every N epochs (default \(RunOptions.D.stepEvery)).") var stepEvery: Int?
    @Option(name: .customLong("step-gamma"), help: "--schedule step: the factor (default \(RunOptions.D.stepGamma)).") var stepGamma: Double?
    @Option(name: .customLong("cycle-epochs"), help: "--schedule cosine-restarts: cycle length in epochs (default \(RunOptions.D.cycleEpochs)).") var cycleEpochs: Int?
    @Option(help: "Augmentation preset: \(AugmentationPreset.allValueStrings.joined(separator: ", ")) (default \(RunOptions.D.augmentation)).", completion: .list(AugmentationPreset.allValueStrings), transform: choice("augmentation")) var augmentation: AugmentationPreset?
    @Option(name: .customLong("validate-every"), help: "Validate every N epochs (default \(RunOptions.D.validateEvery)).") var validateEvery: Int?
    @Option(name: .customLong("non-finite"), help: "On a NaN/Inf loss or gradient: stop (keep the last good checkpoint) or skip the step (default \(RunOptions.D.nonFinite)).", completion: .list(NonFiniteAction.allValueStrings), transform: choice("nonFinite")) var nonFinite: NonFiniteAction?
    @Option(help: "Random seed (default \(RunOptions.D.seed)).") var seed: UInt64?
    @Option(name: .customLong("split-seed"), help: "Seed of the data split (default: --seed); fix it to train several seeds on one split.") var splitSeed: UInt64?
    @Option(help: "Checkpoint kept as best and evaluated: ema (highest 0.9-EMA of validation Dice), best (highest raw validation Dice) or last (default \(RunOptions.D.select.rawValue)).") var select: CheckpointSelect?
    @Option(help: "Worker threads.") var threads: Int = 2
    @Flag(help: "Only print the final line.") var quiet = false
    @Flag(name: .customLong("log-steps"), help: "Also log one line per optimizer step (step N, epoch, loss).") var logSteps = false

    /// The config: file (if any), then flags, checked once (the one validation of `train`; docs/ARCHITECTURE.md §2).
    /// A problem whose value comes from the `--config` file names the file, as `TrainConfig.load` does.
    func trainConfig() throws -> ValidatedConfig {
        let c = try uncheckedConfig()
        do {
            return try ValidatedConfig(c)
        } catch let e as ConfigError {
            guard let path = config else { throw e }
            // Only on failure: which problems the file's own values have (flags may have fixed or made the others).
            let fromFile = Set((try? TrainConfig.read(URL(fileURLWithPath: path), data: data, out: out).problems()) ?? [])
            throw ConfigError(problems: e.problems.map { fromFile.contains($0) ? "\(path): \($0)" : $0 })
        }
    }

    /// The config: file (if any), then flags, values not checked yet: for `compare`, whose `Comparison.prepare`
    /// checks the shared config with the strategy lists, and for comparing flags to the defaults.
    func uncheckedConfig() throws -> TrainConfig {
        var c: TrainConfig
        if let path = config {
            c = try TrainConfig.read(URL(fileURLWithPath: path), data: data, out: out)
        } else {
            guard let data, let out else { throw CLIError(file: "semiseg", problem: "--data and --out are required (or --config FILE)") }
            c = TrainConfig(data: data, out: out)
        }
        if let data { c.data = data }
        if let out { c.out = out }
        if let strategy { c.strategy = strategy }
        if !opts.isEmpty { c.strategyOptions = try StrategyOptions.parse(opts, owner: c.strategy).values }
        if let labeled { c.labeled = labeled }
        if let validation { c.validation = validation }
        if let testCount { c.testCount = testCount }
        if let split { c.split = split }
        if let model { c.model = model; c.modelDims = nil; c.modelOptions = [:] }
        if let dims { c.modelDims = dims }
        for o in modelOpts {
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else { throw CLIError(file: "--model-opt", problem: "must be key=value, got '\(o)'") }
            c.modelOptions[kv[0]] = kv[1]
        }
        if let base { c.base = base }
        if let depth { c.depth = depth }
        if let norm { c.norm = norm }
        if let upsampling { c.upsampling = upsampling }
        if let epochs { c.epochs = epochs }
        if let iterations { c.iterationsPerEpoch = iterations }
        if let batchSize { c.batchSize = batchSize; c.unlabeledBatchSize = batchSize }
        if let patch { c.patch = try ints(patch, "--patch") }
        if let resize { c.resize = try ints(resize, "--resize") }
        if let spacing { c.spacing = try doubles(spacing, "--spacing") }
        if let normalization { c.normalization = normalization }
        if let huWindow { c.huWindow = try doubles(huWindow, "--hu-window") }
        if let loss { c.loss = loss }
        if let optimizer { c.optimizer = optimizer }
        if let lr { c.learningRate = lr }
        if let weightDecay { c.weightDecay = weightDecay }
        if let schedule { c.schedule = schedule }
        if let momentum { c.momentum = momentum }
        if let stepEvery { c.stepEvery = stepEvery }
        if let stepGamma { c.stepGamma = stepGamma }
        if let cycleEpochs { c.cycleEpochs = cycleEpochs }
        if let augmentation { c.augmentation = augmentation; c.augmentationSettings = nil }
        if let validateEvery { c.validateEvery = validateEvery }
        if let nonFinite { c.nonFinite = nonFinite }
        if let seed { c.seed = seed }
        if let splitSeed { c.splitSeed = splitSeed }
        if let select { c.select = select }
        guard strategyType(named: c.strategy) != nil else {
            throw CLIError(file: "semiseg", problem: "unknown strategy '\(c.strategy)' (known: \(registeredStrategies.map { $0.name }.joined(separator: ", ")))")
        }
        return c
    }

    /// `compare`'s shared config (unchecked: `Comparison.prepare` checks it) and per-strategy options: `--opt` read
    /// as `strategy:key=value`, and a `--config` file's strategy options given to the file's strategy (flags win).
    func compareBase() throws -> (base: TrainConfig, strategyOptions: [String: [String: String]]) {
        var flags = self
        var options = try CompareSettings.parseOptions(opts)
        flags.opts = []
        var base = try flags.uncheckedConfig()
        if !base.strategyOptions.isEmpty { options[base.strategy] = base.strategyOptions.merging(options[base.strategy] ?? [:]) { _, b in b } }
        base.strategyOptions = [:]
        return (base, options)
    }

    private func ints(_ s: String, _ flag: String) throws -> [Int] { try list(s, flag, "integers") { Int($0) } }
    private func doubles(_ s: String, _ flag: String) throws -> [Double] { try list(s, flag, "numbers") { Double($0) } }

    /// A comma-separated list parsed element by element; any bad element is an error naming the flag.
    private func list<T>(_ s: String, _ flag: String, _ what: String, _ parse: (String) -> T?) throws -> [T] {
        let v = s.split(separator: ",").map { parse($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, !v.contains(where: { $0 == nil }) else {
            throw CLIError(file: "semiseg", problem: "\(flag) must be comma-separated \(what), got '\(s)'")
        }
        return v.compactMap { $0 }
    }
}
