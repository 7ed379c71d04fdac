import Evaluation
@testable import Experiments
import Foundation
import Testing
@testable import Training

/// The comparison math: mean ± std over seeds, the paired difference to supervised with its Wilcoxon p-value,
/// the JSON shape of docs/ARCHITECTURE.md §7 and the CSV rows.
@Suite("Comparison summary")
struct CompareSummaryTests {
    static let ids = (0..<6).map { "case_\($0).nii.gz" }

    /// A run summary whose test cases have the given class-1 Dice (HD95 = 10 * (1 - Dice) mm, undefined when Dice is nil).
    static func run(_ strategy: String, seed: UInt64, dice: [Double?], seconds: Double = 10, ece: Double? = 0.1) throws -> RunSummary {
        let results = zip(ids, dice).map { id, d in
            var v = MetricValues()
            v[.dice] = d
            v[.hd95] = d.map { 10 * (1 - $0) }
            return CaseResult(caseID: id, metrics: [1: v], counts: [:], confusion: ConfusionMatrix(classes: 2))
        }
        return RunSummary(strategy: strategy, seed: seed, bestValidationDice: 0.8, bestEpoch: 3, trainSeconds: seconds,
                          test: try EvaluationReport(results: results), ece: ece, brier: ece.map { $0 / 2 },
                          uncertaintyMean: ece == nil ? [:] : ["entropy": 0.05])
    }

    static let split = DataSplit(seed: 0, labeled: ["a", "b"], unlabeled: ["c"], validation: ["d"], test: ids)
    // Supervised and UDA over two seeds; UDA's case differences (seed-averaged) are 0.01, 0.02, -0.03, 0.04, 0.05, 0.06.
    static let supDice: [[Double]] = [[0.80, 0.70, 0.90, 0.60, 0.75, 0.65], [0.82, 0.72, 0.88, 0.62, 0.77, 0.63]]
    static let udaDice: [[Double]] = [[0.82, 0.71, 0.87, 0.65, 0.80, 0.70], [0.82, 0.75, 0.85, 0.65, 0.82, 0.70]]

    static func cells() throws -> [ComparisonSummary.Cell] {
        var c: [ComparisonSummary.Cell] = []
        for seed in [0, 1] {
            c.append(.init(strategy: "supervised", seed: UInt64(seed), folder: "cells/supervised-seed\(seed)",
                           summary: try run("supervised", seed: UInt64(seed), dice: supDice[seed], seconds: Double(10 + seed))))
            c.append(.init(strategy: "uda", seed: UInt64(seed), folder: "cells/uda-seed\(seed)",
                           summary: try run("uda", seed: UInt64(seed), dice: udaDice[seed], seconds: 20, ece: nil)))
        }
        return c
    }

