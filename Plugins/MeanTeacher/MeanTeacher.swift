import Engine
import NN
import Training

/// Mean Teacher (Tarvainen & Valpola 2017): an exponential-moving-average copy of the network (the teacher)
/// gives consistency targets on unlabeled images; the student is trained to agree with it.
///
/// Per step, on the unlabeled batch: the student sees one view (optionally a random spatial/intensity augmentation)
/// in a pass of its own (`forward`), the teacher (no gradient) sees the un-augmented image; Gaussian input noise goes
/// on the view(s) `noise-on` names;
/// the teacher's softmax is moved into the student's frame through the augmentation's `SamplingGrid`.
/// Loss = `weight · sigmoidRampUp(progress / ramp-up) · MSE(softmax_student, softmax_teacher)` (or KL).
/// After every optimizer step: teacher ← α·teacher + (1 − α)·student, with α = min(1 − 1/(t + 1), alpha) while
/// `ema-warmup` (the original implementation's warm-up) and `alpha-final` after the ramp-up phase.
///
/// Defaults follow SSL4MIS `code/train_mean_teacher_2D.py` (HiLab-git/SSL4MIS, the implementation the medical
/// segmentation literature compares against; issue #20 audit), not the phantom-tuned values used before:
/// - `weight` 0.1 (0...1000): SSL4MIS `--consistency 0.1` (was 1);
/// - `ramp-up` 1.0 (fraction of the run, 0 = none): SSL4MIS ramps `sigmoid_rampup(iter // 150, 200)`, i.e. over
///   200 × 150 = 30000 iterations = its whole `max_iterations` (was 0.3);
/// - `alpha` 0.99 and `ema-warmup` true: SSL4MIS `--ema_decay 0.99` with `min(1 − 1/(step + 1), α)`;
///   `alpha-final` = alpha (the paper: 0.999 after the ramp-up; SSL4MIS keeps 0.99);
/// - `noise` 0.1 with `noise-on` teacher (teacher|student|both): SSL4MIS adds `clamp(randn · 0.1, −0.2, 0.2)` to the
///   teacher's input only (`ema_inputs`); the noise is clamped at ±2 std here too (was: both views, unclamped);
/// - `loss` mse|kl: mse on softmax probabilities, as SSL4MIS `--consistency_type mse`;
/// - `augment` none|standard|run: SSL4MIS augments the batch once (both views see the same augmented image, as the
///   run's own augmentation does here), so none;
/// - `predict-with` student|teacher: student, as SSL4MIS validates and saves `model` (the student) (was teacher);
/// - `forward` separate|joint: separate (a student pass over the unlabeled view alone). `joint` is SSL4MIS's
///   (`outputs = model(volume_batch)`: labeled and unlabeled slices in one batch, `StudentForward`); measured on the
///   real lung CT with 10 labeled slices it breaks the network at inference even with the consistency weight at 0:
///   the labeled loss reaches the unlabeled rows through BatchNorm's batch statistics, and validation Dice falls to
///   the all-foreground level (README, "Semi-supervision on real CT");
/// - `running-stats` labeled|all: labeled, the separate pass normalises by its batch statistics but leaves
///   BatchNorm's running statistics (used at validation and test) to the labeled passes, so with `weight` 0 the
///   student is exactly the supervised network of the same seed; `all` is PyTorch's behaviour for `model(u)`;
/// - `horizon` 0 (0...1; 0 = off; was 0.1): caps the EMA's averaging horizon 1/(1 − α) at that fraction of the run's
///   steps. Not in SSL4MIS; it matters only when the teacher predicts on a short run (2D phantoms, 120 steps,
///   α = 0.99: teacher test Dice 0.43 vs student 0.93; capped to 1 − 1/12: 0.94).
public final class MeanTeacher: Strategy {
    public static let name = "mean-teacher"
    public static let summary = "Mean Teacher: consistency with an EMA teacher network (Tarvainen & Valpola 2017)"

    let weight: Double
    let rampUp: Double
    let alpha: Double
    let alphaFinal: Double
    let emaWarmup: Bool
    let horizon: Double
    let noise: Double
    /// Which views get the input noise.
    let noiseOnStudent: Bool
    let noiseOnTeacher: Bool
    let lossKind: ConsistencyDivergence
    let augment: StudentViewAugmentation
    let predictWithTeacher: Bool

