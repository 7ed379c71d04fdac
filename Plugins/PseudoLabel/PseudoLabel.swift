import Engine
import Foundation
import NN
import Training

/// Pseudo-labelling (Lee 2013; offline teacher/student self-training).
///
/// Two modes:
/// - **offline** (`teacher=RUN_DIR`): before epoch 1 the teacher run labels every unlabeled case (sliding window);
///   each becomes a labeled `TrainingCase` `pseudo:<id>` whose `mask` `[D, H, W]` is 1 where the teacher's max
///   probability >= `threshold` and 0 elsewhere (ignored by the loss). The student trains on labeled +
///   pseudo-labeled cases. With `rounds=N`, at the start of epochs `r·epochs/N` (r = 1..N−1) the current student
///   re-labels the unlabeled cases, replacing the previous pseudo-labels (self-training).
/// - **online** (no teacher): each step, the current model's prediction on the unlabeled batch (no gradient) gives
///   hard labels; voxels below `threshold` are ignored; the masked cross-entropy (averaged over all unlabeled
///   voxels) is added with weight `weight · sigmoidRampUp(progress / ramp-up)`.
///
/// Voxel selection: a fixed `threshold` on the max probability, or class-balanced (`portion`, CBST, Zou et al.
/// 2018): per predicted class, the most confident `portion` of its voxels. A single threshold changes the class
/// balance when the teacher is more confident on one class (the log line reports the kept foreground share).
///
/// Online mode records `pl_loss`, `pl_mask_ratio` and `pl_weight` in `metrics.csv`; offline mode logs the kept fraction.
public final class PseudoLabel: Strategy {
    public static let name = "pseudo-label"
    public static let summary = "Pseudo-labelling: hard labels above a confidence threshold, from a teacher run (offline, optional self-training rounds) or the current model (online)"

    /// Prefix of the ids of pseudo-labeled cases in `run.data.labeled`.
    static let idPrefix = "pseudo:"
    /// Prefix of repeated real labeled cases (`labeled-share`).
    static let repeatPrefix = "repeat:"

    let teacher: String?
    let threshold: Double
    /// Class-balanced portion (0 = off: use `threshold`).
    let portion: Double
    /// Offline: share of the training case list made of the real labeled cases (0 = plain concatenation).
    let labeledShare: Double
    let weight: Double
    let rampUp: Double
    let rounds: Int
    let forward: StudentForward
    let runningStatistics: RunningStatistics

    /// Round whose labels are in use (0 = the teacher's), and the packed labels of student rounds (for checkpoints).
    private(set) var round = 0
    private var studentLabels: [Tensor] = []
    /// Labels restored by `load(stateDict:)`, applied in `willStartRun`.
    private var restored: (round: Int, labels: [Tensor])?

    /// Options: `teacher` (run folder; absent = online mode), `threshold` (0...1; 0 = keep every voxel; default 0.9
    /// online, 0 offline: an under-trained teacher is under-confident on background, so a 0.9 threshold keeps almost
    /// only foreground voxels and the student over-segments — measured on 2D phantoms, test Dice 0.30 at 0.9 vs 0.94 at 0),
    /// `portion` (0 = off, 0...1: class-balanced selection instead of `threshold`: keep the most confident `portion`
    /// of the voxels predicted as each class, pooled over all unlabeled cases offline or over the batch online),
    /// online only: `weight` (0.1, 0...100), `ramp-up` (1, 0...1), `forward` (separate|joint), `running-stats`
/// (labeled|all: whether the unlabeled pass moves BatchNorm's running statistics); offline only: `rounds` (1, 1...100),
    /// `labeled-share` (0, 0...0.95: repeat the real labeled cases so they make up about this share of the training
    /// cases, which the trainer samples uniformly; 0 = labeled + pseudo-labeled cases as they are).
    ///
    /// Sources of the defaults (issue #20 audit): online, the SSL4MIS recipe for pseudo-label losses
    /// (`train_fixmatch_standard_augs.py`, `train_cross_pseudo_supervision_2D.py`): weight 0.1 (`--consistency 0.1`,
    /// was 1) ramped with a sigmoid over the whole run (`sigmoid_rampup(iter // 150, 200)` = 30000 iterations =
    /// `max_iterations`; was 0.3 of the run); threshold 0.9 (was and stays: between SSL4MIS FixMatch's 0.8 on
    /// min-max-normalised probabilities and FixMatch's 0.95). Offline (nnU-Net-style teacher/student, noisy student):
    /// plain hard labels (threshold 0) of a finished teacher run, one round.
    public init(options: StrategyOptions) throws {
        teacher = options.string("teacher", default: nil)
        threshold = options.double("threshold", default: teacher == nil ? 0.9 : 0, in: 0...1)
        weight = options.double("weight", default: 0.1, in: 0...100)
        rampUp = options.double("ramp-up", default: 1, in: 0...1)
        rounds = options.int("rounds", default: 1, in: 1...100)
        portion = options.double("portion", default: 0, in: 0...1)
        labeledShare = options.double("labeled-share", default: 0, in: 0...0.95)
        (forward, runningStatistics) = options.studentPasses()
        if portion > 0 && options.values["threshold"] != nil { options.fail("give either 'threshold' or 'portion' (class-balanced), not both") }
        if let t = teacher, t.isEmpty { options.fail("option 'teacher' needs a run folder") }
        if teacher != nil {
            for k in ["weight", "ramp-up", "forward", "running-stats"] where options.values[k] != nil {
                options.fail("option '\(k)' applies to online mode only (without teacher=); offline pseudo-labels are plain labeled cases")
            }
        } else {
            if options.values["rounds"] != nil && rounds > 1 { options.fail("option 'rounds' needs teacher=RUN_DIR (online mode re-labels every step)") }
            if options.values["labeled-share"] != nil { options.fail("option 'labeled-share' needs teacher=RUN_DIR") }
        }
        try options.finish()
    }

