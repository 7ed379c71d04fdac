import Engine
import Foundation
import NN
import TestSupport
import Testing
@testable import Training

/// A `.joint` test strategy: its student view adds `shift` to the unlabeled images.
final class JointForwardStrategy: Strategy {
    static let name = "joint-forward"
    static let summary = "test strategy with one student pass over labeled and unlabeled images"
    let shift: Float
    var mode: StudentForward = .joint
    /// Whether `supervisedLoss` replaces the default loss without reading `step.logits` (one forward of its own).
    var ownForward = false
    init(options: StrategyOptions) throws {
        shift = Float(options.double("shift", default: 0.5, in: -10...10))
        try options.finish()
    }
    var wantsUnlabeledBatch: Bool { true }
    var studentForward: StudentForward { mode }
    func studentInput(unlabeled: Tensor, _ run: RunContext) throws -> Tensor { unlabeled + shift }
    func supervisedLoss(_ step: StepContext) throws -> Tensor? {
        guard ownForward else { return nil }
        return step.run.model(step.labeledImages).squared().mean()
    }
}

@Suite("StudentForward", .serialized)
struct StudentForwardTests {
    func store() -> CaseStore {
        CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(4, seed: 2), validation: toyCases(2, seed: 3), test: [])
    }
    let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])

    func batch(_ cases: [TrainingCase]) -> Tensor {
        Tensor.concat(cases.map { $0.image.reshaped([1] + [$0.image.shape[0]] + Array($0.image.shape.suffix(2))) }, axis: 0)
    }

    func batchNorms(_ m: Module) -> [BatchNorm] { m.namedModules().compactMap { $0.module as? BatchNorm } }

    @Test func jointPassIsOneForwardOverBothBatches() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try JointForwardStrategy(options: StrategyOptions([:], owner: "joint-forward"))
        let t = try Trainer(config: toyConfig(dir), strategy: s, data: store(), split: split, runDirectory: dir, log: { _ in })
        let run = t.run, model = run.model
        let x = batch(Array(store().labeled.prefix(2))), u = batch(Array(store().unlabeled.prefix(2)))
        let y = Tensor(zeros: [2] + Array(x.shape.suffix(2)))
        model.train()
        let reference = Model.copy(model, run)
        let step = try StepContext.training(labeled: x, targets: y, mask: nil, unlabeled: u, strategy: s, model: model, run: run)
        let tracked = batchNorms(model).first!.numBatchesTracked.item
        let l = step.logits, ul = try #require(step.unlabeledLogits)
        _ = step.logits   // cached: no second pass
        #expect(batchNorms(model).first!.numBatchesTracked.item == tracked + 1, "one train-mode pass")
        // The same numbers as one forward of the concatenated batch (BatchNorm statistics over all four images).
        let all = reference(Tensor.concat([x, u + 0.5], axis: 0))
        #expect(l.shape == [2, 2] + Array(x.shape.suffix(2)) && ul.shape == l.shape)
        #expect(zip(l.scalars + ul.scalars, all.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        // Not the same as the labeled batch alone: its statistics differ.
        let aloneNet = Model.copy(model, run)
        let alone = aloneNet(x)
        #expect(zip(l.scalars, alone.scalars).contains { abs($0 - $1) > 1e-4 })
        // Gradients reach the network from both parts.
        model.zeroGrad()
        (l.mean() + ul.mean()).backward()
        #expect(model.parameters().contains { p in p.grad.map { $0.scalars.contains { $0 != 0 } } ?? false })

        s.mode = .labeled
        let plain = try StepContext.training(labeled: x, targets: y, mask: nil, unlabeled: u, strategy: s, model: model, run: run)
        #expect(plain.unlabeledLogits == nil && plain.logits.shape == l.shape)
    }

    @Test func differentShapesArePaddedToOne() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try JointForwardStrategy(options: StrategyOptions(["shift": "0"], owner: "joint-forward"))
        let t = try Trainer(config: toyConfig(dir), strategy: s, data: store(), split: split, runDirectory: dir, log: { _ in })
        let x = Tensor(repeating: 1, shape: [2, 1, 8, 12]), u = Tensor(repeating: 2, shape: [1, 1, 12, 8])
        let step = try StepContext.training(labeled: x, targets: Tensor(repeating: 1, shape: [2, 8, 12]), mask: Tensor(repeating: 1, shape: [2, 8, 12]),
                                            unlabeled: u, strategy: s, model: t.run.model, run: t.run)
        #expect(step.labeledImages.shape == [2, 1, 12, 12] && step.unlabeledImages?.shape == [1, 1, 12, 12])
        #expect(step.labeledTargets.shape == [2, 12, 12] && step.labeledMask?.shape == [2, 12, 12])
        // Padded voxels: image minimum, background target, ignored by the mask.
        #expect(step.labeledImages.scalars[11 * 12] == 1 && step.labeledTargets.scalars[11 * 12] == 0 && step.labeledMask?.scalars[11 * 12] == 0)
        #expect(step.unlabeledImages!.scalars[11] == 2)
        #expect(step.logits.shape == [2, 2, 12, 12] && step.unlabeledLogits?.shape == [1, 2, 12, 12])
    }

    @Test func aStrategyThatNeverReadsTheLogitsCostsNoPass() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try JointForwardStrategy(options: StrategyOptions([:], owner: "joint-forward"))
        s.mode = .labeled; s.ownForward = true
        var cfg = toyConfig(dir, epochs: 1); cfg.iterationsPerEpoch = 3
        let t = try Trainer(config: cfg, strategy: s, data: store(), split: split, runDirectory: dir, log: { _ in })
        _ = try t.train()
        // 3 steps, one pass each (its own); validation runs in eval mode and tracks nothing.
        #expect(batchNorms(t.run.model).first!.numBatchesTracked.item == 3)
    }
}

