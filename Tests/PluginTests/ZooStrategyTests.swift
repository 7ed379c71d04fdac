import BCPPlugin
import CPSPlugin
import EnsemblePlugin
import Engine
import FixMatchPlugin
import Foundation
import MCDropoutPlugin
import MeanTeacherPlugin
import NN
import PseudoLabelPlugin
import SupervisedPlugin
import TestSupport
import Testing
import Training
import UAMTPlugin
import UDAPlugin

/// Every strategy on every registered network (issue #14 "Show"): strategies see the network only through
/// `SegmentationNetwork`, so each trains, checkpoints and predicts on each; MC dropout finds dropout sites in each.
@Suite("Strategies x networks", .serialized)
struct ZooStrategyTests {
    /// Every strategy of `semiseg strategies` (the CLI's PluginRegistry lists the same types).
    static let strategies: [any Strategy.Type] = [
        Supervised.self, UDA.self, PseudoLabel.self, MCDropout.self, CheckpointEnsemble.self, MeanTeacher.self,
        FixMatch.self, CPS.self, UAMT.self, BCP.self,
    ]

    /// A 2D toy run of `strategy` on `network` (base 4, depth 2): 2 epochs x 2 steps, then one prediction.
    @Test(arguments: NetworkRegistry.entries.filter { $0.dims.contains(2) }.map(\.name))
    func everyStrategyTrainsAndPredicts(_ network: String) throws {
        for type in Self.strategies {
            let dir = tempRunDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            let s = try type.init(options: StrategyOptions([:], owner: type.name))
            let t = try strategyTrainer(s, dir: dir, epochs: 2) { c in
                c.model = network; c.modelDims = 2; c.iterationsPerEpoch = 2
                if network == "unetpp" { c.modelOptions = ["deep-supervision": "true"] }
            }
            #expect(NetworkRegistry.lookup(network)?.entry.name == t.run.config.networkName)
            let result = try t.train()
            #expect(result.epochs == 2, "\(type.name) on \(network)")
            let rows = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
            #expect(rows.count == 3 && !rows.joined().contains("nan"), "\(type.name) on \(network): \(rows)")
            try t.loadBest()
            let image = toyCases(1, seed: 9)[0].image
            let p = try t.predict(image)
            #expect(p.probabilities.shape == [2] + Array(image.shape.dropFirst()), "\(type.name) on \(network)")
            #expect(p.probabilities.scalars.allSatisfy { $0.isFinite }, "\(type.name) on \(network): non-finite probabilities")
        }
    }

    @Test(arguments: NetworkRegistry.entries.filter { $0.dims.contains(2) }.map(\.name))
    func mcDropoutHasVarianceOnEveryNetwork(_ network: String) throws {
        let s = try MCDropout(options: StrategyOptions(["p": "0.5", "where": "both"], owner: "mc-dropout"))
        var spec = NetworkSpec(name: network, dims: 2, base: 4, depth: 2)
        s.configure(model: &spec)
        let m = NetworkRegistry.build(spec, seed: 3)
        #expect(!m.dropoutLayers.isEmpty, "\(network): no dropout layers")
        let img = toyCases(1, seed: 9)[0].image
        let draws = try MCDropout.sample(img, model: m, classes: 2, window: SlidingWindow(patch: [1, 32, 32]), samples: 4, batchPasses: 0, seed: 1)
        let stats = MCStatistics.summarize(draws)
        // Untrained deep networks in eval mode (running statistics 0 / 1) pass a small signal: DeepLabv3 at base 4 gives
        // a mean variance ~4e-8; the same network without dropout gives exactly 0 (below).
        #expect((stats.uncertainty["variance"]?.mean().item ?? 0) > 1e-9, "\(network): MC dropout variance is zero")
        // Without dropout the passes agree.
        let plain = NetworkRegistry.build(NetworkSpec(name: network, dims: 2, base: 4, depth: 2, dropout: .off), seed: 3)
        let d0 = try MCDropout.sample(img, model: plain, classes: 2, window: SlidingWindow(patch: [1, 32, 32]), samples: 2, batchPasses: 0, seed: 1)
        #expect((MCStatistics.summarize(d0).uncertainty["variance"]?.scalars.max() ?? 1) < 1e-12, "\(network)")
    }
}