    /// Offline mode uses no unlabeled batches (the pseudo-labeled cases are labeled cases).
    public var wantsUnlabeledBatch: Bool { teacher == nil }

    /// Online: a student pass of its own over the unlabeled batch (`forward` separate, default) or one pass over
    /// labeled and unlabeled images (joint, SSL4MIS's students); `running-stats` labeled (default) | all.
    public var studentForward: StudentForward { teacher == nil ? forward : .labeled }

    // MARK: - Offline

    /// 0-based epochs at whose start the student re-labels (rounds 1..N−1).
    func roundStarts(epochs: Int) -> [Int] {
        (1..<max(rounds, 1)).map { Int((Double($0) * Double(epochs) / Double(rounds)).rounded()) }
    }

    public func willStartRun(_ run: RunContext) throws {
        guard let teacherPath = teacher else { return }
        if rounds > run.config.epochs { throw TrainingError("pseudo-label: rounds=\(rounds) exceeds the run's \(run.config.epochs) epochs") }
        if run.data.unlabeled.isEmpty { throw TrainingError("pseudo-label: the split has no unlabeled cases to pseudo-label") }
        if !run.config.loss.acceptsVoxelMask {
            let ok = LossChoice.allCases.filter(\.acceptsVoxelMask).map(\.rawValue)
            throw TrainingError("pseudo-label: --loss \(run.config.loss) cannot ignore low-confidence voxels; use \(ok.dropLast().joined(separator: ", ")) or \(ok.last ?? "")")
        }
        if let r = restored, r.round > 0 {
            guard r.labels.count == run.data.unlabeled.count,
                  zip(r.labels, run.data.unlabeled).allSatisfy({ $0.shape == $1.spatialShape }) else {
                throw TrainingError("pseudo-label: the checkpoint's pseudo-labels do not match the unlabeled cases")
            }
            round = r.round
            studentLabels = r.labels
            install(r.labels.map { PseudoLabels.decode($0) }, run: run)
            run.log("pseudo-label: restored round \(round) pseudo-labels of \(r.labels.count) cases")
            restored = nil
            return
        }
        restored = nil
        let url = URL(fileURLWithPath: teacherPath)
        let t = try TrainedRun.load(url)
        let problems = TeacherCheck.problems(teacher: t, student: run)
        guard problems.isEmpty else {
            throw TrainingError("pseudo-label: teacher \(teacherPath) does not match this run: " + problems.joined(separator: "; "))
        }
        let labels = label(run.data.unlabeled.map { t.probabilities($0.image) })
        install(labels.map { ($0.labels, $0.mask) }, run: run)
        round = 0
        studentLabels = []
        run.log("pseudo-label: teacher \(url.lastPathComponent) labeled \(labels.count) cases; " + Self.describe(labels))
    }

    public func willStartEpoch(_ run: RunContext) throws {
        guard teacher != nil else { return }
        let due = roundStarts(epochs: run.config.epochs).filter { $0 <= run.epoch }.count
        guard due > round else { return }
        let labels = label(run.data.unlabeled.map { run.plainProbabilities($0.image) })
        install(labels.map { ($0.labels, $0.mask) }, run: run)
        studentLabels = labels.map { PseudoLabels.encode(labels: $0.labels, mask: $0.mask) }
        round = due
        run.log("pseudo-label: round \(round): the student re-labeled \(labels.count) cases; " + Self.describe(labels))
    }

