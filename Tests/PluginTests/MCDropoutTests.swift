import Engine
import Foundation
import MCDropoutPlugin
import NN
import TestSupport
import Testing
import Training

@Suite("MC dropout plugin")
struct MCDropoutTests {
    func strategy(_ opts: [String: String]) throws -> MCDropout { try MCDropout(options: StrategyOptions(opts, owner: "mc-dropout")) }

    /// A base-4, depth-2 2D U-Net configured by `s`, and one toy image `[1, 1, 32, 32]`.
    func net(_ s: MCDropout) -> (any SegmentationNetwork, Tensor, SlidingWindow) {
        var spec = NetworkSpec(name: "unet", dims: 2, base: 4, depth: 2)
        s.configure(model: &spec)
        return (NetworkRegistry.build(spec, seed: 3), toyCases(1, seed: 9)[0].image, SlidingWindow(patch: [1, 32, 32]))
    }

    @Test func rejectsBadOptions() {
        #expect(throws: ConfigError.self) { try strategy(["p": "1"]) }
        #expect(throws: ConfigError.self) { try strategy(["where": "middle"]) }
        #expect(throws: ConfigError.self) { try strategy(["sampels": "3"]) }
        #expect(throws: ConfigError.self) { try strategy(["batch-passes": "some"]) }
        #expect(throws: ConfigError.self) { try strategy(["batch-passes": "1001"]) }
    }

    /// `batch-passes=auto` (the default) batches passes up to 2^20 voxels per forward: all T for a 2D slice, one at a
    /// time for a 64x128x128 patch (measured slower batched); an explicit number is kept.
    @Test func batchPassesAutoFollowsThePatchSize() throws {
        #expect(try strategy([:]).batchPasses == nil)
        #expect(try strategy(["batch-passes": "0"]).batchPasses == 0)
        #expect(try strategy(["batch-passes": "3"]).batchPasses == 3)
        #expect(MCDropout.autoBatchPasses(patch: [1, 256, 256], samples: 8) == 8)
        #expect(MCDropout.autoBatchPasses(patch: [64, 128, 128], samples: 10) == 1)
        #expect(MCDropout.autoBatchPasses(patch: [32, 64, 64], samples: 10) == 8)
        #expect(MCDropout.autoBatchPasses(patch: [96, 160, 160], samples: 10) == 1)
    }

    @Test func configurePlacesDropout() throws {
        // The U-Net maps the plan onto its DoubleConvs (UNet.config(for:)).
        func unet(_ opts: [String: String], depth: Int = 2) throws -> UNetConfig {
            var spec = NetworkSpec(name: "unet", dims: 2, base: 4, depth: depth)
            try strategy(opts).configure(model: &spec)
            return UNet.config(for: spec)
        }
        let cfg = try unet(["where": "encoder", "p": "0.3"])
        #expect(cfg.encoderDropout == [0.3, 0.3, 0.3] && cfg.decoderDropout.isEmpty)
        let both = try unet(["where": "both"])
        #expect(both.encoderDropout == [0.5, 0.5, 0.5] && both.decoderDropout == [0.5, 0.5])
        #expect(UNet(both).namedModules().filter { $0.module is Dropout }.count == 5)
        // Default: SSL4MIS's U-Net, encoder dropout [0.05, 0.1, 0.2, 0.3, 0.5] at depth 4, none in the decoder.
        let ramp = try unet([:], depth: 4)
        #expect(zip(ramp.encoderDropout, [0.05, 0.1, 0.2, 0.3, 0.5] as [Float]).allSatisfy { abs($0 - $1) < 1e-7 } && ramp.decoderDropout.isEmpty)
        #expect(ramp.encoderDropout.count == 5)
        let ramp2 = try unet([:])
        #expect(zip(ramp2.encoderDropout, [0.05, 0.2, 0.5] as [Float]).allSatisfy { abs($0 - $1) < 1e-7 })
        #expect(try strategy([:]).samples == 8)
    }

