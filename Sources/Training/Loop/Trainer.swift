import Engine
import Evaluation
import Foundation
import NN

/// What a finished run reports.
public struct RunResult: Sendable {
    /// Best validation foreground Dice and its epoch (nil without validation cases).
    public let bestValidationDice: Double?
    public let bestEpoch: Int?
    /// Epochs completed, and training seconds summed over every recorded epoch (a resumed run counts the epochs of its
    /// earlier invocations too).
    public let epochs: Int
    public let seconds: Double
}

/// The training loop: batches, losses, strategy hooks, validation, checkpoints and `metrics.csv`.
///
/// Deterministic for a given seed on one machine: model init, data order, augmentation, dropout and strategy
/// randomness each come from a seeded generator whose state is checkpointed, so `resume` continues exactly.
public final class Trainer {
    public let config: TrainConfig
    public let strategy: any Strategy
    public let run: RunContext
    private let batcher: Batcher
    var dataRNG: RNG
    /// Draws the unlabeled batches, apart from `dataRNG` (labeled batches and their augmentation), so every strategy
    /// of a seed trains on the same labeled batches as `supervised`: a comparison within a seed is paired in its data
    /// order, and a strategy's difference to supervised is not a different draw of labeled batches (issue #20).
    var unlabeledRNG: RNG
    var log = MetricsLog()
    var bestMetric: Double?
    var bestEpoch: Int?
    /// `--select`: EMA / best / last validation Dice (CheckpointSelection.swift).
    var selection: CheckpointSelection
    var epochsDone = 0
    var stopped = false
    private let schedule: LRSchedule
    /// Log one line per optimizer step (`step N (epoch E/T, I/K)  loss L`), for progress on long epochs.
    public var logSteps = false
    /// Checkpoints kept: `last` plus `keepCheckpoints - 1` older ones (`CheckpointFiles`); `--keep-checkpoints`.
    public var keepCheckpoints = CheckpointFiles.defaultKeep
    /// Set by a mid-epoch resume, consumed by the next epoch; and the position of the file now at `last`.
    var epochProgress: EpochProgress?
    var lastCheckpointPosition: CheckpointPosition?
    /// `RUN/tensorboard/` event files (always written by `train`); set its `classNames` for `val/dice/<name>` tags.
    public let tensorBoard = TensorBoardLogger()
    /// Further observers of training (progress pictures), called after the TensorBoard logger.
    public var observers: [any TrainingObserver] = []
    private var allObservers: [any TrainingObserver] { [tensorBoard as any TrainingObserver] + observers }

    /// Builds model, optimizer and context from a config checked where it entered (`ValidatedConfig`; not checked
    /// again here). `data` must hold the split's cases (see `DatasetLoader`).
    public init(validated: ValidatedConfig, strategy: any Strategy, data: CaseStore, split: DataSplit, runDirectory: URL,
                forInference: Bool = false, log: @escaping (String) -> Void = { print($0) }) throws {
        let config = validated.config
        guard !data.labeled.isEmpty || forInference else { throw TrainingError("no labeled cases to train on") }
        if strategy.wantsUnlabeledBatch && data.unlabeled.isEmpty && !forInference {
            log("note: strategy '\(type(of: strategy).name)' uses unlabeled data but the split has none; it will use labeled images without their labels")
        }
        self.config = config
        self.strategy = strategy
        selection = CheckpointSelection(mode: config.select)
        var spec = config.networkSpec(inChannels: data.channels)
        strategy.configure(model: &spec)
        let netSpec = spec
        let specProblems = NetworkRegistry.problems(netSpec)
        guard specProblems.isEmpty else { throw ConfigError(problems: specProblems) }
        let model = TrainConfig.makeNetwork(netSpec, seed: config.seed)
        let optimizer = config.makeOptimizer(model.namedParameters())
        schedule = config.makeSchedule()
        if config.patch == nil && config.dims == 2 {
            // Whole images whose size is not divisible by 2^depth are padded (DivisorPadding); a 2D model still needs slices.
            for c in data.labeled + data.unlabeled + data.validation where c.spatialShape[0] != 1 {
                throw TrainingError("case \(c.id): a 2D model on 3D volumes needs a patch [1, H, W] (slices)")
            }
        }
        batcher = Batcher(config: config, augmenter: try Augmenter(config.augmentationConfig),
                          sampler: config.patch.map { PatchSampler(patch: $0, foregroundProbability: config.foregroundOversampling) })
        dataRNG = RNG(seed: config.seed ^ 0xDA7A_0000_0000)
        unlabeledRNG = Trainer.unlabeledGenerator(seed: config.seed)
        run = RunContext(config: config, model: model, optimizer: optimizer, makeModel: { TrainConfig.makeNetwork(netSpec, seed: $0) },
                         split: split, data: data, runDirectory: runDirectory,
                         rng: RNG(seed: config.seed ^ 0x57A7_0000_0000), log: log)
    }

