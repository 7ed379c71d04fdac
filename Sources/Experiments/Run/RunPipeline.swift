import Engine
import Evaluation
import Foundation
import MedIO
import Training

/// The result of a complete run: training plus evaluation of the best checkpoint on the split's test cases.
public struct RunSummary: Codable, Sendable {
    public var strategy: String
    public var seed: UInt64
    public var bestValidationDice: Double?
    public var bestEpoch: Int?
    public var trainSeconds: Double
    /// Test-set report (docs/ARCHITECTURE.md §7 `evaluate` shape).
    public var test: EvaluationReport?
    /// Expected calibration error (15 bins) and Brier score over all test voxels, on the training grid.
    public var ece: Double?
    public var brier: Double?
    /// Mean over test cases of the mean voxel uncertainty maps the strategy produced, by map name.
    public var uncertaintyMean: [String: Double]
}

/// End-to-end runs: what `semiseg train` and `semiseg compare` execute.
public enum RunPipeline {
    /// Validates the dataset, split, model and data BEFORE creating anything under `config.out`, then trains (or
    /// resumes) and evaluates the best checkpoint on the test cases in their original geometry. Writes `config.json`
    /// (with `model` resolved from the data when "auto", see `ModelDims`), `split.json`, `preprocessing.json`,
    /// `metrics.csv`, `checkpoints/`, `predictions/*.nii.gz` (labels, original geometry),
    /// `predictions/uncertainty/<case>_<map>.nii.gz` (float32 maps and extras), `summary.json` under the run folder.
    ///
    /// Every file is written atomically (`AtomicFile`). Before the first training step the preflight checks that the
    /// folder is writable and that its file system has room for the checkpoints and predictions (`Preflight`). A run
    /// refused before its first step leaves no folder behind when this call created it.
    /// The run folder is locked (`FolderLock`) from before its first write to the end: a second process on the same
    /// folder is refused with `FolderLock.Busy`.
    /// - Parameters:
    ///   - logSteps: also log one line per optimizer step.
    ///   - overwrite: remove what an earlier run left in the folder (`RunFolder.clear`) once everything is validated.
    ///   - keepCheckpoints: `last` plus this many minus one older checkpoints are kept (`--keep-checkpoints`).
    ///   - observers: watchers of training besides the TensorBoard logger (progress pictures).
    ///   - config: checked where it entered (`ValidatedConfig`: the CLI, `Comparison.prepare`); not checked again here.
    public static func run(_ configIn: ValidatedConfig, makeStrategy: (StrategyOptions) throws -> any Strategy,
                           resume: Bool = false, overwrite: Bool = false, logSteps: Bool = false, keepCheckpoints: Int = 2,
                           log: @escaping (String) -> Void = { print($0) },
                           observers: [any TrainingObserver] = []) throws -> RunSummary {
        var validated = configIn
        let strategy = try makeStrategy(StrategyOptions(validated.strategyOptions, owner: validated.strategy))
        let (ds, split) = try DatasetLoader.openAndSplit(validated.config)
        try ModelDims.resolve(&validated, datasetIs2D: try ModelDims.datasetIs2D(ds))
        var config: TrainConfig { validated.config }
        let out = URL(fileURLWithPath: config.out)
        let fm = FileManager.default
        let savedPrep = out.appendingPathComponent("preprocessing.json")
        let prep: Preprocessing? = resume && fm.fileExists(atPath: savedPrep.path) ? try Preprocessing.load(savedPrep) : nil
        if resume, fm.fileExists(atPath: out.appendingPathComponent("split.json").path) {
            let old = try DataSplit.load(out.appendingPathComponent("split.json"))
            guard old == split else { throw TrainingError("\(out.path): --resume with a different split than the run was started with") }
        }
        log("loading \(split.labeled.count) labeled, \(split.unlabeled.count) unlabeled, \(split.validation.count) validation, \(split.test.count) test cases")
        let loaded = try DatasetLoader.load(config, dataset: ds, split: split, preprocessing: prep)
        try validated.setClasses(loaded.preprocessing.classes)
        // The trainer checks the cases against the network (shapes, patch) before the folder exists.
        let trainer = try Trainer(validated: validated, strategy: strategy, data: loaded.store, split: split, runDirectory: out, log: log)
        trainer.logSteps = logSteps
        trainer.keepCheckpoints = keepCheckpoints
        trainer.observers = observers
        trainer.tensorBoard.classNames = Dictionary(loaded.preprocessing.labelNames.compactMap { k, v in Int(k).map { ($0, v) } },
                                                    uniquingKeysWith: { a, _ in a })
        // Preflight: the output folder must be creatable and writable before hours of training.
        let createdHere = !fm.fileExists(atPath: out.path), wasEmpty = RunFolder.state(out) == .absent
        do { try fm.createDirectory(at: out, withIntermediateDirectories: true) } catch {
            throw TrainingError("\(out.path): cannot create the output folder (\(error.localizedDescription))")
        }
        // The lock first (a second process must not even probe the folder), then the write probe; a folder where the
        // lock file cannot be created gets the probe's "not writable" message.
        let lock: FolderLock
        do { lock = try FolderLock.acquire(out, command: resume ? "train --resume" : "train") } catch let e as FolderLock.Busy { throw e } catch {
            try Preflight.checkWritable(out)
            throw error
        }
        defer { lock.release() }
        if let dead = lock.tookOverFrom { log("note: \(out.path): took over the lock of \(dead), which no longer runs") }
        // --overwrite clears the folder only under the lock: a run still writing it makes this one refuse (Busy) above
        // instead of having its files removed under it.
        if overwrite { try RunFolder.clear(out) }
        var started = false
        do {
            try Preflight.checkWritable(out)
            let predDir = out.appendingPathComponent("predictions")
            for d in [out, predDir, predDir.appendingPathComponent("uncertainty")] { AtomicFile.removeStaleTemporaries(in: d) }
            try config.save(out.appendingPathComponent("config.json"))
            try split.save(out.appendingPathComponent("split.json"))
            try loaded.preprocessing.save(savedPrep)

            let testImages = split.test.compactMap { loaded.testSources[$0]?.image }
            let result = try trainer.train(resume: resume) { checkpointBytes in
                let estimate = Preflight.Estimate(checkpointBytes: checkpointBytes, checkpointFiles: max(keepCheckpoints, 1) + 2,
                                                  predictionBytes: Preflight.predictionBytes(testImages: testImages))
                // Files of an interrupted invocation are replaced, not added.
                let existing = Preflight.bytesUsed(under: out.appendingPathComponent("checkpoints")) + Preflight.bytesUsed(under: predDir)
                try Preflight.checkSpace(out, estimate: estimate, alreadyWritten: existing)
                started = true
            }
            log(String(format: "training done in %.1f s; best validation Dice %@ (epoch %@)", result.seconds,
                       result.bestValidationDice.map { String(format: "%.4f", $0) } ?? "n/a", result.bestEpoch.map(String.init) ?? "n/a"))
            var summary = try evaluateTest(trainer: trainer, loaded: loaded, log: log)
            summary.bestValidationDice = result.bestValidationDice
            summary.bestEpoch = result.bestEpoch
            summary.trainSeconds = result.seconds
            let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeAtomically(try e.encode(summary), to: out.appendingPathComponent("summary.json"))
            return summary
        } catch {
            // Refused before the first step (not writable, not enough space, a strategy's willStartRun): nothing stays.
            if !started && !resume {
                if createdHere { try? fm.removeItem(at: out) } else if overwrite || wasEmpty { try? RunFolder.clear(out) }
            }
            throw error
        }
    }

