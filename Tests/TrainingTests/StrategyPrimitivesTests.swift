import Engine
import Foundation
import NN
import TestSupport
import Testing
@testable import Training

/// The primitives strategies share: weak/strong views, box mixing, extra networks with their own state.
@Suite("StrategyPrimitives", .serialized)
struct StrategyPrimitivesTests {
    /// A batch `[2, 1, 16, 16]` of distinct ramps.
    func batch() -> Tensor {
        Tensor((0..<512).map { Float($0 % 256) / 256 + Float($0 / 256) }, shape: [2, 1, 16, 16])
    }

    @Test func strongViewSharesTheWeakViewsGeometryAndGridsMoveMaps() throws {
        var flips = AugmentationConfig()
        flips.flipProbability = 0.5; flips.rotationProbability = 1; flips.rotationDegrees = 10
        let plain = try ViewAugmentation(weak: flips, strong: AugmentationConfig(), cutOutProbability: 0)
        var rng = RNG(seed: 5)
        let x = batch()
        let v = plain.views(of: x, rng: &rng)
        #expect(v.weak.shape == x.shape && v.strong.shape == x.shape)
        #expect(v.strong.scalars == v.weak.scalars, "no strong intensity transform: the views coincide")
        #expect(v.grids.contains { !$0.isIdentity() })
        // The views' grids move a map of the source image exactly as the image was moved.
        let moved = v.warp(x, interpolation: .linear)
        for (a, b) in zip(moved.scalars, v.weak.scalars) { #expect(abs(a - b) < 1e-5) }
        // Label maps [B, H, W] follow too (nearest).
        let labels = Tensor(x.scalars.map { $0 > 0.5 ? 1 : 0 }, shape: [2, 16, 16])
        #expect(v.warp(labels, interpolation: .nearest).shape == [2, 16, 16])
    }

    @Test func strongViewPerturbsIntensitiesAndCutsOutABox() throws {
        var s = AugmentationConfig()
        s.brightnessProbability = 1; s.brightnessRange = [1.5, 1.5]
        let va = try ViewAugmentation(weak: AugmentationConfig(), strong: s, cutOutProbability: 1)
        var rng = RNG(seed: 6)
        let x = batch()
        let v = va.views(of: x, rng: &rng)
        #expect(v.weak.scalars == x.scalars, "no weak transform configured")
        for (i, box) in v.cutOut.enumerated() {
            let b = try #require(box)
            let strong = Array(v.strong.scalars[(i * 256)..<((i + 1) * 256)]), weak = Array(x.scalars[(i * 256)..<((i + 1) * 256)])
            let boosted = weak.map { $0 * 1.5 }, mean = boosted.reduce(0, +) / 256
            for j in 0..<256 {
                let expected = b.contains(0, j / 16, j % 16) ? mean : boosted[j]
                #expect(abs(strong[j] - expected) < 1e-4)
            }
        }
        #expect(throws: ConfigError.self) { try ViewAugmentation(weak: AugmentationConfig(), strong: s, cutOutProbability: 2) }
    }

    @Test func pasteTakesTheRegionFromThePastedBatchForImagesAndTargets() {
        let base = Tensor([Float](repeating: 0, count: 2 * 3 * 16), shape: [2, 3, 4, 4])
        let pasted = Tensor([Float](repeating: 7, count: 2 * 3 * 16), shape: [2, 3, 4, 4])
        let boxes = [MixBox(start: [0, 1, 1], size: [1, 2, 2]), MixBox(start: [0, 0, 0], size: [1, 1, 4])]
        let region = Mixing.region(boxes, like: base)
        #expect(region.shape == [2, 4, 4] && region.scalars.reduce(0, +) == 8)
        let mixed = Mixing.paste(pasted, into: base, region: region).scalars
        for s in 0..<2 { for c in 0..<3 { for i in 0..<16 {
            #expect(mixed[(s * 3 + c) * 16 + i] == (boxes[s].contains(0, i / 4, i % 4) ? 7 : 0))
        } } }
        let targets = Mixing.paste(Tensor([Float](repeating: 1, count: 32), shape: [2, 4, 4]), into: Tensor(zeros: [2, 4, 4]), region: region)
        #expect(targets.scalars == region.scalars)
    }

    @Test func boxesStayInsideTheGrid() {
        var rng = RNG(seed: 1)
        for _ in 0..<50 {
            let b = MixBox.random(spatial: [8, 20, 30], sideFraction: 2.0 / 3.0, rng: &rng)
            #expect(b.size == [5, 13, 20])
            let c = MixBox.random(spatial: [1, 20, 30], areaFraction: 0.02...0.4, aspect: 0.3, rng: &rng)
            #expect(c.size[0] == 1)
            for (i, n) in [8, 20, 30].enumerated() { #expect(b.start[i] >= 0 && b.start[i] + b.size[i] <= n) }
            for (i, n) in [1, 20, 30].enumerated() { #expect(c.start[i] >= 0 && c.start[i] + c.size[i] <= n) }
        }
    }

    /// An extra trainable network saves weights, optimizer state and dropout generators, and a fresh one loading that
    /// state before it is built continues identically.
    @Test func strategyNetworkStateRoundTripsBeforeAndAfterBuilding() throws {
        let dir = tempRunDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Trainer(config: toyConfig(dir), strategy: CountingStrategy(options: StrategyOptions()), data: CaseStore(labeled: toyCases(2, seed: 1), unlabeled: [], validation: [], test: []),
                            split: DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: []), runDirectory: dir, log: { _ in })
        let run = t.run
        let a = StrategyNetwork(name: "net2", initialisation: .fresh(seedOffset: 1), trainable: true)
        #expect(a.stateDict().isEmpty && !a.isBuilt)
        let n = try a.ensure(run)
        #expect(n.parameters().flatMap { $0.scalars } != run.model.parameters().flatMap { $0.scalars }, "own initialisation")
        // One real step so the optimizer has state.
        let x = Tensor.concat(toyCases(2, seed: 1).map { $0.image.reshaped([1, 1, 32, 32]) }, axis: 0)
        n(x).squared().mean().backward()
        run.globalStep = 1
        try a.step(run)
        #expect(a.optimizer?.stepCount == 1)
        let state = a.stateDict()
        #expect(state.keys.contains { $0.hasPrefix("net2.model.") } && state.keys.contains { $0.hasPrefix("net2.optim.") })
        let b = StrategyNetwork(name: "net2", initialisation: .fresh(seedOffset: 1), trainable: true)
        try b.load(stateDict: state.merging(["other.x": Tensor(scalar: 1)]) { x, _ in x })
        #expect(b.isBuilt)
        try b.ensure(run)
        let sa = a.stateDict(), sb = b.stateDict()
        #expect(Set(sa.keys) == Set(sb.keys))
        for (k, v) in sa { #expect(sb[k]?.scalars == v.scalars, "\(k)") }
        // Teachers copy the run's model.
        let teacher = StrategyNetwork(name: "teacher", initialisation: .copyOfModel, trainable: false)
        #expect(try teacher.ensure(run).parameters().flatMap { $0.scalars } == run.model.parameters().flatMap { $0.scalars })
        // RNG words survive the float encoding.
        var r = RNG(seed: 0xFEED_F00D_DEAD_BEEF); _ = r.next()
        #expect(try StrategyNetwork.decode(StrategyNetwork.encode(r), key: "k") == r)
    }
}