    /// Pseudo-labels `[D, H, W]` for cases with probabilities `[K, D, H, W]` (absolute or class-balanced selection).
    func label(_ probabilities: [Tensor]) -> [(labels: Tensor, mask: Tensor, kept: Double)] {
        let batched = probabilities.map { $0.reshaped([1] + $0.shape) }
        let k = probabilities.first?.shape[0] ?? 0
        let thresholds = portion > 0 ? PseudoLabels.classThresholds(batched, portion: portion) : [Float](repeating: Float(threshold), count: k)
        return zip(batched, probabilities).map { b, p in
            let r = PseudoLabels.make(probabilities: b, thresholds: thresholds)
            let sp = Array(p.shape.dropFirst())
            return (r.labels.reshaped(sp), r.mask.reshaped(sp), r.kept)
        }
    }

    /// "x% of voxels kept (>= threshold), foreground y% of kept vs z% of all": shows when the threshold keeps mostly
    /// background (an under-confident teacher), the usual cause of a collapsing student.
    static func describe(_ labels: [(labels: Tensor, mask: Tensor, kept: Double)]) -> String {
        var all = 0, kept = 0, fgAll = 0, fgKept = 0
        for l in labels {
            let y = l.labels.scalars, m = l.mask.scalars
            for i in 0..<y.count {
                all += 1
                if y[i] > 0 { fgAll += 1 }
                if m[i] > 0 { kept += 1; if y[i] > 0 { fgKept += 1 } }
            }
        }
        func pct(_ a: Int, _ b: Int) -> String { String(format: "%.1f%%", 100 * Double(a) / Double(max(b, 1))) }
        return "\(pct(kept, all)) of voxels kept; foreground is \(pct(fgKept, kept)) of kept voxels, \(pct(fgAll, all)) of all"
    }

    /// Replaces the pseudo-labeled cases in `run.data.labeled` (one per unlabeled case, in order).
    private func install(_ labels: [(labels: Tensor, mask: Tensor)], run: RunContext) {
        run.data.labeled.removeAll { $0.id.hasPrefix(Self.idPrefix) || $0.id.hasPrefix(Self.repeatPrefix) }
        let real = run.data.labeled
        for (c, l) in zip(run.data.unlabeled, labels) {
            run.data.labeled.append(TrainingCase(id: Self.idPrefix + c.id, image: c.image, label: l.labels, mask: l.mask))
        }
        if labeledShare > 0 && !real.isEmpty {
            let copies = Int((labeledShare * Double(labels.count) / ((1 - labeledShare) * Double(real.count))).rounded())
            for r in 1..<max(copies, 1) {
                run.data.labeled += real.map { TrainingCase(id: Self.repeatPrefix + "\(r):" + $0.id, image: $0.image, label: $0.label, mask: $0.mask) }
            }
        }
    }

    // Offline: the trainer's default loss already applies the pseudo-label mask (`CaseStore` weights) to ce, dice
    // and dice-ce, so no `supervisedLoss` override.

    // MARK: - Online

    public func additionalLoss(_ step: StepContext) throws -> Tensor? {
        guard teacher == nil, let u = step.unlabeledImages else { return nil }
        let (loss, kept) = onlineLoss(logits: step.unlabeledLogits ?? step.run.studentLogits(u, runningStatistics: runningStatistics))
        let w = rampedWeight(weight, progress: step.run.progress, rampUp: rampUp)
        step.run.record("pl_loss", Double(loss.item))
        step.run.record("pl_mask_ratio", kept)
        step.run.record("pl_weight", w)
        return loss * Float(w)
    }

    /// Cross-entropy of `logits` `[B, K, *spatial]` against their own hard labels (no gradient through the labels),
    /// over the selected voxels (max probability >= threshold, or the class-balanced `portion`), divided by all voxels. Returns the loss and the kept fraction.
    func onlineLoss(logits: Tensor) -> (Tensor, Double) {
        let p = withNoGrad { logits.detached().softmax(axis: 1) }
        let thresholds = portion > 0 ? PseudoLabels.classThresholds([p], portion: portion) : [Float](repeating: Float(threshold), count: p.shape[1])
        let (labels, mask, kept) = PseudoLabels.make(probabilities: p, thresholds: thresholds)
        return (Losses.crossEntropy(logits, labels, mask: mask) * Float(kept), kept)
    }

    // MARK: - State

    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = ["round": Tensor(scalar: Float(round))]
        if round > 0 {
            d["count"] = Tensor(scalar: Float(studentLabels.count))
            for (i, l) in studentLabels.enumerated() { d["labels.\(i)"] = l }
        }
        return d
    }

    public func load(stateDict: [String: Tensor]) throws {
        let r = Int(stateDict["round"]?.item ?? 0)
        guard r > 0 else { restored = nil; return }
        guard let n = stateDict["count"].map({ Int($0.item) }) else { throw TrainingError("pseudo-label: checkpoint has round \(r) but no pseudo-labels") }
        var labels: [Tensor] = []
        for i in 0..<n {
            guard let l = stateDict["labels.\(i)"] else { throw TrainingError("pseudo-label: checkpoint lacks pseudo-labels of case \(i)") }
            labels.append(l)
        }
        restored = (r, labels)
    }
}