    @Test func statisticsOnKnownSamples() {
        // Two samples, two classes, one voxel: p1 = (0.2, 0.8), p2 = (0.6, 0.4).
        let a = Tensor([0.2, 0.8], shape: [2, 1, 1, 1]), b = Tensor([0.6, 0.4], shape: [2, 1, 1, 1])
        let p = MCStatistics.summarize([a, b])
        #expect(abs(p.probabilities.scalars[1] - 0.6) < 1e-6)
        #expect(abs((p.uncertainty["variance"]?.item ?? -1) - 0.04) < 1e-6)   // var of fg prob = ((0.2)^2 + (0.2)^2) / 2
        func h(_ q: [Float]) -> Float { -q.reduce(0) { $0 + $1 * logf($1) } }
        #expect(abs((p.uncertainty["entropy"]?.item ?? -1) - h([0.4, 0.6])) < 1e-6)
        let mi = h([0.4, 0.6]) - (h([0.2, 0.8]) + h([0.6, 0.4])) / 2
        #expect(abs((p.uncertainty["mutual_information"]?.item ?? -1) - mi) < 1e-6)
        #expect(p.extras["mc_mask_sum"]?.item == 1)
    }

    @Test func varianceIsZeroWithoutDropoutAndPositiveWithIt() throws {
        let zero = try strategy(["p": "0"])
        let (m0, img, w) = net(zero)
        let s0 = MCStatistics.summarize(try MCDropout.sample(img, model: m0, classes: 2, window: w, samples: 4, batchPasses: 0, seed: 1))
        #expect((s0.uncertainty["variance"]?.scalars.max() ?? 1) < 1e-12)
        #expect((s0.uncertainty["mutual_information"]?.scalars.max() ?? 1) < 1e-5)
        let half = try strategy(["p": "0.5", "where": "both"])
        let (m1, _, _) = net(half)
        let s1 = MCStatistics.summarize(try MCDropout.sample(img, model: m1, classes: 2, window: w, samples: 4, batchPasses: 0, seed: 1))
        #expect((s1.uncertainty["variance"]?.mean().item ?? 0) > 1e-6)
        #expect((s1.uncertainty["mutual_information"]?.mean().item ?? 0) > 0)
        let sums = s1.probabilities.sum(axes: [0]).scalars
        #expect(sums.allSatisfy { abs($0 - 1) < 1e-4 })
    }

    @Test func samplingIsReproducibleAndRestoresTheModel() throws {
        let s = try strategy(["p": "0.5"])
        let (m, img, w) = net(s)
        m.train()
        let drops = m.namedModules().compactMap { $0.module as? Dropout }
        let before = drops.map { $0.rng }
        let a = try MCDropout.sample(img, model: m, classes: 2, window: w, samples: 3, batchPasses: 0, seed: 7)
        let b = try MCDropout.sample(img, model: m, classes: 2, window: w, samples: 3, batchPasses: 0, seed: 7)
        let c = try MCDropout.sample(img, model: m, classes: 2, window: w, samples: 3, batchPasses: 0, seed: 8)
        #expect(zip(a, b).allSatisfy { $0.scalars == $1.scalars })
        #expect(!zip(a, c).allSatisfy { $0.scalars == $1.scalars })
        #expect(zip(a[0].scalars, a[1].scalars).contains { $0 != $1 })   // passes differ from each other
        #expect(m.training && drops.map { $0.rng } == before && drops.allSatisfy { !$0.alwaysActive })
        // One pass per forward call gives T passes of the same kind (rows of a batch draw their own masks).
        let single = try MCDropout.sample(img, model: m, classes: 2, window: w, samples: 3, batchPasses: 1, seed: 7)
        #expect(single.count == 3 && single.allSatisfy { $0.shape == [2, 1, 32, 32] })
    }

    @Test func trainsThroughTheTrainerAndFillsUncertainty() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let s = try strategy(["samples": "3"])
        let t = try Trainer(config: toyConfig(dir), strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect(r.epochs == 2 && r.bestValidationDice != nil)
        try t.loadBest()
        let img = toyCases(1, seed: 5)[0].image
        let p1 = try t.predict(img), p2 = try t.predict(img)
        #expect(Set(p1.uncertainty.keys) == ["entropy", "mutual_information", "variance"])
        #expect(p1.extras["mc_mask_sum"] != nil)
        #expect(p1.probabilities.scalars == p2.probabilities.scalars)
    }
}