/// The trainer's default step, nothing else (supervised training).
final class PlainTestStrategy: Strategy {
    static let name = "plain-test"
    static let summary = "test strategy: the trainer's default"
    init(options: StrategyOptions) throws { try options.finish() }
}

@Suite("Paired data order")
struct PairedDataOrderTests {
    /// Unlabeled batches come from their own generator: a strategy that draws them but adds nothing trains exactly the
    /// supervised network of the same seed (same labeled batches, same augmentation).
    @Test func drawingUnlabeledBatchesLeavesTheLabeledBatchesAlone() throws {
        func weights(_ s: any Strategy) throws -> [String: [Float]] {
            let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
            var cfg = toyConfig(dir, epochs: 2); cfg.augmentation = .standard
            let store = CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(4, seed: 2), validation: toyCases(2, seed: 3), test: [])
            let t = try Trainer(config: cfg, strategy: s, data: store, split: DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: []),
                                runDirectory: dir, log: { _ in })
            _ = try t.train()
            return t.run.model.stateDict().mapValues(\.scalars)
        }
        let counting = try CountingStrategy(options: StrategyOptions([:], owner: "counting"))
        #expect(counting.wantsUnlabeledBatch)
        let a = try weights(try PlainTestStrategy(options: StrategyOptions([:], owner: "plain-test")))
        let b = try weights(counting)
        #expect(a == b)
        #expect(counting.extraLosses == 8)
    }
}

@Suite("RunningStatistics")
struct RunningStatisticsTests {
    @Test func frozenPassesNormaliseByTheBatchButKeepTheBuffers() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try JointForwardStrategy(options: StrategyOptions([:], owner: "joint-forward"))
        let t = try Trainer(config: toyConfig(dir), strategy: s, data: CaseStore(labeled: toyCases(2, seed: 1), unlabeled: toyCases(2, seed: 2), validation: [], test: []),
                            split: DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: []), runDirectory: dir, log: { _ in })
        let run = t.run, model = run.model
        model.train()
        let u = Tensor.concat(toyCases(2, seed: 5).map { $0.image.reshaped([1, 1, 32, 32]) }, axis: 0)
        let before = model.stateDict().filter { $0.key.contains("running_") || $0.key.contains("num_batches") }.mapValues(\.scalars)
        let frozen = run.studentLogits(u, runningStatistics: .labeled)
        let after = model.stateDict().filter { $0.key.contains("running_") || $0.key.contains("num_batches") }.mapValues(\.scalars)
        #expect(before == after, "no buffer moved")
        #expect(frozen.requiresGrad)
        // The same outputs as an updating pass (both use batch statistics), which then moves the buffers.
        let updating = run.studentLogits(u, runningStatistics: .all)
        #expect(zip(frozen.scalars, updating.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
        let moved = model.stateDict().filter { $0.key.contains("running_mean") }.mapValues(\.scalars)
        #expect(moved != before.filter { $0.key.contains("running_mean") })
        #expect(model.namedModules().compactMap { $0.module as? BatchNorm }.allSatisfy { $0.updatesRunningStatistics }, "flag restored")
    }
}

/// Copies of a run's network (same weights and buffers) for reference forwards.
enum Model {
    static func copy(_ m: any SegmentationNetwork, _ run: RunContext) -> any SegmentationNetwork {
        let c = run.makeModel(1)
        c.copyState(from: m)
        c.setTraining(m.training)
        return c
    }
}

@Suite("LargestComponent")
struct LargestComponentTests {
    @Test func keepsTheLargestComponentPerClassAndSample() {
        // Sample 0 (5x5): class 1 has a 3-voxel diagonal component (8-connected) and a 2-voxel one; class 2 one voxel.
        let s0: [Float] = [1, 0, 0, 0, 1,
                           0, 1, 0, 0, 1,
                           0, 0, 1, 0, 0,
                           0, 0, 0, 0, 0,
                           2, 0, 0, 0, 0]
        // Sample 1: two class-1 components of equal size (the first in raster order is kept), class 2 two parts.
        let s1: [Float] = [1, 1, 0, 0, 0,
                           0, 0, 0, 1, 1,
                           2, 0, 0, 0, 0,
                           0, 0, 0, 0, 2,
                           0, 0, 0, 0, 2]
        let out = LargestComponent.filter(Tensor(s0 + s1, shape: [2, 5, 5]), classes: 3).scalars
        #expect(Array(out[0..<25]) == [1, 0, 0, 0, 0,
                                       0, 1, 0, 0, 0,
                                       0, 0, 1, 0, 0,
                                       0, 0, 0, 0, 0,
                                       2, 0, 0, 0, 0])
        #expect(Array(out[25..<50]) == [1, 1, 0, 0, 0,
                                        0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 2,
                                        0, 0, 0, 0, 2])
    }

    @Test func connectsAcrossSlicesIn3D() {
        // [1, 4, 4, 4]: (0,0,0) touches (1,1,1) diagonally (26-connectivity), and (1,1,1) touches (2,2,2); (3,0,3) is alone.
        var v = [Float](repeating: 0, count: 64)
        for (z, y, x) in [(0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 0, 3)] { v[(z * 4 + y) * 4 + x] = 1 }
        let out = LargestComponent.filter(Tensor(v, shape: [1, 4, 4, 4]), classes: 2).scalars
        #expect(out.reduce(0, +) == 3 && out[(3 * 4 + 0) * 4 + 3] == 0)
        // An empty class stays empty.
        #expect(LargestComponent.filter(Tensor(zeros: [1, 4, 4, 4]), classes: 2).scalars.allSatisfy { $0 == 0 })
    }
}