    /// For a caller holding a plain `TrainConfig` (tests, plugins, notebooks): checks it (`ValidatedConfig`) first.
    /// - Throws: `ConfigError` with every problem of `config.problems()`, then as `init(validated:)`.
    public convenience init(config: TrainConfig, strategy: any Strategy, data: CaseStore, split: DataSplit, runDirectory: URL,
                            forInference: Bool = false, log: @escaping (String) -> Void = { print($0) }) throws {
        try self.init(validated: ValidatedConfig(config), strategy: strategy, data: data, split: split, runDirectory: runDirectory,
                      forInference: forInference, log: log)
    }

    var checkpointDir: URL { run.runDirectory.appendingPathComponent("checkpoints") }

    /// Trains to `config.epochs` (continuing from `checkpoints/last.safetensors` when `resume`), validating every
    /// `validateEvery` epochs and keeping `last` and `best` checkpoints.
    ///
    /// - Parameter preflight: called once before the first step (after the strategy's `willStartRun`, so its state
    ///   exists) with the byte size of one checkpoint; throw from it to refuse the run (e.g. not enough disk space).
    public func train(resume: Bool = false, preflight: ((Int64) throws -> Void)? = nil) throws -> RunResult {
        let start = Date()
        let fm = FileManager.default
        try fm.createDirectory(at: checkpointDir, withIntermediateDirectories: true)
        // Temporary files of a killed writer (never under a final name) are removed.
        AtomicFile.removeStaleTemporaries(in: checkpointDir)
        if resume { try restoreNewestIntactCheckpoint() } else { checkpointFiles.removeOlder() }
        try strategy.willStartRun(run)
        if epochsDone == 0, let note = CheckpointSelection.note(mode: config.select, validationCases: run.data.validation.count) { run.log(note) }
        try preflight?(checkpointBytes())
        for o in allObservers { try o.trainingWillStart(run, epochsDone: epochsDone) }
        try Interrupt.deferringSignals {
            while epochsDone < config.epochs && !stopped {
                try trainEpoch()
                try stopIfInterruptedAtEpochEnd()
            }
        }
        // Training time of every recorded epoch, including those of interrupted invocations (not the work they lost).
        let seconds = log.rows.isEmpty ? Date().timeIntervalSince(start) : log.rows.map(\.seconds).reduce(0, +)
        return RunResult(bestValidationDice: bestMetric, bestEpoch: bestEpoch, epochs: epochsDone, seconds: seconds)
    }

    /// The unlabeled batches' generator of a run with `seed`.
    static func unlabeledGenerator(seed: UInt64) -> RNG { RNG(seed: seed ^ 0x0B1A_0000_0000) }

