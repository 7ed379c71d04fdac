import Engine
import Foundation
import NN
import Testing
@testable import BCPPlugin
@testable import Training

@Suite("BCP", .serialized)
struct BCPTests {
    @Test func optionsAreValidated() {
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["box": "0"], owner: "bcp")) }
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["pretrain": "2"], owner: "bcp")) }
    }

    /// Unlabeled image with the labeled box pasted in: the target is the ground truth inside the box and the teacher's
    /// pseudo-label outside; the labeled-outside image the other way round. Weights follow the target's origin.
    @Test func mixedTargetIsGroundTruthInsideTheLabeledRegionAndPseudoLabelOutside() {
        let spatial = [1, 6, 6]
        var rng = RNG(seed: 2)
        let box = MixBox.random(spatial: spatial, sideFraction: 2.0 / 3.0, rng: &rng)
        #expect(box.size == [1, 4, 4])
        let x = Tensor([Float](repeating: 5, count: 36), shape: [1, 1, 6, 6]), gt = Tensor([Float](repeating: 1, count: 36), shape: [1, 6, 6])
        let u = Tensor([Float](repeating: -5, count: 36), shape: [1, 1, 6, 6]), pseudo = Tensor([Float](repeating: 2, count: 36), shape: [1, 6, 6])
        let region = Mixing.region([box], like: x)
        let m = BCP.mix(outside: (u, pseudo), inside: (x, gt), region: region, outsideWeight: 0.5, insideWeight: 1)
        let r = region.scalars, img = m.images.scalars, tgt = m.target.scalars
        for i in 0..<36 {
            let inside = box.contains(0, i / 6, i % 6)
            #expect(r[i] == (inside ? 1 : 0))
            #expect(tgt[i] == (inside ? 1 : 2), "GT inside the labeled box, pseudo-label outside")
            #expect(img[i] == (inside ? 5 : -5), "image follows the same region")
        }
        let other = BCP.mix(outside: (x, gt), inside: (u, pseudo), region: region, outsideWeight: 1, insideWeight: 0.5)
        for i in 0..<36 { #expect(other.target.scalars[i] == (box.contains(0, i / 6, i % 6) ? 2 : 1)) }
    }

    /// A region weighted 0 gives no gradient; each region's term is the masked Dice + CE.
    @Test func lossWeightsEachRegionByItsTargetsOrigin() {
        var rng = RNG(seed: 3)
        let box = MixBox(start: [0, 0, 0], size: [1, 2, 4])
        let x = Tensor.randn([1, 1, 4, 4], rng: &rng)
        let region = Mixing.region([box], like: x)
        let target = Tensor((0..<16).map { Float($0 % 3 == 0 ? 1 : 0) }, shape: [1, 4, 4])
        let logits = Tensor.randn([1, 2, 4, 4], rng: &rng, requiresGrad: true)
        let m = BCP.Mix(images: x, target: target, region: region, outsideWeight: 0, insideWeight: 1)
        BCP.loss(logits, m).backward()
        let g = logits.grad!.scalars
        for c in 0..<2 { for i in 8..<16 { #expect(g[c * 16 + i] == 0, "outside voxels weighted 0") } }
        #expect(g[0] != 0)
    }

    /// `loss=run`: each region's term is the run's configured loss masked to the region, with the region weights.
    @Test func runLossAppliesTheConfiguredLossPerRegion() throws {
        var rng = RNG(seed: 8)
        let x = Tensor.randn([2, 1, 4, 4], rng: &rng)
        let region = Mixing.region([MixBox(start: [0, 0, 0], size: [1, 2, 4]), MixBox(start: [0, 1, 1], size: [1, 2, 2])], like: x)
        let target = Tensor((0..<32).map { Float($0 % 5 == 0 ? 1 : 0) }, shape: [2, 4, 4])
        let logits = Tensor.randn([2, 2, 4, 4], rng: &rng)
        let m = BCP.Mix(images: x, target: target, region: region, outsideWeight: 0.5, insideWeight: 1)
        var cfg = toyConfig(tempRunDir()); cfg.loss = .diceCE
        let got = BCP.loss(logits, m, kind: .run, config: cfg).item
        let expected = (cfg.supervisedLoss(logits, target, mask: 1 - region).item * 0.5 + cfg.supervisedLoss(logits, target, mask: region).item) * 0.5
        #expect(abs(got - expected) < 1e-6)
        #expect(abs(got - BCP.loss(logits, m).item) > 1e-4, "differs from the reference's background-inclusive Dice")
        #expect(try BCP(options: StrategyOptions([:], owner: "bcp")).lossKind == .reference)
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["loss": "dice"], owner: "bcp")) }
    }

    @Test func teacherIsBuiltFromThePretrainedStudentAfterPretraining() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try BCP(options: StrategyOptions(["pretrain": "0.5"], owner: "bcp"))
        let t = try strategyTrainer(s, dir: dir, epochs: 2)    // 6 steps: 3 pre-training, 3 self-training
        try s.willStartRun(t.run)
        #expect(!s.teacherReady && s.stateDict()["teacher_ready"]?.item == 0, "no teacher during pre-training")
        _ = try t.train()
        #expect(s.teacherReady && s.stateDict()["teacher_ready"]?.item == 1)
        #expect(try s.predict(toyStore().validation[0].image, t.run) == nil, "predicts with the student by default")
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(csv.contains("bcp_stage") && csv.contains("bcp_loss"))
    }

    @Test func resumesBitExactly() throws {
        #expect(try resumesExactly { try BCP(options: StrategyOptions([:], owner: "bcp")) })
    }
}