    /// `run` for a caller holding a plain `TrainConfig` (library use): checks it first (`ValidatedConfig`).
    /// - Throws: `ConfigError` with every problem of `config.problems()`, then as `run`.
    public static func run(_ config: TrainConfig, makeStrategy: (StrategyOptions) throws -> any Strategy,
                           resume: Bool = false, overwrite: Bool = false, logSteps: Bool = false, keepCheckpoints: Int = 2,
                           log: @escaping (String) -> Void = { print($0) },
                           observers: [any TrainingObserver] = []) throws -> RunSummary {
        try run(ValidatedConfig(config), makeStrategy: makeStrategy, resume: resume, overwrite: overwrite, logSteps: logSteps,
                keepCheckpoints: keepCheckpoints, log: log, observers: observers)
    }

    /// Loads the best checkpoint and evaluates every test case: predictions restored to the original grid and
    /// geometry, written as `predictions/<case>`, metrics against the original labels (original spacing).
    static func evaluateTest(trainer: Trainer, loaded: DatasetLoader.Loaded, log: (String) -> Void) throws -> RunSummary {
        let run = trainer.run
        try trainer.loadBest()
        let predDir = run.runDirectory.appendingPathComponent("predictions")
        let uncertaintyDir = predDir.appendingPathComponent("uncertainty")
        try FileManager.default.createDirectory(at: uncertaintyDir, withIntermediateDirectories: true)
        var pairs: [(id: String, prediction: LabelMap, reference: LabelMap)] = []
        // Per-class probabilities of all test voxels (on the training grid), for pooled calibration.
        var perClass = [[Float]](repeating: [], count: loaded.preprocessing.classes), refs: [UInt8] = []
        var uncertaintySums: [String: Double] = [:]
        for c in loaded.store.test {
            guard let src = loaded.testSources[c.id], let labelPath = src.label else { continue }
            let prediction = try MirroredBorder.predict(trainer, c.image)
            let rawImage = try Nifti.read(src.image)
            let restored = loaded.preprocessing.restoreLabels(probabilities: prediction.probabilities, like: rawImage)
            try Nifti.write(restored, to: predDir.appendingPathComponent(c.id).path, datatype: .uint8)
            // Uncertainty maps and extras (e.g. MC dropout's summed masks) in the original geometry, for figures.
            let stem = NiftiFiles.stem(c.id)
            for (key, map) in prediction.uncertainty.merging(prediction.extras, uniquingKeysWith: { a, _ in a }) {
                let v = loaded.preprocessing.restore(maps: map.reshaped([1] + map.shape), like: rawImage)
                try Nifti.write(v, to: uncertaintyDir.appendingPathComponent("\(stem)_\(key).nii.gz").path, datatype: .float32)
            }
            let ref = try Nifti.read(labelPath)
            pairs.append((c.id, try labelMap(restored), try labelMap(ref)))
            if let lab = c.label {
                let p = prediction.probabilities.scalars, n = lab.count
                for k in 0..<perClass.count { perClass[k] += p[(k * n)..<((k + 1) * n)] }
                refs += lab.scalars.map { UInt8($0) }
            }
            for (k, v) in prediction.uncertainty { uncertaintySums[k, default: 0] += Double(v.mean().item) }
        }
        // NSD at the data's resolution: a tolerance below the voxel size would count only coincident surfaces.
        let tolerance = defaultNSDTolerance(pairs.map(\.reference))
        if !pairs.isEmpty { log(String(format: "NSD tolerance %.3g mm (the largest voxel spacing of the test labels)", tolerance)) }
        let results = try pairs.map {
            try evaluateCase($0.id, prediction: $0.prediction, reference: $0.reference, classes: loaded.preprocessing.classes,
                             options: MetricOptions(nsdTolerance: tolerance))
        }
        // The 2D summary metrics (pixel-pooled mean IoU / Dice / accuracy, frequency-weighted IoU, overall accuracy) too.
        let report = results.isEmpty ? nil : try EvaluationReport(results: results, includeSemantic: true)
        var ece: Double?, brier: Double?
        if !refs.isEmpty {
            let pooled = perClass.flatMap { $0 }
            ece = try Calibration.expectedCalibrationError(probabilities: pooled, classes: perClass.count, labels: refs)
            brier = try Calibration.brierScore(probabilities: pooled, classes: perClass.count, labels: refs)
        }
        if let fg = report?.foregroundMean[.dice] { log(String(format: "test foreground Dice %.4f over %d cases", fg, results.count)) }
        return RunSummary(strategy: run.config.strategy, seed: run.config.seed, bestValidationDice: nil, bestEpoch: nil, trainSeconds: 0,
                          test: report, ece: ece, brier: brier,
                          uncertaintyMean: uncertaintySums.mapValues { $0 / Double(max(results.count, 1)) })
    }