    private func trainEpoch() throws {
        let t0 = Date()
        let epoch = epochsDone
        run.epoch = epoch
        run.resetEpochValues()
        try strategy.willStartEpoch(run)
        run.model.train()
        var p = takeEpochProgress()  // a mid-epoch resume continues at p.iteration with the epoch's sums
        let unlabeledPool = run.data.unlabeled.isEmpty ? run.data.labeled : run.data.unlabeled
        for it in p.iteration..<config.iterationsPerEpoch {
            p.iteration = it
            try stopIfInterrupted(p, since: t0)
            let lr = schedule.learningRate(at: run.globalStep)
            run.optimizer.learningRate = lr
            let (x, y, mask) = batcher.labeledBatch(run.data.labeled, rng: &dataRNG)
            let u = strategy.wantsUnlabeledBatch ? batcher.unlabeledBatch(unlabeledPool, rng: &unlabeledRNG) : nil
            // The student's forward runs lazily (on first use of step.logits), over x alone or x and u together
            // (StudentForward, docs/ARCHITECTURE.md §4).
            let step = try StepContext.training(labeled: x, targets: y, mask: mask, unlabeled: u, strategy: strategy, model: run.model, run: run)
            let sup = try strategy.supervisedLoss(step)
                ?? deepSupervisedLoss(step.logits, step.auxiliaryLogits, step.labeledTargets, mask: step.labeledMask)
            var total = sup
            if let extra = try strategy.additionalLoss(step) { total = total + extra }
            let lossValue = Double(total.item)
            if !lossValue.isFinite {
                if config.nonFinite == .skip { run.log("warning: epoch \(epoch + 1) step \(it + 1): non-finite loss, step skipped"); run.globalStep += 1; continue }
                throw TrainingError("epoch \(epoch + 1) step \(it + 1): loss is \(lossValue); stopping (last good checkpoint kept at checkpoints/last.safetensors)")
            }
            run.model.zeroGrad()
            total.backward()
            if let bad = run.model.namedParameters().first(where: { !($0.tensor.grad?.isFinite ?? true) }) {
                if config.nonFinite == .skip { run.log("warning: epoch \(epoch + 1) step \(it + 1): non-finite gradient in \(bad.name), step skipped"); run.globalStep += 1; continue }
                throw TrainingError("epoch \(epoch + 1) step \(it + 1): gradient of \(bad.name) is not finite; stopping (last good checkpoint kept)")
            }
            run.optimizer.step()
            run.globalStep += 1
            try strategy.didFinishStep(run, step)
            p.lossSum += lossValue; p.supervisedSum += Double(sup.item); p.counted += 1
            if logSteps {
                run.log(String(format: "step %d (epoch %d/%d, %d/%d)  loss %.4f", run.globalStep, epoch + 1, config.epochs,
                               it + 1, config.iterationsPerEpoch, lossValue))
            }
        }
        // Validation.
        var validation: ValidationResult? = nil
        if !run.data.validation.isEmpty && ((epoch + 1) % config.validateEvery == 0 || epoch + 1 == config.epochs) {
            validation = try validateDetailed()
        }
        let valDice = validation?.dice
        run.validationHistory.append(valDice)
        epochsDone = epoch + 1
        let seconds = p.seconds + Date().timeIntervalSince(t0)
        let improved = !run.data.validation.isEmpty && selection.update(validationDice: valDice)
        if improved { bestMetric = valDice ?? bestMetric; bestEpoch = epochsDone }
        log.rows.append(.init(epoch: epochsDone, loss: p.lossSum / Double(max(p.counted, 1)), supervised: p.supervisedSum / Double(max(p.counted, 1)),
                              lr: Double(run.optimizer.learningRate), validationDice: valDice, validationLoss: validation?.loss,
                              seconds: seconds, extra: run.epochValues, validationDiceEMA: valDice == nil ? nil : selection.ema))
        // Observers (TensorBoard, pictures) before the checkpoint: a kill in between redoes the epoch, and the resume
        // drops what they logged for it (`TrainingObserver.trainingWillStart`).
        let history = log.epochMetrics()
        if let current = history.last {
            for o in allObservers { try o.epochDidEnd(run, epoch: current, history: history, validation: validation) }
        }
        let control = try strategy.didFinishEpoch(run)
        if case .stop = control { stopped = true }
        // Checkpoints after the strategy's epoch hook, so its state (snapshots) is included. `best` is written BEFORE
        // `last`: a kill between the two then resumes from the previous `last` and redoes this epoch (rewriting `best`),
        // whereas the other order would resume past an epoch whose `best` was never written.
        let state = trainerState()
        if improved || (run.data.validation.isEmpty && epochsDone == config.epochs) {
            try Checkpoint.save(to: checkpointDir.appendingPathComponent("best.safetensors"), model: run.model, optimizer: run.optimizer, strategy: strategy, state: state)
        }
        try saveLast(state)
        // metrics.csv is rewritten whole from the checkpointed log, so a resumed run has no duplicated or missing rows.
        try writeAtomically(Data(log.csv().utf8), to: run.runDirectory.appendingPathComponent("metrics.csv"))
        let extras = run.epochValues.sorted { $0.key < $1.key }.map { " \($0.key) \(String(format: "%.4f", $0.value))" }.joined()
        let meanEpoch = log.rows.suffix(5).map(\.seconds).reduce(0, +) / Double(min(log.rows.count, 5))
        let eta = meanEpoch * Double(config.epochs - epochsDone)
        run.log(String(format: "epoch %d/%d  loss %.4f  lr %.2e", epochsDone, config.epochs, log.rows.last?.loss ?? 0, Double(run.optimizer.learningRate))
                + (valDice.map { String(format: "  val dice %.4f", $0) } ?? "") + (validation?.loss.map { String(format: "  val loss %.4f", $0) } ?? "") + extras + String(format: "  %.1fs", seconds)
                + (epochsDone < config.epochs ? "  ETA \(Trainer.clock(eta))" : "") + (improved ? "  *best*" : ""))
    }

