import Engine
import Foundation
import NN
import Testing
@testable import Training
@testable import UDAPlugin

@Suite("UDA plugin")
struct UDATests {
    /// A trainer on the toy data and its run context, plus the toy unlabeled images as a model-layout batch.
    func setup(_ opts: [String: String]) throws -> (UDA, Trainer, Tensor, URL) {
        let dir = tempRunDir()
        let uda = try UDA(options: StrategyOptions(opts, owner: "uda"))
        let t = try Trainer(config: toyConfig(dir), strategy: uda, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        try uda.willStartRun(t.run)
        let u = Tensor.concat(t.run.data.unlabeled.prefix(2).map { $0.image }, axis: 0)   // [2, 1, 32, 32]
        return (uda, t, u, dir)
    }

    @Test func validatesOptions() {
        for bad in [["temperature": "0"], ["loss": "l1"], ["tsa": "cosine"], ["augmentation": "heavy"], ["threshold": "2"], ["wieght": "1"]] {
            #expect(throws: ConfigError.self) { try UDA(options: StrategyOptions(bad, owner: "uda")) }
        }
        #expect(throws: Never.self) { try UDA(options: StrategyOptions(["loss": "mse", "tsa": "exp", "augmentation": "seed-workflow"], owner: "uda")) }
    }

    @Test func consistencyIsExactlyZeroForIdenticalPredictions() throws {
        for loss in ["kl", "mse"] {
            let (uda, t, u, dir) = try setup(["augmentation": "none", "temperature": "1", "threshold": "0", "loss": loss])
            defer { try? FileManager.default.removeItem(at: dir) }
            let (l, target) = try uda.consistencyLoss(u, run: t.run)
            #expect(l.item == 0, "\(loss): same network, no augmentation, no sharpening -> loss exactly 0")
            #expect(target.maskRatio == 1)
        }
    }

    @Test func consistencyIsPositiveUnderAugmentationOrSharpening() throws {
        for opts in [["augmentation": "seed-workflow", "temperature": "1", "threshold": "0"],
                     ["augmentation": "none", "temperature": "0.4", "threshold": "0"],
                     ["augmentation": "seed-workflow", "loss": "mse", "threshold": "0"]] {
            let (uda, t, u, dir) = try setup(opts)
            defer { try? FileManager.default.removeItem(at: dir) }
            let (l, target) = try uda.consistencyLoss(u, run: t.run)
            #expect(l.item > 0, "\(opts)")
            #expect(!target.probabilities.requiresGrad && !target.logProbabilities.requiresGrad && !target.mask.requiresGrad)
            if opts["augmentation"] == "seed-workflow" { #expect(target.maskRatio < 1, "voxels warped in from outside the image are masked") }
        }
    }

    @Test func confidenceMaskUsesThreshold() throws {
        // Two voxels: max probabilities sigmoid(2) ~ 0.88 and sigmoid(0.4) ~ 0.60.
        let logits = Tensor([2, 0.4, 0, 0], shape: [1, 2, 1, 2])
        let t = UDAConsistency.target(logits: logits, grids: [], temperature: 1, threshold: 0.8)
        #expect(t.mask.scalars == [1, 0] && t.kept == 1)
        // Sharpening: p^(1/T) renormalised.
        let s = UDAConsistency.target(logits: logits, grids: [], temperature: 0.5, threshold: 0)
        let p = Float(1 / (1 + exp(-2.0))), q = p * p / (p * p + (1 - p) * (1 - p))
        #expect(abs(s.probabilities.scalars[0] - q) < 1e-5)
    }

    @Test func targetIsWarpedWithTheStudentsGrid() throws {
        // A horizontal flip: the target of the flipped student is the flipped prediction.
        let logits = Tensor([3, 1, 0, -1, 0, 0, 0, 0], shape: [1, 2, 1, 4])
        var flip = SamplingGrid.identity(shape: [1, 1, 4])
        for x in 0..<4 { flip.coords[2 * 4 + x] = Float(3 - x) }
        let t = UDAConsistency.target(logits: logits, grids: [flip], temperature: 1, threshold: 0)
        let p = withNoGrad { logits.softmax(axis: 1).scalars }
        #expect(t.probabilities.scalars[0] == p[3] && t.probabilities.scalars[3] == p[0])
        #expect(t.mask.scalars == [1, 1, 1, 1])
    }

    @Test func gradientFlowsOnlyThroughTheStudentBranch() throws {
        let (_, t, u, dir) = try setup(["augmentation": "none"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = t.run.model
        let xt = Tensor(u.scalars, shape: u.shape, requiresGrad: true)
        let xs = Tensor(u.scalars, shape: u.shape, requiresGrad: true)
        // Even target logits recorded WITH a tape must not pass gradient: the target is detached.
        let target = UDAConsistency.target(logits: model(xt), grids: [], temperature: 0.5, threshold: 0)
        #expect(!target.probabilities.requiresGrad && !target.logProbabilities.requiresGrad)
        model.zeroGrad()
        let loss = UDAConsistency.klDivergence(studentLogits: model(xs), target: target)
        #expect(loss.item > 0)
        loss.backward()
        #expect(xt.grad == nil, "no gradient reaches the target's input")
        #expect(xs.grad != nil, "the student's input receives gradient")
        #expect(model.parameters().contains { ($0.grad?.scalars.contains { $0 != 0 }) ?? false })
    }

    @Test func tsaSchedulesAndMask() {
        #expect(TSASchedule.linear.threshold(progress: 0, classes: 2) == 0.5)
        #expect(TSASchedule.linear.threshold(progress: 0.5, classes: 2) == 0.75)
        #expect(abs(TSASchedule.exp.alpha(1) - 1) < 1e-12 && TSASchedule.exp.alpha(0) < 0.007)
        #expect(TSASchedule.log.alpha(0) == 0 && TSASchedule.log.alpha(1) > 0.99)
        // Correct-class probabilities ~0.88 and ~0.60 with eta 0.75: the first voxel is masked out.
        let logits = Tensor([2, 0, 0, 0.4], shape: [1, 2, 1, 2])
        let (m, kept) = TSASchedule.mask(logits: logits, target: Tensor([0, 1], shape: [1, 1, 2]), eta: 0.75, mask: nil)
        #expect(m.scalars == [0, 1] && kept == 0.5)
        let (m2, _) = TSASchedule.mask(logits: logits, target: Tensor([0, 1], shape: [1, 1, 2]), eta: 0.75, mask: Tensor([1, 0], shape: [1, 1, 2]))
        #expect(m2.scalars == [0, 0], "the step's own mask is kept")
    }

    @Test func tsaNeedsCrossEntropy() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let uda = try UDA(options: StrategyOptions(["tsa": "linear"], owner: "uda"))
        var cfg = toyConfig(dir); cfg.loss = .dice
        let t = try Trainer(config: cfg, strategy: uda, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        #expect(throws: TrainingError.self) { try t.train() }
    }

    @Test func trainsThroughTheTrainerWithMetrics() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let uda = try UDA(options: StrategyOptions(["tsa": "linear", "ramp-up": "0.5"], owner: "uda"))
        #expect(uda.wantsUnlabeledBatch)
        let t = try Trainer(config: toyConfig(dir), strategy: uda, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect(r.epochs == 2 && r.bestValidationDice != nil)
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let header = csv.split(separator: "\n")[0]
        for k in ["uda_consistency", "uda_mask_ratio", "uda_weight", "uda_tsa_eta", "uda_tsa_kept"] { #expect(header.contains(k)) }
    }

    @Test func resumeAfterACrashIsExact() throws {
        let opts = ["tsa": "log", "augmentation": "standard", "ramp-up": "0.5"]
        func trainer(_ dir: URL, _ s: any Strategy) throws -> Trainer {
            try Trainer(config: toyConfig(dir, epochs: 3), strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        }
        let a = tempRunDir(), b = tempRunDir()
        defer { for d in [a, b] { try? FileManager.default.removeItem(at: d) } }
        let tA = try trainer(a, try UDA(options: StrategyOptions(opts, owner: "uda")))
        _ = try tA.train()
        let tB1 = try trainer(b, Crashing(try UDA(options: StrategyOptions(opts, owner: "uda")), crashAt: 2))
        #expect(throws: TrainingError.self) { _ = try tB1.train() }
        let tB2 = try trainer(b, try UDA(options: StrategyOptions(opts, owner: "uda")))
        _ = try tB2.train(resume: true)
        #expect(tB2.run.model.parameters().flatMap { $0.scalars } == tA.run.model.parameters().flatMap { $0.scalars })
    }
}
