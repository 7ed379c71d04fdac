import EnsemblePlugin
import Engine
import Foundation
import TestSupport
import Testing
import Training

@Suite("Checkpoint ensemble plugin")
struct EnsembleTests {
    /// Random class probabilities `[K, 1, 4, 5]`.
    func probs(_ K: Int, seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        let n = 20
        var v = [Float](repeating: 0, count: K * n)
        for i in 0..<n {
            let raw = (0..<K).map { _ in rng.uniform(0.01, 1) }
            let s = raw.reduce(0, +)
            for k in 0..<K { v[k * n + i] = raw[k] / s }
        }
        return Tensor(v, shape: [K, 1, 4, 5])
    }

    @Test func identicalMembersEqualOneMember() throws {
        for K in [2, 3] {
            let p = probs(K, seed: UInt64(K))
            for mode in EnsembleMode.allCases {
                let e = try EnsembleCombiner(mode: mode).combine([p, p, p], weights: [0.9, 0.5, 0.7])
                #expect(e.labels.scalars == p.argmax(axis: 0).scalars, "mode \(mode.rawValue), K \(K)")
                #expect(e.uncertainty["disagreement"]?.scalars.max() == 0)
                #expect((e.uncertainty["variance"]?.scalars.max() ?? 1) < 1e-12)
                if mode == .mean { #expect(zip(e.probabilities.scalars, p.scalars).allSatisfy { abs($0 - $1) < 1e-6 }) }
            }
        }
    }

    @Test func dominantWeightEqualsThatMember() throws {
        for K in [2, 3] {
            let ms = (0..<3).map { probs(K, seed: 10 + UInt64($0)) }
            for (d, _) in ms.enumerated() {
                var w = [0.01, 0.01, 0.01]; w[d] = 0.97
                let e = try EnsembleCombiner(mode: .diceWeighted, threshold: 0.5).combine(ms, weights: w)
                #expect(e.labels.scalars == ms[d].argmax(axis: 0).scalars, "K \(K), dominant member \(d)")
            }
        }
    }

    @Test func voteCountsAndTieBreak() throws {
        // One voxel, two classes. Members vote fg, fg, bg -> fg.
        func p(_ fg: Float) -> Tensor { Tensor([1 - fg, fg], shape: [2, 1, 1, 1]) }
        let v = try EnsembleCombiner(mode: .vote).combine([p(0.6), p(0.7), p(0.1)])
        #expect(v.labels.item == 1)
        #expect(abs((v.uncertainty["disagreement"]?.item ?? 0) - Float(-(2.0 / 3) * log(2.0 / 3) - (1.0 / 3) * log(1.0 / 3))) < 1e-5)
        // Tie (1 vs 1): the higher mean probability wins: mean fg = (0.9 + 0.2) / 2 = 0.55 -> fg.
        #expect(try EnsembleCombiner(mode: .vote).combine([p(0.9), p(0.2)]).labels.item == 1)
        #expect(try EnsembleCombiner(mode: .vote).combine([p(0.6), p(0.05)]).labels.item == 0)
        // Dice-weighted threshold as a fraction of the total weight: fg weight 0.85 + 0.85 of 2.55 = 0.667.
        let members = [p(0.8), p(0.7), p(0.2)], w = [0.85, 0.85, 0.85]
        #expect(try EnsembleCombiner(mode: .diceWeighted, threshold: 0.6).combine(members, weights: w).labels.item == 1)
        #expect(try EnsembleCombiner(mode: .diceWeighted, threshold: 1.70 / 2.55 + 1e-6).combine(members, weights: w).labels.item == 0)
    }

    @Test func membersAreAlignedByCaseIDNotPosition() throws {
        let a = probs(2, seed: 1), b = probs(2, seed: 2), c = probs(2, seed: 3), d = probs(2, seed: 4)
        let m1 = [MemberPrediction(caseID: "case_a", probabilities: a), MemberPrediction(caseID: "case_b", probabilities: b)]
        let m2 = [MemberPrediction(caseID: "case_b", probabilities: d), MemberPrediction(caseID: "case_a", probabilities: c)]
        let aligned = try EnsembleCombiner.alignByCase([m1, m2])
        #expect(aligned["case_a"]?.map { $0.scalars } == [a.scalars, c.scalars])
        #expect(aligned["case_b"]?.map { $0.scalars } == [b.scalars, d.scalars])
        #expect(throws: TrainingError.self) { try EnsembleCombiner.alignByCase([m1, [m2[0]]]) }
        #expect(throws: TrainingError.self) { try EnsembleCombiner.alignByCase([m1, [m2[0], m2[0]]]) }
    }

    @Test func rejectsBadOptions() {
        #expect(throws: ConfigError.self) { try CheckpointEnsemble(options: StrategyOptions(["mode": "median"], owner: "checkpoint-ensemble")) }
        #expect(throws: ConfigError.self) { try CheckpointEnsemble(options: StrategyOptions(["members": "0"], owner: "checkpoint-ensemble")) }
    }

    @Test func snapshotsThroughTheTrainerSurviveACheckpointRoundTrip() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let opts = ["every": "1", "members": "2", "mode": "dice-weighted"]
        let s = try CheckpointEnsemble(options: StrategyOptions(opts, owner: "checkpoint-ensemble"))
        #expect(s.evaluatesLastCheckpoint)
        let config = toyConfig(dir, epochs: 3)
        let t = try Trainer(config: config, strategy: s, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        _ = try t.train()
        #expect(s.finished && s.snapshots.map { $0.epoch } == [2, 3])
        let history = t.run.validationHistory.compactMap { $0 }
        #expect(s.snapshots.map { $0.weight } == history.suffix(2).map { Double(Float($0)) })
        // The last snapshot is the final network.
        let final = t.run.model.stateDict()
        #expect(s.snapshots[1].state.allSatisfy { final[$0.key]?.scalars == $0.value.scalars })

        // Resume in a new trainer: the strategy state comes back from checkpoints/last.safetensors.
        let s2 = try CheckpointEnsemble(options: StrategyOptions(opts, owner: "checkpoint-ensemble"))
        let t2 = try Trainer(config: config, strategy: s2, data: toyStore(), split: emptySplit, runDirectory: dir, log: { _ in })
        _ = try t2.train(resume: true)
        #expect(s2.finished && s2.snapshots.map { $0.epoch } == [2, 3] && s2.snapshots.map { $0.weight } == s.snapshots.map { $0.weight })
        for (x, y) in zip(s.snapshots, s2.snapshots) {
            #expect(x.state.keys.sorted() == y.state.keys.sorted())
            #expect(x.state.allSatisfy { y.state[$0.key]?.scalars == $0.value.scalars })
        }
        try t2.loadBest()
        let img = toyCases(1, seed: 5)[0].image
        let p = try t2.predict(img)
        #expect(p.uncertainty["disagreement"] != nil && p.uncertainty["variance"] != nil)
        let direct = try s.combiner.combine(s.snapshots.map { snap in
            let m = t.run.makeModel(0); try? m.load(stateDict: snap.state); return t.run.plainProbabilities(img, model: m)
        }, weights: s.snapshots.map { $0.weight })
        #expect(p.probabilities.scalars == direct.probabilities.scalars)
    }

    @Test func autoIntervalFollowsTheSchedule() throws {
        let s = try CheckpointEnsemble(options: StrategyOptions(["members": "3"], owner: "checkpoint-ensemble"))
        var c = toyConfig(tempRunDir(), epochs: 12)
        #expect(s.interval(c) == 4)
        c.schedule = .cosineRestarts; c.cycleEpochs = 5
        #expect(s.interval(c) == 5)
    }
}