    /// The EMA network; built lazily from the run (`willStartRun`, or the first `predict` in `semiseg predict`).
    private(set) var teacher: (any SegmentationNetwork)?
    /// Teacher weights from `load(stateDict:)` that arrived before the teacher could be built (resume, predict).
    private var pendingTeacherState: [String: Tensor]?
    private var augmenter: Augmenter?
    /// The grids of this step's student view (nil: not augmented).
    private var studentGrids: [SamplingGrid]?
    /// One student pass over labeled and unlabeled images (SSL4MIS) or two.
    let forward: StudentForward
    /// Whether the separate unlabeled pass moves BatchNorm's running statistics.
    let runningStatistics: RunningStatistics

    public init(options: StrategyOptions) throws {
        weight = options.double("weight", default: 0.1, in: 0...1000)
        rampUp = options.double("ramp-up", default: 1, in: 0...1)
        alpha = options.double("alpha", default: 0.99, in: 0...1)
        alphaFinal = options.double("alpha-final", default: alpha, in: 0...1)
        emaWarmup = options.bool("ema-warmup", default: true)
        horizon = options.double("horizon", default: 0, in: 0...1)
        noise = options.double("noise", default: 0.1, in: 0...10)
        let noiseOn = options.choice("noise-on", default: NoisedViews.teacher)
        noiseOnStudent = noiseOn != .teacher
        noiseOnTeacher = noiseOn != .student
        lossKind = options.choice("loss", default: ConsistencyDivergence.mse)
        augment = options.choice("augment", default: StudentViewAugmentation.none)
        predictWithTeacher = options.choice("predict-with", default: PredictingNetwork.student) == .teacher
        (forward, runningStatistics) = options.studentPasses()
        try options.finish()
    }

    public var wantsUnlabeledBatch: Bool { true }

    // MARK: - Teacher lifecycle

    /// The teacher, built on first use: a copy of the student, or the weights from a loaded checkpoint.
    @discardableResult
    func ensureTeacher(_ run: RunContext) throws -> any SegmentationNetwork {
        if let t = teacher { return t }
        let t = run.makeModel(run.config.seed &+ 1)
        if let state = pendingTeacherState {
            do { try t.load(stateDict: state) } catch { throw TrainingError("mean-teacher: teacher weights in the checkpoint do not fit the network: \(error)") }
            pendingTeacherState = nil
        } else {
            t.copyState(from: run.model)
        }
        teacher = t
        return t
    }

    public func willStartRun(_ run: RunContext) throws {
        try ensureTeacher(run)
        switch augment {
        case .none: break
        case .standard: augmenter = try Augmenter(.standard)
        case .run: augmenter = try Augmenter(run.config.augmentationConfig)
        }
    }

    /// EMA decay for the update that follows optimizer step number `step` (1-based) at `progress`
    /// (warm-up as in the reference code: min(1 − 1/(step + 1), α), so early teachers are true averages).
    func decay(step: Int, progress: Double, totalSteps: Int = 0) -> Float {
        var a = progress < rampUp ? alpha : alphaFinal
        if horizon > 0 && totalSteps > 0 { a = min(a, 1 - 1 / max(1, horizon * Double(totalSteps))) }
        if emaWarmup { a = min(1 - 1 / Double(step + 1), a) }
        return Float(max(a, 0))
    }

    /// teacher ← decay·teacher + (1 − decay)·student (buffers copied from the student).
    func updateTeacher(_ run: RunContext) throws {
        let t = try ensureTeacher(run)
        let d = decay(step: run.globalStep, progress: run.progress, totalSteps: run.totalSteps)
        t.updateEMA(from: run.model, decay: d)
    }

    public func didFinishStep(_ run: RunContext, _ step: StepContext) throws {
        try updateTeacher(run)
    }

    // MARK: - Consistency

    public var studentForward: StudentForward { forward }

    /// The student's view of the unlabeled batch: augmented (optional), then noise (if `noise-on` includes it); the
    /// augmentation's grids are kept for `consistencyLoss` to move the teacher's target. Noise is N(0, noise²)
    /// clamped to ±2·noise, as SSL4MIS.
    public func studentInput(unlabeled u: Tensor, _ run: RunContext) throws -> Tensor {
        var view = u
        studentGrids = nil
        if let aug = augmenter {
            var views: [Tensor] = [], gs: [SamplingGrid] = []
            for sample in BatchSamples.split(u) {
                let a = aug(image: sample, label: nil, rng: &run.rng)
                views.append(a.image); gs.append(a.grid)
            }
            view = BatchSamples.stack(views, like: u.shape)
            studentGrids = gs
        }
        if noise > 0 && noiseOnStudent { view = view + clampedNoise(u.shape, &run.rng) }
        return view
    }

