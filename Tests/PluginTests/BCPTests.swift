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
        #expect(try BCP(options: StrategyOptions([:], owner: "bcp")).lossKind(rank: 4) == .reference && BCP(options: StrategyOptions([:], owner: "bcp")).lossKind(rank: 5) == .run)
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

    /// ACDC_BCP_train.py's DiceLoss with a mask, written out loop by loop: per class over the whole batch,
    /// 1 − (2Σ p·y·m + 1e-10)/(Σ p²·m + Σ y·m + 1e-10), averaged over the classes (background included).
    @Test func referenceDiceIsACDCsSquaredBatchDiceIn2D() {
        var rng = RNG(seed: 4)
        let b = 2, k = 3, h = 5, w = 4, n = h * w
        let logits = Tensor.randn([b, k, h, w], std: 1.5, rng: &rng)
        let target = Tensor((0..<(b * n)).map { _ in Float(rng.int(below: k)) }, shape: [b, h, w])
        let mask = Tensor((0..<(b * n)).map { i in i % 3 == 0 ? 0 : 1 }, shape: [b, h, w])
        let p = logits.softmax(axis: 1).scalars, y = target.scalars, m = mask.scalars
        var expected = 0.0
        for c in 0..<k {
            var inter = 0.0, z = 0.0, ys = 0.0
            for s in 0..<b { for i in 0..<n {
                let pv = Double(p[(s * k + c) * n + i]), yv = y[s * n + i] == Float(c) ? 1.0 : 0.0, mv = Double(m[s * n + i])
                inter += pv * yv * mv; z += pv * pv * mv; ys += yv * yv * mv
            } }
            expected += 1 - (2 * inter + 1e-10) / (z + ys + 1e-10)
        }
        expected /= Double(k)
        #expect(abs(Double(BCP.referenceDice(logits, target, mask: mask, absent: .count).item) - expected) < 1e-5)
        // Every class occurs in the masked target here, so leaving absent classes out changes nothing.
        #expect(abs(Double(BCP.referenceDice(logits, target, mask: mask).item) - expected) < 1e-5)
    }

    /// The 3D phantom collapse (issue #19): in a region whose target has no foreground, the reference's Dice of the
    /// absent class is ε/(Σp + ε), about 0 until the foreground probability vanishes over the whole region, then 1, so
    /// driving the foreground to exactly 0 everywhere is rewarded with half a loss unit (2 classes). With
    /// `absent-classes` skip that term is left out: the loss only sees the present classes.
    @Test func aClassAbsentFromARegionIsNotRewardedForVanishing() throws {
        let d = 2, h = 4, w = 4, n = d * h * w
        // Target: background everywhere except one voxel; the mask keeps a region without that voxel.
        var y = [Float](repeating: 0, count: n); y[0] = 1
        let target = Tensor(y, shape: [1, d, h, w])
        let mask = Tensor((0..<n).map { $0 < n / 2 ? 0 : 1 }, shape: [1, d, h, w])
        func logits(gap: Float) -> Tensor {   // background logit `gap` above the foreground's everywhere
            Tensor([Float](repeating: gap, count: n) + [Float](repeating: 0, count: n), shape: [1, 2, d, h, w])
        }
        let small = logits(gap: 7), vanished = logits(gap: 40)   // foreground p ≈ 9e-4 vs 4e-18 per voxel
        let countGain = BCP.referenceDice(small, target, mask: mask, absent: .count).item
            - BCP.referenceDice(vanished, target, mask: mask, absent: .count).item
        #expect(countGain > 0.45, "the reference rewards vanishing with ~0.5 (got \(countGain))")
        let skipGain = BCP.referenceDice(small, target, mask: mask).item - BCP.referenceDice(vanished, target, mask: mask).item
        #expect(abs(skipGain) < 1e-3, "skip: only the background's Dice changes (got \(skipGain))")
        // The same in 2D (ACDC's batch Dice, ε = 1e-10).
        let t2 = Tensor(Array(y.prefix(h * w)), shape: [1, h, w]), m2 = Tensor((0..<(h * w)).map { $0 < 4 ? 0 : 1 }, shape: [1, h, w])
        func l2(_ gap: Float) -> Tensor { Tensor([Float](repeating: gap, count: h * w) + [Float](repeating: 0, count: h * w), shape: [1, 2, h, w]) }
        #expect(BCP.referenceDice(l2(7), t2, mask: m2, absent: .count).item - BCP.referenceDice(l2(40), t2, mask: m2, absent: .count).item > 0.45)
        #expect(abs(BCP.referenceDice(l2(7), t2, mask: m2).item - BCP.referenceDice(l2(40), t2, mask: m2).item) < 1e-3)
        #expect(try BCP(options: StrategyOptions([:], owner: "bcp")).absentClasses == .skip)
        #expect(try BCP(options: StrategyOptions(["absent-classes": "count"], owner: "bcp")).absentClasses == .count)
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["absent-classes": "drop"], owner: "bcp")) }
    }

    /// LA_BCP_train.py pre-trains on the whole mixed image: ½ (Dice + CE) over every voxel, not per region.
    @Test func wholeImageLossIsOneTermOverEveryVoxel() {
        var rng = RNG(seed: 9)
        let x = Tensor.randn([1, 1, 2, 4, 4], rng: &rng)
        let region = Mixing.region([MixBox(start: [0, 0, 0], size: [1, 2, 4])], like: x)
        let target = Tensor((0..<32).map { Float($0 % 3 == 0 ? 1 : 0) }, shape: [1, 2, 4, 4])
        let logits = Tensor.randn([1, 2, 2, 4, 4], rng: &rng)
        let m = BCP.Mix(images: x, target: target, region: region, outsideWeight: 1, insideWeight: 1)
        let ones = Tensor([Float](repeating: 1, count: 32), shape: [1, 2, 4, 4])
        let expected = (BCP.referenceDice(logits, target, mask: ones).item + Losses.crossEntropy(logits, target).item) * 0.5
        #expect(abs(BCP.loss(logits, m, whole: true).item - expected) < 1e-6)
        #expect(abs(BCP.loss(logits, m).item - expected) > 1e-4, "differs from the per-region loss")
    }

    /// Self-training starts from the pre-training epoch with the best validation Dice (the reference's best model).
    @Test func selfTrainingStartsFromTheBestPretrainingEpoch() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try BCP(options: StrategyOptions(["pretrain": "0.5"], owner: "bcp"))
        var lines: [String] = []
        let t = try Trainer(config: toyConfig(dir, epochs: 4), strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir,
                            log: { lines.append($0) })   // 12 steps: epochs 1-2 pre-training
        _ = try t.train()
        let pre = t.run.validationHistory.prefix(2).map { $0 ?? -1 }
        let best = pre[1] > Double(Float(pre[0])) ? 2 : 1
        #expect(s.pretrainedEpoch == best && s.teacherReady)
        #expect(lines.contains { $0.contains("bcp: self-training starts from pre-training epoch \(best)") })
        #expect(s.stateDict()["pretrained_epoch"]?.item == Float(best) && s.stateDict().keys.contains { $0.hasPrefix("pretrained.model.") })
        let last = try BCP(options: StrategyOptions(["pretrain": "0.5", "start-from": "last"], owner: "bcp"))
        let d2 = tempRunDir()
        defer { try? FileManager.default.removeItem(at: d2) }
        _ = try strategyTrainer(last, dir: d2, epochs: 4).train()
        #expect(last.pretrainedEpoch == 0 && last.teacherReady)
    }

    /// The teacher's pseudo-labels keep the largest connected component per class (`lcc`, the reference's nms=1).
    @Test func largestComponentFilterIsOnByDefault() throws {
        #expect(try BCP(options: StrategyOptions([:], owner: "bcp")).largestComponent)
        #expect(try !BCP(options: StrategyOptions(["lcc": "false"], owner: "bcp")).largestComponent)
    }

    @Test func resumesBitExactly() throws {
        #expect(try resumesExactly { try BCP(options: StrategyOptions([:], owner: "bcp")) })
        // Killed after a pre-training epoch whose weights were kept as the best: they come back from the checkpoint.
        #expect(try resumesExactly { try BCP(options: StrategyOptions(["pretrain": "0.6"], owner: "bcp")) })
    }

    /// The running statistics of every BatchNorm layer of `model`, in stateDict order.
    static func runningStatistics(_ model: any SegmentationNetwork) -> [Float] {
        model.stateDict().filter { $0.key.hasSuffix("running_mean") || $0.key.hasSuffix("running_var") }
            .sorted { $0.key < $1.key }.flatMap { $0.value.scalars }
    }

    /// `running-stats=labeled`: after a BCP step (pre-training and self-training) BatchNorm's running statistics are
    /// those of one plain training-mode pass over the labeled batch, not of the mixed images (issue #20: validation and
    /// test images are never mixed); `all` (the reference) moves them with the mixed passes only.
    @Test func runningStatisticsComeFromThePlainLabeledBatch() throws {
        /// One BCP step with `options`; returns the running statistics after it and those of one plain training-mode
        /// pass over the labeled batch from the same starting weights.
        func step(_ options: [String: String], unlabeled: Bool) throws -> (got: [Float], plain: [Float]) {
            let dir = tempRunDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            let s = try BCP(options: StrategyOptions(options, owner: "bcp"))
            let t = try strategyTrainer(s, dir: dir)
            try s.willStartRun(t.run)
            var rng = RNG(seed: 5)
            let x = Tensor.randn([2, 1, 16, 16], rng: &rng) * 2 + 1, u = Tensor.randn([2, 1, 16, 16], rng: &rng) * 0.5 - 3
            let y = Tensor((0..<512).map { Float(($0 / 7) % 2) }, shape: [2, 16, 16])
            let reference = t.run.makeModel(0)
            reference.copyState(from: t.run.model)
            reference.train()
            _ = withNoGrad { reference(x) }
            t.run.model.train()
            _ = try s.supervisedLoss(try StepContext.training(labeled: x, targets: y, mask: nil, unlabeled: unlabeled ? u : nil,
                                                              strategy: s, model: t.run.model, run: t.run))
            return (BCPTests.runningStatistics(t.run.model), BCPTests.runningStatistics(reference))
        }
        for (pretrain, supWeight) in [("1", "0"), ("1", "1"), ("0", "0"), ("0", "1")] {
            let (got, want) = try step(["pretrain": pretrain, "running-stats": "labeled", "sup-weight": supWeight], unlabeled: true)
            #expect(got.count == want.count && zip(got, want).allSatisfy { abs($0 - $1) < 1e-5 },
                    "pretrain \(pretrain), sup-weight \(supWeight): running statistics of the plain labeled pass only")
        }
        // The reference: only mixed passes, so the statistics differ from the plain pass's.
        let (got, plain) = try step(["pretrain": "1", "running-stats": "all", "sup-weight": "0"], unlabeled: false)
        #expect(zip(got, plain).contains { abs($0 - $1) > 1e-3 })
    }

    /// One BCP step on a labeled batch only (seeded `x` `[2, 1, 16, 16]`, stripes of period `period` as `y`): the loss
    /// and the logits of a plain training-mode pass of the same weights (running statistics left alone).
    static func labeledStep(_ options: [String: String], seed: UInt64, period: Int) throws -> (loss: Float, logits: Tensor, y: Tensor, records: [String: Double]) {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try BCP(options: StrategyOptions(options, owner: "bcp"))
        let t = try strategyTrainer(s, dir: dir)
        try s.willStartRun(t.run)
        var rng = RNG(seed: seed)
        let x = Tensor.randn([2, 1, 16, 16], rng: &rng)
        let y = Tensor((0..<512).map { Float(($0 / period) % 2) }, shape: [2, 16, 16])
        t.run.model.train()
        let l = try s.supervisedLoss(try StepContext.training(labeled: x, targets: y, mask: nil, unlabeled: nil, strategy: s, model: t.run.model, run: t.run))!.item
        return (l, withNoGrad { t.run.model.withFrozenRunningStatistics { t.run.model(x) } }, y, t.run.epochValues)
    }

    /// `sup-weight` w adds w × the run's supervised loss on the plain labeled batch to the mixed terms.
    @Test func supervisedWeightAddsThePlainLabeledLoss() throws {
        func loss(_ w: String) throws -> (Float, Float) {
            let r = try BCPTests.labeledStep(["pretrain": "1", "sup-weight": w], seed: 6, period: 5)
            return (r.loss, toyConfig(FileManager.default.temporaryDirectory).supervisedLoss(r.logits, r.y).item)
        }
        let (l0, _) = try loss("0"), (l2, plain) = try loss("2")
        #expect(abs(l2 - (l0 + 2 * plain)) < 1e-4, "mixed term + 2 × plain supervised loss (got \(l2), \(l0) + 2 × \(plain))")
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["running-stats": "mixed"], owner: "bcp")) }
        // Measured defaults (README, session 6): the plain labeled term and its running statistics are on.
        let d = try BCP(options: StrategyOptions([:], owner: "bcp"))
        #expect(d.supervisedWeight == 1 && d.runningStatistics == .labeled && d.mixProbability == 1 && d.rampUp == 0)
    }

    /// Issue #20's mechanism check, on grids whose axes all differ (2D 5x7, 3D 3x5x7, as odd CT sizes): every voxel of
    /// a mixed image and of its target comes from the same sample and the same (z, y, x) — the pasted one inside the
    /// box, the base one outside — so image and mask axes agree and the box is where the region says.
    @Test func mixedImagesAndTargetsAgreeVoxelByVoxelOnNonSquareGrids() {
        for spatial in [[1, 5, 7], [3, 5, 7]] {
            let n = spatial.reduce(1, *), b = 2
            // Value = 1000·which + 100·sample + voxel index, for images and targets alike.
            func batch(_ which: Int, image: Bool) -> Tensor {
                let v = (0..<(b * n)).map { Float(1000 * which + 100 * ($0 / n)) + Float($0 % n) / 100 }
                let sp = spatial[0] == 1 ? Array(spatial.suffix(2)) : spatial
                return Tensor(v, shape: image ? [b, 1] + sp : [b] + sp)
            }
            var rng = RNG(seed: 11)
            let box = MixBox.random(spatial: spatial, sideFraction: 2.0 / 3.0, rng: &rng)
            let outside = (batch(1, image: true), batch(1, image: false)), inside = (batch(2, image: true), batch(2, image: false))
            let region = BCP.region(box, count: b, like: outside.0)
            let m = BCP.mix(outside: outside, inside: inside, region: region, outsideWeight: 1, insideWeight: 1)
            #expect(box.size == spatial.map { $0 == 1 ? 1 : Int(Double($0) * 2.0 / 3.0) })
            for s in 0..<b { for z in 0..<spatial[0] { for y in 0..<spatial[1] { for x in 0..<spatial[2] {
                let i = s * n + (z * spatial[1] + y) * spatial[2] + x
                let want = Float(1000 * (box.contains(z, y, x) ? 2 : 1) + 100 * s) + Float(i % n) / 100
                #expect(m.images.scalars[i] == want && m.target.scalars[i] == want && region.scalars[i] == (box.contains(z, y, x) ? 1 : 0),
                        "spatial \(spatial), sample \(s), voxel (\(z), \(y), \(x))")
            } } } }
        }
    }

    /// `mix-prob` 0: a step trains on its own images and targets with the same loss (pre-training: the whole labeled
    /// batch; self-training: labeled ground truth weight 1 plus unlabeled pseudo-labels weight `u-weight`); `ramp-up`
    /// scales `u-weight` by the sigmoid ramp of the run's progress.
    @Test func unmixedStepsTrainOnTheirOwnTargetsAndTheUnlabeledWeightRamps() throws {
        let (l, logits, y, records) = try BCPTests.labeledStep(["pretrain": "1", "mix-prob": "0", "sup-weight": "0"], seed: 7, period: 9)
        let ones = Tensor([Float](repeating: 1, count: 512), shape: [2, 16, 16])
        let want = (BCP.referenceDice(logits, y, mask: ones) + Losses.crossEntropy(logits, y)).item * 0.5
        #expect(abs(l - want) < 1e-5, "unmixed pre-training step: ½(Dice + CE) of the plain labeled batch (got \(l), want \(want))")
        #expect(records["bcp_mixed"] == 0)

        let d2 = tempRunDir()
        defer { try? FileManager.default.removeItem(at: d2) }
        let r = try BCP(options: StrategyOptions(["pretrain": "0", "ramp-up": "1"], owner: "bcp"))
        let t2 = try strategyTrainer(r, dir: d2, epochs: 2)   // 6 steps
        try r.willStartRun(t2.run)
        t2.run.globalStep = 3
        t2.run.model.train()
        var rng = RNG(seed: 7)
        let x = Tensor.randn([2, 1, 16, 16], rng: &rng), u = Tensor.randn([2, 1, 16, 16], rng: &rng)
        _ = try r.supervisedLoss(try StepContext.training(labeled: x, targets: y, mask: nil, unlabeled: u, strategy: r, model: t2.run.model, run: t2.run))
        let got = t2.run.epochValues["bcp_u_weight"] ?? -1
        #expect(abs(got - 0.5 * exp(-5 * 0.25)) < 1e-6, "u-weight 0.5 × sigmoid ramp at half the run (got \(got))")
        #expect(try BCP(options: StrategyOptions([:], owner: "bcp")).mixProbability == 1)
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["mix-prob": "1.5"], owner: "bcp")) }
    }

    /// `box-at foreground`: the box keeps its size and always contains a foreground voxel of the pasted labeled
    /// targets (every one of them is reachable), on a non-square 3D grid; without foreground it is not moved.
    @Test func foregroundBoxAlwaysCoversLabeledForeground() throws {
        let spatial = [3, 5, 7], per = 3 * 5 * 7
        var labels = [Float](repeating: 0, count: 2 * per)
        let fg = [per + 0 * 35 + 4 * 7 + 6, per + 2 * 35 + 0 * 7 + 0]      // sample 1: corner voxels (z, y, x) = (0, 4, 6), (2, 0, 0)
        for i in fg { labels[i] = 1 }
        let targets = Tensor(labels, shape: [2] + spatial)
        var rng = RNG(seed: 5)
        var covered = Set<Int>()
        for _ in 0..<200 {
            let b0 = MixBox.random(spatial: spatial, sideFraction: 0.5, rng: &rng)
            let b = BCP.boxCoveringForeground(b0, targets: targets, spatial: spatial, rng: &rng)
            #expect(b.size == b0.size)
            for k in 0..<3 { #expect(b.start[k] >= 0 && b.start[k] + b.size[k] <= spatial[k]) }
            let inside = fg.map { $0 % per }.filter { v in
                let p = [v / 35, (v / 7) % 5, v % 7]
                return (0..<3).allSatisfy { p[$0] >= b.start[$0] && p[$0] < b.start[$0] + b.size[$0] }
            }
            #expect(!inside.isEmpty, "box \(b.start) \(b.size) holds no foreground voxel")
            covered.formUnion(inside)
        }
        #expect(covered.count == 2, "both foreground voxels are drawn")
        let empty = Tensor([Float](repeating: 0, count: per), shape: [1] + spatial)
        let b0 = MixBox(start: [1, 2, 3], size: [1, 2, 3])
        #expect(BCP.boxCoveringForeground(b0, targets: empty, spatial: spatial, rng: &rng) == b0)
        #expect(try BCP(options: StrategyOptions([:], owner: "bcp")).boxPlacement == .random)
        #expect(throws: ConfigError.self) { try BCP(options: StrategyOptions(["box-at": "centre"], owner: "bcp")) }
    }
}
