import Engine
import Foundation
import NN
import Testing
@testable import MeanTeacherPlugin
@testable import Training

@Suite("MeanTeacher", .serialized)
struct MeanTeacherTests {
    func make(_ opts: [String: String], config: ((inout TrainConfig) -> Void)? = nil) throws -> (MeanTeacher, Trainer, URL) {
        let dir = tempRunDir()
        let s = try MeanTeacher(options: StrategyOptions(opts, owner: "mean-teacher"))
        var cfg = toyConfig(dir)
        config?(&cfg)
        let t = try Trainer(config: cfg, strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        return (s, t, dir)
    }

    /// Two unlabeled toy images in model layout `[2, 1, 32, 32]`.
    func unlabeledBatch() -> Tensor {
        Tensor.concat(toyStore().unlabeled.prefix(2).map { $0.image.reshaped([1, 1, 32, 32]) }, axis: 0)
    }

    func fill(_ m: Module, _ v: Float) {
        for p in m.parameters() { p.withMutableData { for i in 0..<$0.count { $0[i] = v } } }
    }

    @Test func optionsAreValidated() {
        #expect(throws: ConfigError.self) { try MeanTeacher(options: StrategyOptions(["wieght": "1"], owner: "mean-teacher")) }
        #expect(throws: ConfigError.self) { try MeanTeacher(options: StrategyOptions(["loss": "l1"], owner: "mean-teacher")) }
        #expect(throws: ConfigError.self) { try MeanTeacher(options: StrategyOptions(["alpha": "1.5"], owner: "mean-teacher")) }
        #expect(throws: ConfigError.self) { try MeanTeacher(options: StrategyOptions(["predict-with": "both"], owner: "mean-teacher")) }
    }

    @Test func defaultsFollowSSL4MIS() throws {
        // SSL4MIS train_mean_teacher_2D.py: consistency 0.1 ramped over the run, ema_decay 0.99 with warm-up, noise
        // clamp(randn * 0.1, -0.2, 0.2) on the teacher's input only, MSE on softmax, the student predicts.
        let s = try MeanTeacher(options: StrategyOptions([:], owner: "mean-teacher"))
        #expect(s.weight == 0.1 && s.rampUp == 1 && s.alpha == 0.99 && s.alphaFinal == 0.99 && s.emaWarmup && s.horizon == 0)
        #expect(s.noise == 0.1 && s.noiseOnTeacher && !s.noiseOnStudent && s.lossKind == .mse && s.augment == .none)
        #expect(!s.predictWithTeacher)
        // Measured on the real CT (README): a separate student pass that leaves BatchNorm's running statistics alone.
        #expect(s.forward == .labeled && s.runningStatistics == .labeled)
        var rng = RNG(seed: 3)
        let n = s.clampedNoise([4000], &rng).scalars
        #expect(n.allSatisfy { abs($0) <= 0.2 } && n.contains { abs($0) == 0.2 } && n.contains { abs($0) < 0.2 && $0 != 0 })
        #expect(throws: ConfigError.self) { try MeanTeacher(options: StrategyOptions(["noise-on": "neither"], owner: "mean-teacher")) }
    }

    @Test func horizonCapsTheDecayToAFractionOfTheRun() throws {
        let capped = try MeanTeacher(options: StrategyOptions(["horizon": "0.1"], owner: "mean-teacher"))
        #expect(abs(capped.decay(step: 1000, progress: 0.5, totalSteps: 120) - Float(1 - 1.0 / 12)) < 1e-6, "horizon 10% of 120 steps")
        #expect(abs(capped.decay(step: 1000, progress: 0.5, totalSteps: 100_000) - 0.99) < 1e-6, "long runs keep alpha")
        let off = try MeanTeacher(options: StrategyOptions([:], owner: "mean-teacher"))
        #expect(abs(off.decay(step: 1000, progress: 0.5, totalSteps: 120) - 0.99) < 1e-6)
    }

    @Test func emaUpdateIsAlphaOldPlusOneMinusAlphaStudent() throws {
        let (s, t, dir) = try make(["alpha": "0.75", "ema-warmup": "false", "horizon": "0"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = t.run
        try s.willStartRun(run)
        let teacher = try #require(s.teacher)
        #expect(teacher.parameters().flatMap { $0.scalars } == run.model.parameters().flatMap { $0.scalars }, "teacher starts as a copy")
        // Exact arithmetic: 0.75 * 2 + 0.25 * 4 = 2.5.
        fill(teacher, 2); fill(run.model, 4)
        run.globalStep = 1
        try s.updateTeacher(run)
        #expect(teacher.parameters().allSatisfy { $0.scalars.allSatisfy { $0 == 2.5 } })
        // General values: elementwise alpha * old + (1 - alpha) * student; buffers (BatchNorm statistics) copied.
        var rng = RNG(seed: 7)
        for p in run.model.parameters() { p.withMutableData { for i in 0..<$0.count { $0[i] = rng.normal() } } }
        let old = teacher.parameters().map { $0.scalars }, student = run.model.parameters().map { $0.scalars }
        try s.updateTeacher(run)
        for (k, p) in teacher.parameters().enumerated() {
            for (i, v) in p.scalars.enumerated() { #expect(abs(v - (0.75 * old[k][i] + 0.25 * student[k][i])) <= 1e-6) }
        }
        let params = Set(teacher.namedParameters().map { $0.name }), studentState = run.model.stateDict()
        for (name, b) in teacher.namedStates() where !params.contains(name) {
            #expect(b.scalars == studentState[name]?.scalars, "buffer \(name) copied from the student")
        }
    }

    @Test func decayScheduleWarmsUpAndSwitchesAfterRampUp() throws {
        let s = try MeanTeacher(options: StrategyOptions(["alpha-final": "0.999", "ramp-up": "0.3"], owner: "mean-teacher"))
        #expect(s.decay(step: 1, progress: 0) == 0.5)
        #expect(s.decay(step: 1000, progress: 0.1) == 0.99)
        #expect(s.decay(step: 5000, progress: 0.5) == 0.999)
        let plain = try MeanTeacher(options: StrategyOptions(["ema-warmup": "false"], owner: "mean-teacher"))
        #expect(plain.decay(step: 1, progress: 0.9) == 0.99)
    }

    @Test func consistencyIsZeroForIdenticalNetworksWithoutNoiseAndPositiveOtherwise() throws {
        let u = unlabeledBatch()
        for loss in ["mse", "kl"] {
            let (s, t, dir) = try make(["noise": "0", "loss": loss])
            defer { try? FileManager.default.removeItem(at: dir) }
            try s.willStartRun(t.run)
            t.run.model.train()
            let zero = try s.consistencyLoss(u, t.run).item
            #expect(abs(zero) <= 1e-6, "\(loss): identical weights, identical views -> \(zero)")
            if loss == "mse" { #expect(zero == 0) }
            // Different weights -> positive.
            let teacher = try #require(s.teacher)
            for p in teacher.parameters() { p.withMutableData { for i in 0..<$0.count { $0[i] *= 0.5 } } }
            #expect(try s.consistencyLoss(u, t.run).item > 1e-6, "\(loss): different teacher")
        }
        // Noise on either view -> positive even with identical weights.
        for view in ["teacher", "student", "both"] {
            let (s, t, dir) = try make(["noise": "0.3", "noise-on": view])
            defer { try? FileManager.default.removeItem(at: dir) }
            try s.willStartRun(t.run)
            #expect(try s.consistencyLoss(u, t.run).item > 0, "noise on \(view)")
        }
    }

    @Test func gradientsReachOnlyTheStudent() throws {
        for augment in ["none", "standard"] {
            let (s, t, dir) = try make(["noise": "0.1", "augment": augment, "ramp-up": "0"])
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = t.run
            try s.willStartRun(run)
            let teacher = try #require(s.teacher)
            let x = unlabeledBatch()
            let step = StepContext(labeledImages: x, labeledTargets: Tensor(zeros: [2, 32, 32]), labeledMask: nil, logits: run.model(x),
                                   unlabeledImages: x, spatialShape: [1, 32, 32], run: run)
            let loss = try #require(try s.additionalLoss(step))
            #expect(loss.requiresGrad && loss.item.isFinite && loss.item > 0)
            run.model.zeroGrad(); teacher.zeroGrad()
            loss.backward()
            #expect(teacher.parameters().allSatisfy { p in p.grad.map { $0.scalars.allSatisfy { $0 == 0 } } ?? true }, "no gradient in the teacher (\(augment))")
            #expect(run.model.parameters().contains { p in p.grad.map { $0.scalars.contains { $0 != 0 } } ?? false }, "student gets gradients (\(augment))")
            #expect(run.epochValues["consistency"] != nil)
        }
    }

    @Test func trainsThroughTheTrainerAndPredictsWithTheTeacher() throws {
        for opts in [["predict-with": "teacher"], ["loss": "kl", "augment": "standard", "alpha-final": "0.999"], ["forward": "joint", "augment": "standard", "noise-on": "both", "running-stats": "all"]] {
            let (s, t, dir) = try make(opts)
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try t.train()
            #expect(r.epochs == 2 && r.bestValidationDice != nil)
            let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
            #expect(csv.split(separator: "\n").first?.contains("consistency") == true)
            #expect(s.stateDict().keys.contains { $0.hasPrefix("teacher.") })
            // A fresh process (`semiseg predict`): load(stateDict:) before any willStartRun, then predict.
            try t.loadBest()
            let image = toyStore().validation[0].image
            let p1 = try t.predict(image).probabilities.scalars
            let s2 = try MeanTeacher(options: StrategyOptions(opts, owner: "mean-teacher"))
            let t2 = try Trainer(config: t.config, strategy: s2, data: CaseStore(labeled: [], unlabeled: [], validation: [], test: []),
                                 split: emptySplit, runDirectory: dir, forInference: true, log: { _ in })
            try t2.loadBest()
            #expect(try t2.predict(image).probabilities.scalars == p1)
            let teacherP = t.run.plainProbabilities(image, model: try #require(s.teacher)).scalars
            if opts["predict-with"] == "teacher" {
                #expect(p1 == teacherP, "predict-with=teacher predicts with the teacher")
                #expect(p1 != t.run.plainProbabilities(image).scalars, "teacher differs from the student")
            } else {
                #expect(p1 == t.run.plainProbabilities(image).scalars && p1 != teacherP, "the default predicts with the student")
            }
        }
    }

    /// Resume after a crash: the run is configured for 4 epochs from the start (ramp-ups depend on the total number of
    /// steps, so "train 2 epochs, then resume with 4" would be a different run) and is interrupted before epoch 3.
    @Test func resumeAfterACrashGivesIdenticalStudentAndTeacher() throws {
        func runOnce(dir: URL, crashBeforeEpoch: Int?, resume: Bool) throws -> ([Float], [Float]) {
            let mt = try MeanTeacher(options: StrategyOptions(["augment": "run", "alpha-final": "0.999"], owner: "mean-teacher"))
            let s = MeanTeacherCrashing(mt, beforeEpoch: crashBeforeEpoch)
            var cfg = toyConfig(dir, epochs: 4)
            cfg.augmentation = .standard
            let t = try Trainer(config: cfg, strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
            do { _ = try t.train(resume: resume) } catch is MeanTeacherSimulatedCrash { return ([], []) }
            return (t.run.model.parameters().flatMap { $0.scalars }, try #require(mt.teacher).stateDict().sorted { $0.key < $1.key }.flatMap { $0.value.scalars })
        }
        let a = tempRunDir(), c = tempRunDir()
        defer { for d in [a, c] { try? FileManager.default.removeItem(at: d) } }
        let full = try runOnce(dir: a, crashBeforeEpoch: nil, resume: false)
        _ = try runOnce(dir: c, crashBeforeEpoch: 2, resume: false)
        let resumed = try runOnce(dir: c, crashBeforeEpoch: nil, resume: true)
        #expect(!full.0.isEmpty && !full.1.isEmpty)
        #expect(resumed.0 == full.0, "student weights identical after resume")
        #expect(resumed.1 == full.1, "teacher weights identical after resume")
    }
}

struct MeanTeacherSimulatedCrash: Error {}

/// Delegates every hook to a wrapped strategy and throws at the start of one epoch (a simulated crash).
final class MeanTeacherCrashing: Strategy {
    static let name = "crashing"
    static let summary = "test wrapper"
    let inner: any Strategy
    let beforeEpoch: Int?
    init(options: StrategyOptions) throws { fatalError("use init(_:beforeEpoch:)") }
    init(_ inner: any Strategy, beforeEpoch: Int?) { self.inner = inner; self.beforeEpoch = beforeEpoch }
    var wantsUnlabeledBatch: Bool { inner.wantsUnlabeledBatch }
    var evaluatesLastCheckpoint: Bool { inner.evaluatesLastCheckpoint }
    func configure(model: inout NetworkSpec) { inner.configure(model: &model) }
    func willStartRun(_ run: RunContext) throws { try inner.willStartRun(run) }
    func willStartEpoch(_ run: RunContext) throws {
        if run.epoch == beforeEpoch { throw MeanTeacherSimulatedCrash() }
        try inner.willStartEpoch(run)
    }
    func supervisedLoss(_ step: StepContext) throws -> Tensor? { try inner.supervisedLoss(step) }
    func additionalLoss(_ step: StepContext) throws -> Tensor? { try inner.additionalLoss(step) }
    func didFinishStep(_ run: RunContext, _ step: StepContext) throws { try inner.didFinishStep(run, step) }
    func didFinishEpoch(_ run: RunContext) throws -> TrainingControl { try inner.didFinishEpoch(run) }
    func predict(_ image: Tensor, _ run: RunContext) throws -> Prediction? { try inner.predict(image, run) }
    func stateDict() -> [String: Tensor] { inner.stateDict() }
    func load(stateDict: [String: Tensor]) throws { try inner.load(stateDict: stateDict) }
}