    /// Unweighted consistency loss on an unlabeled batch `u` in model layout (student with gradient, teacher
    /// without). `studentLogits`: the student's logits on `studentInput(unlabeled: u)` from the trainer's joint pass;
    /// nil = the view is made and the student run here (`forward` separate).
    func consistencyLoss(_ u: Tensor, _ run: RunContext, studentLogits: Tensor? = nil) throws -> Tensor {
        let t = try ensureTeacher(run)
        // Teacher view: original image, independent noise (if `noise-on` includes it).
        let studentView = studentLogits == nil ? try studentInput(unlabeled: u, run) : nil
        let grids = studentGrids
        var teacherInput = u
        if noise > 0 && noiseOnTeacher { teacherInput = u + clampedNoise(u.shape, &run.rng) }
        var target = withNoGrad { () -> Tensor in
            let wasTraining = t.training
            t.train()   // as in the original: the teacher runs in the same (train) mode as the student
            defer { t.setTraining(wasTraining) }
            return t(teacherInput).softmax(axis: 1)
        }
        if let gs = grids {
            let moved = zip(BatchSamples.split(target), gs).map { p, g in
                g.isIdentity() ? p : g.apply(p, interpolation: .linear, padding: .border)
            }
            target = BatchSamples.stack(moved, like: target.shape)
        }
        target = target.detached()
        let logits = studentLogits ?? run.studentLogits(studentView ?? u, runningStatistics: runningStatistics)
        switch lossKind {
        case .kl: return Losses.klDivergence(logits: logits, target: target)
        case .mse: return Losses.mse(logits.softmax(axis: 1), target)
        }
    }

    /// Gaussian noise of std `noise`, clamped to ±2·noise (SSL4MIS: `clamp(randn · 0.1, −0.2, 0.2)`).
    func clampedNoise(_ shape: [Int], _ rng: inout RNG) -> Tensor {
        let limit = Float(2 * noise)
        let n = Tensor.randn(shape, std: Float(noise), rng: &rng)
        return Tensor(n.scalars.map { min(max($0, -limit), limit) }, shape: shape)
    }

    public func additionalLoss(_ step: StepContext) throws -> Tensor? {
        guard weight > 0, let u = step.unlabeledImages else { return nil }
        let run = step.run
        let loss = try consistencyLoss(u, run, studentLogits: forward == .joint ? step.unlabeledLogits : nil)
        let w = rampedWeight(weight, progress: run.progress, rampUp: rampUp)
        run.record("consistency", Double(loss.item))
        run.record("consistency_weight", w)
        return loss * Float(w)
    }

    // MARK: - Inference

    public func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? {
        guard predictWithTeacher else { return nil }
        let p = run.plainProbabilities(image, model: try ensureTeacher(run))
        return Prediction(probabilities: p, uncertainty: ["entropy": Prediction.entropy(p)])
    }

    // MARK: - Exact resume

    public func stateDict() -> [String: Tensor] {
        let state = teacher?.stateDict() ?? pendingTeacherState ?? [:]
        var out: [String: Tensor] = [:]
        for (k, v) in state { out["teacher." + k] = v }
        return out
    }

    public func load(stateDict: [String: Tensor]) throws {
        var state: [String: Tensor] = [:]
        for (k, v) in stateDict where k.hasPrefix("teacher.") { state[String(k.dropFirst("teacher.".count))] = v }
        guard !state.isEmpty else { throw TrainingError("mean-teacher: the checkpoint has no teacher weights (strategy.teacher.*)") }
        if let t = teacher {
            do { try t.load(stateDict: state) } catch { throw TrainingError("mean-teacher: teacher weights in the checkpoint do not fit the network: \(error)") }
        } else {
            // Resume and `semiseg predict` load before the teacher exists (load(stateDict:) precedes willStartRun,
            // and predict never calls willStartRun): keep the weights until the teacher is built.
            pendingTeacherState = state.mapValues { $0.copy() }
        }
    }
}

/// Which views get the input noise (`noise-on`).
enum NoisedViews: String, CaseIterable { case teacher, student, both }

/// The student view's augmentation (`augment`): none, the core's standard preset, or the run's own settings.
enum StudentViewAugmentation: String, CaseIterable { case none, standard, run }