    /// Byte size of one checkpoint of the current state: 4 bytes per model, optimizer and strategy value, plus 64 KiB
    /// for the safetensors header and trainer-state metadata.
    func checkpointBytes() -> Int64 {
        let values = [run.model.stateDict(), run.optimizer.stateDict(), strategy.stateDict()]
            .flatMap { $0.values }.reduce(0) { $0 + $1.count }
        return Int64(values) * 4 + 65_536
    }

    /// `h:mm:ss` or `m:ss`.
    static func clock(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// The configured supervised loss on logits `[B, K, *sp]` and targets `[B, *sp]`; `mask` (0 = ignore a voxel) applies
    /// to ce, dice and dice-ce. Top-K CE ranks all voxels (strategies that mask voxels reject it).
    func defaultLoss(_ logits: Tensor, _ y: Tensor, mask: Tensor?) -> Tensor {
        config.supervisedLoss(logits, y, mask: mask)
    }

    /// The default loss with deep supervision: the mean of `defaultLoss` over the main and the auxiliary logits
    /// (UNet++'s average over its heads, Zhou 2018); the main loss alone when the network has no auxiliary outputs.
    func deepSupervisedLoss(_ logits: Tensor, _ auxiliary: [Tensor], _ y: Tensor, mask: Tensor?) -> Tensor {
        guard !auxiliary.isEmpty else { return defaultLoss(logits, y, mask: mask) }
        let total = auxiliary.reduce(defaultLoss(logits, y, mask: mask)) { $0 + defaultLoss($1, y, mask: mask) }
        return total * (1 / Float(auxiliary.count + 1))
    }

    /// Mean foreground Dice over the validation cases (strategy inference when it overrides `predict`).
    public func validate() throws -> Double? { try validateDetailed()?.dice }
}

extension Trainer {
    /// Loads `checkpoints/best.safetensors` (or `last` when there is no best, or when the strategy's
    /// `evaluatesLastCheckpoint` is true) into the model and strategy.
    public func loadBest() throws {
        let dir = run.runDirectory.appendingPathComponent("checkpoints")
        var url = dir.appendingPathComponent(strategy.evaluatesLastCheckpoint ? "last.safetensors" : "best.safetensors")
        if !FileManager.default.fileExists(atPath: url.path) { url = dir.appendingPathComponent("last.safetensors") }
        guard FileManager.default.fileExists(atPath: url.path) else { throw TrainingError("\(dir.path): no checkpoint to load") }
        try Checkpoint.load(from: url, model: run.model, optimizer: nil, strategy: strategy)
    }

    /// The strategy's prediction for one image `[C, D, H, W]`, or the plain sliding-window prediction.
    public func predict(_ image: Tensor) throws -> Prediction {
        if let p = try strategy.predict(image, run) { return p }
        let probs = run.plainProbabilities(image)
        return Prediction(probabilities: probs, uncertainty: ["entropy": Prediction.entropy(probs)])
    }
}