    @Test func meanAndSampleStdOverSeeds() throws {
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1], cells: try Self.cells())
        let sup = try #require(s.strategies["supervised"])
        let m0 = Self.supDice[0].reduce(0, +) / 6, m1 = Self.supDice[1].reduce(0, +) / 6
        let dice = try #require(sup.mean["1"]?["dice"])
        #expect(abs((dice.mean ?? 0) - (m0 + m1) / 2) < 1e-12)
        // Sample std (ddof = 1) of two values = |a - b| / sqrt(2).
        #expect(abs((dice.std ?? 0) - abs(m0 - m1) / 2.0.squareRoot()) < 1e-12)
        #expect(dice.n == 2)
        #expect(sup.foregroundMean["dice"] == dice)
        #expect(sup.trainSeconds == 10.5)
        #expect(sup.perSeed.map(\.seed) == [0, 1] && sup.perSeed[1].cell == "cells/supervised-seed1")
        #expect(sup.ece.mean == 0.1 && sup.ece.std == 0 && sup.uncertaintyMean["entropy"]?.mean == 0.05)
        #expect(sup.vsSupervised == nil)
        // A strategy without probabilities has no ECE.
        let uda = try #require(s.strategies["uda"])
        #expect(uda.ece.mean == nil && uda.ece.n == 0)
        // One seed: no std.
        let one = MeanStd([0.9])
        #expect(one.mean == 0.9 && one.std == nil && one.n == 1)
    }

    @Test func pairedDifferenceAndWilcoxonAgainstSupervised() throws {
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1], cells: try Self.cells())
        let d = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["dice"])
        // Differences 0.01, 0.02, -0.03, 0.04, 0.05, 0.06: ranks 1..6, R- = 3, R+ = 18, exact two-sided
        // p = 2 * #{subsets of 1..6 with sum <= 3} / 2^6 = 2 * 5 / 64 (scipy.stats.wilcoxon gives 0.15625 too).
        #expect(abs((d.diff ?? 0) - 0.025) < 1e-12)
        #expect(abs((d.pValue ?? 0) - 0.15625) < 1e-12)
        #expect(d.n == 6 && d.dropped == 0 && d.method == "exact")
        let h = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["hd95"])
        #expect(abs((h.diff ?? 0) + 0.25) < 1e-9 && abs((h.pValue ?? 0) - 0.15625) < 1e-12)
        // Undefined for every case on one side -> no test.
        let iou = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["iou"])
        #expect(iou.n == 0 && iou.diff == nil && iou.pValue == nil && iou.dropped == 6)
    }

    @Test func seedsAreAveragedPerCaseAndUndefinedValuesDropped() throws {
        // Case x defined in both seeds, y only in seed 1, z in neither.
        let p0 = (ids: ["x"], a: [0.9], b: [0.7], dropped: ["y", "z"])
        let p1 = (ids: ["x", "y"], a: [0.7, 0.5], b: [0.7, 0.6], dropped: ["z"])
        let d = try ComparisonSummary.pairedDifference([p0, p1])
        #expect(d.n == 2 && d.dropped == 1)
        #expect(abs((d.diff ?? 0) - ((0.1) + (-0.1)) / 2) < 1e-12)  // x: mean(0.2, 0) = 0.1; y: -0.1
        // All differences zero: no p-value (scipy returns nan).
        let z = try ComparisonSummary.pairedDifference([(ids: ["x", "y"], a: [0.5, 0.6], b: [0.5, 0.6], dropped: [])])
        #expect(z.diff == 0 && z.pValue == nil && z.n == 2)
    }

    @Test func jsonHasArchitectureShape() throws {
        var cells = try Self.cells()
        cells.removeLast()  // uda seed 1 missing
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1], labels: ["1": "spleen"], cells: cells)
        #expect(s.missingCells == ["uda-seed1"])
        let obj = try #require(try JSONSerialization.jsonObject(with: s.jsonData()) as? [String: Any])
        #expect((obj["split"] as? [String: Any])?["test"] as? [String] == Self.ids)
        #expect(obj["order"] as? [String] == ["supervised", "uda"])
        let strategies = try #require(obj["strategies"] as? [String: Any])
        let sup = try #require(strategies["supervised"] as? [String: Any])
        let perSeed = try #require(sup["per_seed"] as? [[String: Any]])
        #expect(perSeed.first?["seed"] as? Int == 0)
        #expect(((perSeed.first?["mean"] as? [String: Any])?["1"] as? [String: Any])?["dice"] is Double)
        #expect((perSeed.first?["foreground_mean"] as? [String: Any])?["dice"] is Double)
        let mean = try #require(((sup["mean"] as? [String: Any])?["1"] as? [String: Any])?["dice"] as? [String: Any])
        #expect(mean["mean"] is Double && mean["std"] is Double)
        #expect(((sup["foreground_mean"] as? [String: Any])?["dice"] as? [String: Any])?["std"] is Double)
        #expect(sup["train_seconds"] is Double)
        #expect(sup["vs_supervised"] is NSNull)
        let uda = try #require(strategies["uda"] as? [String: Any])
        // One seed: std is an explicit null; ECE absent -> null mean.
        #expect(((uda["foreground_mean"] as? [String: Any])?["dice"] as? [String: Any])?["std"] is NSNull)
        #expect((uda["ece"] as? [String: Any])?["mean"] is NSNull)
        let vs = try #require(((uda["vs_supervised"] as? [String: Any])?["1"] as? [String: Any])?["dice"] as? [String: Any])
        #expect(vs["diff"] is Double && vs["p_value"] is Double && vs["n"] as? Int == 6)
        // Decodes back to the same value.
        #expect(try JSONDecoder().decode(ComparisonSummary.self, from: s.jsonData()) == s)
    }

    @Test func csvHasOneRowPerStrategyClassMetric() throws {
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1], cells: try Self.cells())
        let lines = s.csv().split(separator: "\n").map(String.init)
        #expect(lines.first == "strategy,class,metric,mean,std,diff_vs_supervised,p_value,n,seed_std_diff,boot_ci_low,boot_ci_high,boot_p_value,t_ci_low,t_ci_high,t_p_value,t_df")
        let m = Metric.allCases.count
        // per strategy: class 1 x metrics, foreground x metrics, ece, brier, train_seconds (+ uncertainty_entropy for supervised)
        #expect(lines.count == 1 + 2 * (2 * m + 3) + 1)
        let row = try #require(lines.first { $0.hasPrefix("uda,1,dice,") }).split(separator: ",", omittingEmptySubsequences: false)
        #expect(row.count == 16)
        #expect(abs((Double(row[5]) ?? 0) - 0.025) < 1e-12 && Double(row[6]) == 0.15625 && row[7] == "6")
        let d = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["dice"])
        #expect(Double(row[8]) == d.seedStd && Double(row[9]) == d.bootstrap?.ciLow && Double(row[11]) == d.bootstrap?.pValue)
        #expect(Double(row[12]) == d.tTest?.ciLow && Double(row[14]) == d.tTest?.pValue && Double(row[15]) == d.tTest?.degreesOfFreedom)
        let sup = try #require(lines.first { $0.hasPrefix("supervised,1,dice,") }).split(separator: ",", omittingEmptySubsequences: false)
        #expect(sup[5] == "" && sup[6] == "" && sup[7] == "")
        #expect(lines.contains { $0.hasPrefix("uda,all,ece,,,") })
    }

    @Test func reportHasTablesAndReadingGuide() throws {
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1], cells: try Self.cells())
        var base = TrainConfig(data: "data", out: "run")
        base.model = "unet2d"
        let settings = CompareSettings(strategies: ["supervised", "uda"], seeds: [0, 1], base: base)
        let md = ComparisonReport.markdown(summary: s, settings: settings, figures: ["figures/dice.png"])
        #expect(md.contains("| strategy | Dice | IoU | HD95 mm | ASSD mm | ECE | Brier | train s |"))
        // Per seed the mean differences are 0.025 and 0.025: seed std 0 (the case differences vary, the seeds agree).
        let d = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["dice"])
        #expect(abs(d.seedStd ?? 1) < 1e-12 && d.seeds == 2)
        let b = try #require(d.bootstrap)
        #expect(abs(b.estimate - 0.025) < 1e-12 && b.seeds == 2 && b.cases == 6 && b.ciLow < 0.025 && b.ciHigh > 0.025)
        let t = try #require(d.tTest)
        #expect(abs(t.estimate - 0.025) < 1e-12 && t.seeds == 2 && t.cases == 6 && t.ciLow < 0.025 && t.ciHigh > 0.025)
        let ci = "[" + String(format: "%+.3f", t.ciLow) + ", " + String(format: "%+.3f", t.ciHigh) + "]"
        #expect(md.contains("| uda | Dice | +0.025 | 0.000 | \(ci) | " + String(format: "%.3f", t.pValue) + " | "
                            + String(format: "%.3f", b.pValue) + " | 0.156 | 6 | 2 |"))
        #expect(md.contains("| uda | HD95 mm | -0.25 |"))
        #expect(md.contains("Which test is which"))
        // Two seeds: a warning, and no bold verdict.
        #expect(md.contains("2 seeds: one degree of freedom for training noise"))
        #expect(!md.contains("**0.") && !md.contains("**<"))
        #expect(md.contains("| checkpoint selection | highest EMA (0.9) of the validation Dice on 1 case |"))
        #expect(md.contains("2 labeled, 1 unlabeled, 1 validation, 6 test"))
        #expect(md.contains("![dice](figures/dice.png)"))
    }

    /// Cells with one Dice per seed and case: `sup[seed][case]`, `other[seed][case]`.
    static func cells(_ sup: [[Double]], _ other: [[Double]], strategy: String = "uda") throws -> [ComparisonSummary.Cell] {
        var c: [ComparisonSummary.Cell] = []
        for seed in sup.indices {
            c.append(.init(strategy: "supervised", seed: UInt64(seed), folder: "cells/supervised-seed\(seed)",
                           summary: try run("supervised", seed: UInt64(seed), dice: sup[seed])))
            c.append(.init(strategy: strategy, seed: UInt64(seed), folder: "cells/\(strategy)-seed\(seed)",
                           summary: try run(strategy, seed: UInt64(seed), dice: other[seed])))
        }
        return c
    }

    @Test func oneSeedReportWarnsAndHasNoBoldVerdict() throws {
        // A consistent +0.1 on every case: the Wilcoxon p is as small as 6 cases allow (0.031), but one seed says
        // nothing about training variance.
        let sup = [[0.80, 0.70, 0.90, 0.60, 0.75, 0.65]]
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0],
                                           cells: try Self.cells(sup, sup.map { $0.map { $0 + 0.1 } }))
        let d = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["dice"])
        #expect(abs((d.pValue ?? 1) - 0.03125) < 1e-12 && d.bootstrap == nil && d.tTest == nil && d.seedStd == nil && d.seeds == 1)
        let md = ComparisonReport.markdown(summary: s, settings: CompareSettings(strategies: ["supervised", "uda"], seeds: [0],
                                                                                 base: TrainConfig(data: "d", out: "o")))
        #expect(md.contains("one seed: training variance (initialisation, data order, augmentation) is not captured"))
        #expect(md.contains("| uda | Dice | +0.100 | - | - | - | - | 0.031 | 6 | 1 |"))
        #expect(!md.contains("**0.") && !md.contains("**<"))
        #expect(ComparisonReport.seedWarning(seeds: 1) != nil && ComparisonReport.seedWarning(seeds: 2) != nil)
        #expect(ComparisonReport.seedWarning(seeds: 3) == nil)
    }

    @Test func threeSeedsGiveABoldTTestVerdictOnlyForAClearEffect() throws {
        let base = [0.80, 0.70, 0.90, 0.60, 0.75, 0.65]
        let sup = (0..<3).map { s in base.map { $0 + 0.01 * Double(s) } }
        // Clear: +0.1 with seed noise 0.005. Noise: +0.02 in one seed, -0.02 and 0 in the others.
        let clear = sup.enumerated().map { s, row in row.map { $0 + 0.1 + 0.005 * Double(s) } }
        let noisy = sup.enumerated().map { s, row in row.map { $0 + [0.02, -0.02, 0][s] } }
        let settings = CompareSettings(strategies: ["supervised", "uda"], seeds: [0, 1, 2], base: TrainConfig(data: "d", out: "o"))
        let a = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1, 2], cells: try Self.cells(sup, clear))
        let da = try #require(a.strategies["uda"]?.vsSupervised?["1"]?["dice"]?.tTest)
        #expect(da.pValue < 0.05 && da.ciLow > 0.08 && da.ciHigh < 0.12 && abs(da.degreesOfFreedom - 2) < 1e-9)
        let mdA = ComparisonReport.markdown(summary: a, settings: settings)
        #expect(mdA.contains("**<0.001**") || mdA.contains(String(format: "**%.3f**", da.pValue)))
        #expect(!mdA.contains("**Note:**"))
        let b = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1, 2], cells: try Self.cells(sup, noisy))
        let db = try #require(b.strategies["uda"]?.vsSupervised?["1"]?["dice"])
        // Every case moves the same way within a seed, so the Wilcoxon over seed-averaged cases sees all-zero
        // differences; the t-test (and the bootstrap) see seed noise of std 0.02 and no effect.
        #expect(abs((db.seedStd ?? 0) - 0.02) < 1e-12)
        #expect((db.tTest?.pValue ?? 0) > 0.5 && (db.tTest?.ciLow ?? 0) < 0 && (db.tTest?.ciHigh ?? 0) > 0)
        #expect((db.bootstrap?.pValue ?? 0) > 0.2 && (db.bootstrap?.ciLow ?? 0) < 0 && (db.bootstrap?.ciHigh ?? 0) > 0)
        let mdB = ComparisonReport.markdown(summary: b, settings: settings)
        #expect(!mdB.contains("**0.") && !mdB.contains("**<"))
    }

    /// A case undefined in one seed only: Δ averages each seed's defined pairs, the t-test only the cases defined in
    /// every seed; the report's CI column then names the t-test's own estimate, so the interval never seems to miss Δ.
    @Test func intervalNamesItsOwnEstimateWhenCasesAreUndefinedInSomeSeeds() throws {
        var udaSeed0: [Double?] = Self.udaDice[0].map { $0 }
        udaSeed0[3] = nil                                               // HD95 and Dice undefined in seed 0 only
        var c: [ComparisonSummary.Cell] = []
        for seed in [0, 1] {
            c.append(.init(strategy: "supervised", seed: UInt64(seed), folder: "cells/supervised-seed\(seed)",
                           summary: try Self.run("supervised", seed: UInt64(seed), dice: Self.supDice[seed])))
            c.append(.init(strategy: "uda", seed: UInt64(seed), folder: "cells/uda-seed\(seed)",
                           summary: try Self.run("uda", seed: UInt64(seed), dice: seed == 0 ? udaSeed0 : Self.udaDice[1])))
        }
        let s = try ComparisonSummary.make(split: Self.split, strategies: ["supervised", "uda"], seeds: [0, 1], cells: c)
        let d = try #require(s.strategies["uda"]?.vsSupervised?["1"]?["dice"])
        let t = try #require(d.tTest)
        #expect(t.cases == 5 && abs(t.estimate - (d.diff ?? t.estimate)) > 1e-3)
        let md = ComparisonReport.markdown(summary: s, settings: CompareSettings(strategies: ["supervised", "uda"], seeds: [0, 1],
                                                                                base: TrainConfig(data: "d", out: "o")))
        #expect(md.contains(String(format: " around %+.3f (5 cases defined in every seed)", t.estimate)))
    }
}

