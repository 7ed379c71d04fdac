import Engine
import Foundation
import NN

/// How far the current epoch got when a mid-epoch checkpoint was written (SIGINT/SIGTERM at a step boundary):
/// everything `trainEpoch` needs to continue the epoch exactly.
struct EpochProgress: Codable, Equatable {
    /// Optimizer steps of the epoch done (the next one is `iteration`, 0-based).
    var iteration = 0
    /// Running sums of the epoch's losses over counted (finite) steps.
    var lossSum = 0.0
    var supervisedSum = 0.0
    var counted = 0
    /// The strategy's per-epoch running means (`RunContext.record`) and their counts.
    var epochValues: [String: Double] = [:]
    var epochCounts: [String: Int] = [:]
    /// Training seconds of the epoch before the checkpoint.
    var seconds = 0.0
}

extension Trainer {
    var checkpointFiles: CheckpointFiles { CheckpointFiles(dir: checkpointDir, keep: max(1, keepCheckpoints)) }

    /// The trainer state to checkpoint now; `progress` is set for a mid-epoch checkpoint.
    func trainerState(progress: EpochProgress? = nil) -> TrainerState {
        TrainerState(epochsDone: epochsDone, globalStep: run.globalStep, dataRNG: dataRNG, strategyRNG: run.rng, unlabeledRNG: unlabeledRNG,
                     dropoutRNG: Checkpoint.dropoutStates(run.model), bestMetric: bestMetric, bestEpoch: bestEpoch,
                     log: log, validationHistory: run.validationHistory, stopped: stopped, threads: Parallel.threads,
                     epochProgress: progress, selection: selection)
    }

    /// Writes `state` as the new `last` checkpoint, keeping older ones as `CheckpointFiles` says.
    func saveLast(_ state: TrainerState) throws {
        let data = try Checkpoint.encode(model: run.model, optimizer: run.optimizer, strategy: strategy, state: state)
        let position = CheckpointPosition(epochs: state.epochsDone, step: state.globalStep)
        try checkpointFiles.writeLast(data, position: position, current: lastCheckpointPosition)
        lastCheckpointPosition = position
    }

    /// `--resume`: restores the newest intact checkpoint (`last`, else the older ones, newest first). A damaged file is
    /// reported with a warning naming it and set aside as `<name>.damaged`; the run then continues exactly from the
    /// checkpoint it loaded (redoing the steps after it). No checkpoint at all: a fresh start.
    /// - Throws: `TrainingError` when checkpoints exist but none is intact (never trains from garbage).
    func restoreNewestIntactCheckpoint() throws {
        let files = checkpointFiles
        var damaged: [String] = []
        for url in files.resumeCandidates() {
            let v: Checkpoint.Verified
            do { v = try Checkpoint.verify(url) } catch let e as CheckpointDamaged {
                let moved = files.setAside(url)
                run.log("warning: \(e.description); set aside as \(moved.lastPathComponent), trying the previous checkpoint")
                damaged.append(url.lastPathComponent)
                continue
            }
            let s = try Checkpoint.apply(v, model: run.model, optimizer: run.optimizer, strategy: strategy)
            epochsDone = s.epochsDone; run.globalStep = s.globalStep; dataRNG = s.dataRNG; run.rng = s.strategyRNG
            unlabeledRNG = s.unlabeledRNG ?? Trainer.unlabeledGenerator(seed: config.seed)
            bestMetric = s.bestMetric; bestEpoch = s.bestEpoch; log = s.log; run.validationHistory = s.validationHistory
            stopped = s.stopped
            selection = s.selection ?? CheckpointSelection(resumingBest: bestMetric, mode: config.select)
            epochProgress = s.epochProgress
            lastCheckpointPosition = url == files.last ? CheckpointPosition(epochs: s.epochsDone, step: s.globalStep) : nil
            if !damaged.isEmpty {
                run.log("warning: resuming from \(url.lastPathComponent) (epoch \(s.epochsDone), step \(s.globalStep)) instead of the damaged "
                        + damaged.joined(separator: ", ") + "; the steps after it are trained again")
            }
            // A damaged `best` cannot be rebuilt from `last`: it is rewritten when validation improves on it again.
            if FileManager.default.fileExists(atPath: files.best.path) {
                do { _ = try Checkpoint.verify(files.best) } catch let e as CheckpointDamaged {
                    run.log("warning: \(e.description); it is rewritten if validation improves on epoch \(bestEpoch.map(String.init) ?? "?"), "
                            + "else the test evaluation stops with this error")
                }
            }
            // metrics.csv again from the checkpoint's log: a kill between the `last` checkpoint and the csv write must
            // not leave the final epoch's row missing (and a fallback to an older checkpoint drops the later rows).
            try writeAtomically(Data(log.csv().utf8), to: run.runDirectory.appendingPathComponent("metrics.csv"))
            let mid = s.epochProgress.map { p in p.iteration > 0 ? ", epoch \(s.epochsDone + 1) step \(p.iteration)/\(config.iterationsPerEpoch)" : "" } ?? ""
            run.log("resumed from epoch \(epochsDone) (step \(run.globalStep))" + mid)
            if let t = s.threads, t != Parallel.threads {
                run.log("note: the run trained with --threads \(t), this resume uses \(Parallel.threads): it continues correctly but "
                        + "not bit-identically to an uninterrupted run (parallel sums split by thread count); pass --threads \(t) for that")
            }
            return
        }
        if !damaged.isEmpty {
            throw TrainingError("\(checkpointDir.path): no intact checkpoint to resume from (damaged: \(damaged.joined(separator: ", ")), "
                                + "set aside as *.damaged); start the run again without --resume")
        }
    }

    /// The epoch progress to continue from (after a mid-epoch resume), applied to the run's epoch values; consumed.
    /// `trainEpoch` calls the strategy's `willStartEpoch` before this, also on a mid-epoch resume: the hook must give
    /// the same result from checkpointed state (PseudoLabel's rounds do), and epoch values it records are replaced by
    /// the checkpointed ones here.
    func takeEpochProgress() -> EpochProgress {
        guard let p = epochProgress else { return EpochProgress() }
        epochProgress = nil
        run.restoreEpochValues(p.epochValues, counts: p.epochCounts)
        return p
    }

    /// At a step boundary: when SIGINT/SIGTERM arrived, saves a mid-epoch `last` checkpoint holding `progress` and
    /// throws `TrainingInterrupted`.
    func stopIfInterrupted(_ progress: EpochProgress, since start: Date) throws {
        guard let sig = Interrupt.pending else { return }
        var p = progress
        p.seconds += Date().timeIntervalSince(start)
        p.epochValues = run.epochValues
        p.epochCounts = run.epochCounts
        try saveLast(trainerState(progress: p))
        Interrupt.clear()
        throw TrainingInterrupted(signal: sig, checkpoint: checkpointFiles.last, epoch: epochsDone + 1, iteration: p.iteration,
                                  iterationsPerEpoch: config.iterationsPerEpoch)
    }

    /// At an epoch boundary (its checkpoint just written): stops when SIGINT/SIGTERM arrived.
    func stopIfInterruptedAtEpochEnd() throws {
        guard let sig = Interrupt.pending else { return }
        Interrupt.clear()
        throw TrainingInterrupted(signal: sig, checkpoint: checkpointFiles.last, epoch: epochsDone + 1, iteration: 0,
                                  iterationsPerEpoch: config.iterationsPerEpoch)
    }
}

extension RunContext {
    func restoreEpochValues(_ values: [String: Double], counts: [String: Int]) {
        epochValues = values
        epochCounts = counts
    }
}