    /// The default surface-Dice (NSD) tolerance in mm: the largest voxel spacing of the reference label maps (each
    /// axis of each map; a 2D map's two axes), so a boundary one voxel off still counts as agreeing. 1 mm without maps.
    public static func defaultNSDTolerance(_ references: [LabelMap]) -> Double {
        references.flatMap(\.spacing).filter { $0.isFinite && $0 > 0 }.max() ?? 1
    }

    /// A `LabelMap` (`[D, H, W]`, spacing z y x in mm) from a label volume (`[x, y, z]`, spacing x y z).
    /// A single-slice volume (z = 1) is a 2D image: `[H, W]` with 4-connected surfaces, not a slab whose every
    /// voxel touches the z border.
    public static func labelMap(_ v: Volume) throws -> LabelMap {
        let s = v.spatialShape
        var labels = [UInt8](repeating: 0, count: v.voxelsPerChannel)
        for i in 0..<labels.count {
            let x = v.data[i]
            guard x >= 0, x <= 255, x == x.rounded() else { throw TrainingError("label value \(x) is not an integer in 0...255") }
            labels[i] = UInt8(x)
        }
        if s[2] == 1 { return try LabelMap(labels: labels, shape: [s[1], s[0]], spacing: [v.spacing[1], v.spacing[0]]) }
        return try LabelMap(labels: labels, shape: [s[2], s[1], s[0]], spacing: [v.spacing[2], v.spacing[1], v.spacing[0]])
    }

}