@Suite("Comparison settings")
struct CompareSettingsTests {
    @Test func parsesSeedsAndPerStrategyOptions() throws {
        #expect(try CompareSettings.parseSeeds("0, 1,2") == [0, 1, 2])
        #expect(throws: ConfigError.self) { try CompareSettings.parseSeeds("0,a") }
        #expect(throws: ConfigError.self) { try CompareSettings.parseSeeds("0,,1") }
        #expect(throws: ConfigError.self) { try CompareSettings.parseSeeds("-1") }
        #expect(try CompareSettings.parseOptions(["uda:weight=0.5", "uda:loss=mse", "mc-dropout:p=0.2"])
            == ["uda": ["weight": "0.5", "loss": "mse"], "mc-dropout": ["p": "0.2"]])
        #expect(throws: ConfigError.self) { try CompareSettings.parseOptions(["weight=0.5"]) }
        #expect(throws: ConfigError.self) { try CompareSettings.parseOptions(["uda:w=1", "uda:w=2"]) }
    }

    @Test func problemsNameEveryBadInput() {
        let s = CompareSettings(strategies: ["supervised", "nope", "supervised"], seeds: [0, 0], strategyOptions: ["uda": ["w": "1"]],
                                base: TrainConfig(data: "d", out: "o"))
        let p = s.problems(knownStrategies: ["supervised", "uda"])
        #expect(p.contains { $0.contains("unknown strategy 'nope'") })
        #expect(p.contains { $0.contains("listed twice: supervised") })
        #expect(p.contains { $0.contains("--seeds: listed twice: 0") })
        #expect(p.contains { $0.contains("options for 'uda'") })
    }

    @Test func cellsShareTheSplitAndDifferInStrategyAndSeed() {
        var base = TrainConfig(data: "d", out: "runs/cmp")
        base.strategy = "uda"; base.seed = 7; base.epochs = 3
        let s = CompareSettings(strategies: ["supervised", "uda"], seeds: [2, 3], strategyOptions: ["uda": ["weight": "0.5"]], base: base)
        #expect(s.base.strategy == "supervised" && s.base.seed == 2)
        let c = s.cellConfig(strategy: "uda", seed: 3)
        #expect(c.out == "runs/cmp/cells/uda-seed3" && c.split == "runs/cmp/split.json")
        #expect(c.seed == 3 && c.strategy == "uda" && c.strategyOptions == ["weight": "0.5"] && c.epochs == 3)
        #expect(s.cellConfig(strategy: "supervised", seed: 2).strategyOptions.isEmpty)
        var other = s
        other.base.epochs = 4
        #expect(Comparison.differences(s, other) == ["epochs: 3 -> 4"])
        other.base.patch = [1, 64, 64]
        other.seeds = [2, 5]
        other.strategyOptions["uda"] = ["weight": "1", "ramp-up": "0"]
        #expect(Comparison.differences(s, other) == ["seeds: 2,3 -> 2,5", "epochs: 3 -> 4", "patch: none -> [1,64,64]",
                                                     "uda options: weight=0.5 -> ramp-up=0,weight=1"])
        // Growing keeps the old order and the old shared settings, and appends what is new.
        var more = s
        more.strategies = ["mean-teacher", "uda"]
        more.seeds = [4, 2]
        more.strategyOptions = ["uda": ["weight": "0.5"], "mean-teacher": ["ema": "0.9"]]
        #expect(Comparison.sharedDifferences(s, more).isEmpty)
        let g = Comparison.grown(s, with: more)
        #expect(g.strategies == ["supervised", "uda", "mean-teacher"] && g.seeds == [2, 3, 4] && g.base == s.base)
        #expect(g.strategyOptions == ["uda": ["weight": "0.5"], "mean-teacher": ["ema": "0.9"]])
    }
}
