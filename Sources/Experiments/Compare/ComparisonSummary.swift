import Evaluation
import Foundation
import Training

/// A mean and sample standard deviation over seeds (`{"mean": .., "std": .., "n": ..}`); `std` is null for one seed.
public struct MeanStd: Codable, Equatable, Sendable {
    public var mean: Double?
    public var std: Double?
    /// Number of seeds with a value.
    public var n: Int

    /// Mean and sample std (ddof = 1) of `values`.
    public init(_ values: [Double]) {
        let s = Statistics.meanStd(values)
        mean = s.mean; std = s.std; n = values.count
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean.flatMap(finite), forKey: .mean)
        try c.encode(std.flatMap(finite), forKey: .std)
        try c.encode(n, forKey: .n)
    }
}

/// `nil` for NaN / infinity (JSON has no such numbers).
func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }

/// One cell's results as the comparison reports them.
public struct SeedResult: Codable, Equatable, Sendable {
    public var seed: UInt64
    /// The cell's run folder, relative to the comparison folder (`cells/uda-seed0`).
    public var cell: String
    /// Test means per class key and metric (docs/ARCHITECTURE.md §7 `evaluate` shape).
    public var mean: [String: MetricValues]
    public var foregroundMean: MetricValues
    public var ece: Double?
    public var brier: Double?
    public var uncertaintyMean: [String: Double]
    public var trainSeconds: Double
    public var bestValidationDice: Double?
    public var bestEpoch: Int?
    /// The test set's 2D summary metrics (pixel-pooled confusion matrix: mean IoU / Dice / accuracy, frequency-weighted
    /// IoU, overall accuracy), when the run's summary has them.
    public var semantic: SemanticSummary? = nil

    enum CodingKeys: String, CodingKey {
        case seed, cell, mean, foregroundMean = "foreground_mean", ece, brier, uncertaintyMean = "uncertainty_mean"
        case trainSeconds = "train_seconds", bestValidationDice = "best_validation_dice", bestEpoch = "best_epoch"
        case semantic
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seed, forKey: .seed); try c.encode(cell, forKey: .cell)
        try c.encode(mean, forKey: .mean); try c.encode(foregroundMean, forKey: .foregroundMean)
        try c.encode(ece.flatMap(finite), forKey: .ece); try c.encode(brier.flatMap(finite), forKey: .brier)
        try c.encode(uncertaintyMean.compactMapValues(finite), forKey: .uncertaintyMean)
        try c.encode(trainSeconds, forKey: .trainSeconds)
        try c.encode(bestValidationDice, forKey: .bestValidationDice); try c.encode(bestEpoch, forKey: .bestEpoch)
        try c.encodeIfPresent(semantic, forKey: .semantic)
    }
}

/// The paired difference of one class and metric between a strategy and `supervised`.
public struct PairedDifference: Codable, Equatable, Sendable {
    /// Mean over test cases of (strategy - supervised), each case's value first averaged over the common seeds.
    public var diff: Double?
    /// Two-sided paired Wilcoxon signed-rank p-value over the test cases (null when every difference is zero or n = 0).
    public var pValue: Double?
    /// Number of paired test cases.
    public var n: Int
    /// Test cases dropped because the metric is undefined on either side (in every common seed).
    public var dropped: Int
    /// The Wilcoxon method used (`exact`, `permutation`, `asymptotic`), null without a test.
    public var method: String?
    /// Seeds both strategies finished (the pairs behind `seedStd` and `bootstrap`).
    public var seeds: Int?
    /// Sample std over seeds of the per-seed difference of test means (training noise of the difference); null for
    /// one seed.
    public var seedStd: Double?
    /// Hierarchical paired bootstrap over seeds, then test cases (`HierarchicalBootstrap`): interval and p-value that
    /// include training variance; null with fewer than 2 seeds.
    public var bootstrap: BootstrapResult?
    /// Crossed seeds × cases random-effects t-test (`CrossedTTest`): the verdict (interval and p-value calibrated at
    /// 3-5 seeds); null with fewer than 2 seeds or 2 cases.
    public var tTest: CrossedTTestResult? = nil

    enum CodingKeys: String, CodingKey { case diff, pValue = "p_value", n, dropped, method, seeds, seedStd = "seed_std", bootstrap, tTest = "t_test" }

    public init(diff: Double?, pValue: Double?, n: Int, dropped: Int, method: String?, seeds: Int? = nil,
                seedStd: Double? = nil, bootstrap: BootstrapResult? = nil) {
        self.diff = diff; self.pValue = pValue; self.n = n; self.dropped = dropped; self.method = method
        self.seeds = seeds; self.seedStd = seedStd; self.bootstrap = bootstrap
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(diff.flatMap(finite), forKey: .diff); try c.encode(pValue.flatMap(finite), forKey: .pValue)
        try c.encode(n, forKey: .n); try c.encode(dropped, forKey: .dropped); try c.encode(method, forKey: .method)
        try c.encode(seeds, forKey: .seeds); try c.encode(seedStd.flatMap(finite), forKey: .seedStd)
        try c.encode(bootstrap, forKey: .bootstrap)
        try c.encode(tTest, forKey: .tTest)
    }
}

/// Everything reported for one strategy.
public struct StrategySummary: Codable, Equatable, Sendable {
    /// One entry per finished seed, in seed order.
    public var perSeed: [SeedResult]
    /// Per class key and metric: mean ± std over seeds of the per-seed test means.
    public var mean: [String: [String: MeanStd]]
    public var foregroundMean: [String: MeanStd]
    /// Over seeds; `n` = 0 when the strategy gives no probabilities.
    public var ece: MeanStd
    public var brier: MeanStd
    /// Per uncertainty map name (entropy, variance, ...): mean ± std over seeds of the mean voxel value.
    public var uncertaintyMean: [String: MeanStd]
    /// Mean training seconds over seeds (a timing field: differs between re-runs).
    public var trainSeconds: Double
    public var trainSecondsStd: Double?
    /// Per class key and metric: difference to `supervised` with its p-value; null for `supervised` itself or
    /// when `supervised` is not part of the comparison.
    public var vsSupervised: [String: [String: PairedDifference]]?
    /// The 2D summary metrics (`overall_accuracy`, `mean_accuracy`, `mean_iou`, `mean_dice`, `frequency_weighted_iou`):
    /// mean ± std over seeds; nil when no seed's summary has them.
    public var semantic: [String: MeanStd]? = nil

    enum CodingKeys: String, CodingKey {
        case perSeed = "per_seed", mean, foregroundMean = "foreground_mean", ece, brier, uncertaintyMean = "uncertainty_mean"
        case trainSeconds = "train_seconds", trainSecondsStd = "train_seconds_std", vsSupervised = "vs_supervised"
        case semantic
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(perSeed, forKey: .perSeed); try c.encode(mean, forKey: .mean)
        try c.encode(foregroundMean, forKey: .foregroundMean); try c.encode(ece, forKey: .ece); try c.encode(brier, forKey: .brier)
        try c.encode(uncertaintyMean, forKey: .uncertaintyMean); try c.encode(trainSeconds, forKey: .trainSeconds)
        try c.encode(trainSecondsStd.flatMap(finite), forKey: .trainSecondsStd); try c.encode(vsSupervised, forKey: .vsSupervised)
        try c.encodeIfPresent(semantic, forKey: .semantic)
    }
}

/// `RUN/summary.json`: the docs/ARCHITECTURE.md §7 `compare` shape plus calibration, uncertainty, timing and the paired
/// comparison to `supervised`.
public struct ComparisonSummary: Codable, Equatable, Sendable {
    /// The one split every cell used.
    public var split: DataSplit
    /// Strategies in report order (JSON objects are unordered).
    public var order: [String]
    public var seeds: [UInt64]
    /// Class names by class key, from dataset.json (`{"1": "spleen"}`).
    public var labels: [String: String]
    public var strategies: [String: StrategySummary]
    /// Cells without a result (failed or not run), as `<strategy>-seed<S>`.
    public var missingCells: [String]
    /// How the numbers were computed, in words.
    public var statistics: [String: String]

    enum CodingKeys: String, CodingKey {
        case split, order, seeds, labels, strategies, missingCells = "missing_cells", statistics
    }

    /// The text stored under `statistics`.
    public static let method: [String: String] = [
        "mean_std": "mean and sample standard deviation (ddof=1) over seeds of each seed's test-set mean; std is null for one seed",
        "vs_supervised": "per test case, the metric averaged over the seeds both strategies finished; diff = mean over test cases of (strategy - supervised); p_value = two-sided paired Wilcoxon signed-rank test over those test cases (scipy.stats.wilcoxon, zero_method='wilcox', method 'auto'); n = paired test cases; cases where the metric is undefined on either side are dropped",
        "pairing": "by case id (Evaluation.pairedMetric); seeds are averaged per case rather than pooled as (case, seed) pairs, because pairs sharing a case are not independent",
        "seed_std": "sample std (ddof=1) over the common seeds of each seed's mean over test cases of (strategy - supervised): the training noise of the difference; null for one seed",
        "bootstrap": "hierarchical paired bootstrap (Evaluation.HierarchicalBootstrap): each of 4000 deterministic replicates draws the common seeds with replacement and the test cases with replacement (one case draw shared by every drawn seed: each seed was evaluated on the same cases) and averages the paired differences; replicates widened by sqrt(S/(S-1)) around the estimate; 95 % percentile interval; p = twice the smaller share of replicates on either side of 0. Cases undefined in any seed are left out (bootstrap.cases). Captures training (seed) variance and case variance, but with 3-5 seeds its seed level has few distinct draws and the interval is too narrow (false-positive rate well above 5 % at 3 seeds, CrossedTTestTests): shown for reference, not the verdict (t_test is)",
        "t_test": "crossed seeds x cases random-effects t-test (Evaluation.CrossedTTest), the verdict: d[s][c] = mu + seed effect + case effect + residual; Var(mean) = (MS_seeds + MS_cases - MS_residual)/(S*C) from the two-way ANOVA mean squares, Student t with Satterthwaite degrees of freedom (S-1 when training noise dominates, i.e. the paired t-test on per-seed mean differences); 95 % interval estimate +- t*se, two-sided p. Calibrated at 3 seeds (coverage and false-positive rate measured on synthetic studies in CrossedTTestTests), unlike the bootstrap, whose 3 seeds under-estimate the seed spread; cases undefined in any seed are left out (t_test.cases)",
        "wilcoxon_scope": "the Wilcoxon p-value treats the seed-averaged test cases as the only source of noise: it does not capture training variance and is far too confident with one seed",
    ]

    /// Seeds a comparison needs before its bootstrap p-values are presented as verdicts (bold in the report).
    public static let verdictSeeds = 3
}

// MARK: - Computation

extension ComparisonSummary {
    /// One finished cell: its strategy, seed, folder (relative to the comparison) and run summary.
    public struct Cell: Sendable {
        public var strategy: String
        public var seed: UInt64
        public var folder: String
        public var summary: RunSummary
        public init(strategy: String, seed: UInt64, folder: String, summary: RunSummary) {
            self.strategy = strategy; self.seed = seed; self.folder = folder; self.summary = summary
        }
    }

    /// Summarises finished cells. Pure: the same cells give the same summary (apart from nothing).
    ///
    /// - Throws: `EvaluationError.caseMismatch` when two cells were evaluated on different test cases.
    public static func make(split: DataSplit, strategies: [String], seeds: [UInt64], labels: [String: String] = [:],
                            cells: [Cell]) throws -> ComparisonSummary {
        var byStrategy: [String: [Cell]] = [:]
        for c in cells { byStrategy[c.strategy, default: []].append(c) }
        for k in byStrategy.keys { byStrategy[k]?.sort { (seeds.firstIndex(of: $0.seed) ?? Int.max, $0.seed) < (seeds.firstIndex(of: $1.seed) ?? Int.max, $1.seed) } }
        let supervised = byStrategy["supervised"]
        var out: [String: StrategySummary] = [:]
        for s in strategies {
            guard let list = byStrategy[s], !list.isEmpty else { continue }
            var summary = summarise(list)
            if s != "supervised", let sup = supervised, !sup.isEmpty {
                summary.vsSupervised = try compare(list, to: sup)
            }
            out[s] = summary
        }
        let done = Set(cells.map { CompareSettings.cellName(strategy: $0.strategy, seed: $0.seed) })
        let missing = seeds.flatMap { seed in strategies.map { CompareSettings.cellName(strategy: $0, seed: seed) } }.filter { !done.contains($0) }
        return ComparisonSummary(split: split, order: strategies.filter { out[$0] != nil }, seeds: seeds, labels: labels,
                                 strategies: out, missingCells: missing, statistics: method)
    }

    /// Mean ± std over seeds of one strategy's cells.
    static func summarise(_ cells: [Cell]) -> StrategySummary {
        let perSeed = cells.map { c in
            var r = SeedResult(seed: c.seed, cell: c.folder, mean: c.summary.test?.mean ?? [:],
                       foregroundMean: c.summary.test?.foregroundMean ?? MetricValues(), ece: c.summary.ece, brier: c.summary.brier,
                       uncertaintyMean: c.summary.uncertaintyMean, trainSeconds: c.summary.trainSeconds,
                       bestValidationDice: c.summary.bestValidationDice, bestEpoch: c.summary.bestEpoch)
            r.semantic = c.summary.test?.semantic
            return r
        }
        let classKeys = Set(perSeed.flatMap { $0.mean.keys })
        var mean: [String: [String: MeanStd]] = [:]
        for k in classKeys {
            mean[k] = Dictionary(uniqueKeysWithValues: Metric.allCases.map { m in (m.rawValue, MeanStd(perSeed.compactMap { $0.mean[k]?[m] })) })
        }
        let fg = Dictionary(uniqueKeysWithValues: Metric.allCases.map { m in (m.rawValue, MeanStd(perSeed.compactMap { $0.foregroundMean[m] })) })
        let maps = Set(perSeed.flatMap { $0.uncertaintyMean.keys })
        let unc = Dictionary(uniqueKeysWithValues: maps.map { k in (k, MeanStd(perSeed.compactMap { $0.uncertaintyMean[k] })) })
        let t = MeanStd(perSeed.map(\.trainSeconds))
        var summary = StrategySummary(perSeed: perSeed, mean: mean, foregroundMean: fg,
                               ece: MeanStd(perSeed.compactMap { $0.ece.flatMap(finite) }),
                               brier: MeanStd(perSeed.compactMap { $0.brier.flatMap(finite) }),
                               uncertaintyMean: unc, trainSeconds: t.mean ?? 0, trainSecondsStd: t.std, vsSupervised: nil)
        let semantics = perSeed.compactMap(\.semantic)
        if !semantics.isEmpty {
            let fields: [(String, (SemanticSummary) -> Double?)] = [
                ("overall_accuracy", { $0.overallAccuracy }), ("mean_accuracy", { $0.meanAccuracy }), ("mean_iou", { $0.meanIoU }),
                ("mean_dice", { $0.meanDice }), ("frequency_weighted_iou", { $0.frequencyWeightedIoU }),
            ]
            summary.semantic = Dictionary(uniqueKeysWithValues: fields.map { k, f in (k, MeanStd(semantics.compactMap(f))) })
        }
        return summary
    }

    /// Per class and metric: the paired difference of `a` to `b` over test cases (seeds averaged per case).
    static func compare(_ a: [Cell], to b: [Cell]) throws -> [String: [String: PairedDifference]] {
        let bBySeed = Dictionary(b.map { ($0.seed, $0) }, uniquingKeysWith: { x, _ in x })
        let common = a.compactMap { c in bBySeed[c.seed].map { (c, $0) } }
        var classes = Set<Int>()
        for (x, _) in common { for k in (x.summary.test?.mean ?? [:]).keys { if let i = Int(k) { classes.insert(i) } } }
        var out: [String: [String: PairedDifference]] = [:]
        for c in classes.sorted() {
            var row: [String: PairedDifference] = [:]
            for m in Metric.allCases {
                let seedPairs = try common.map { (x, y) in
                    try pairedMetric(caseResults(x.summary), caseResults(y.summary), class: c, metric: m)
                }
                var d = try pairedDifference(seedPairs)
                let overSeeds = seedLevel(seedPairs)
                d.seeds = seedPairs.count
                d.seedStd = overSeeds.seedStd
                d.bootstrap = overSeeds.bootstrap
                d.tTest = seedCaseTTest(seedPairs)
                row[m.rawValue] = d
            }
            out[String(c)] = row
        }
        return out
    }

    /// Averages each case's paired values over seeds, then runs the Wilcoxon test over cases.
    ///
    /// `seedPairs`: one `pairedMetric` result per common seed (ids, strategy values, supervised values, dropped).
    public static func pairedDifference(_ seedPairs: [(ids: [String], a: [Double], b: [Double], dropped: [String])]) throws -> PairedDifference {
        var sumA: [String: Double] = [:], sumB: [String: Double] = [:], count: [String: Int] = [:]
        var all = Set<String>()
        for p in seedPairs {
            all.formUnion(p.ids); all.formUnion(p.dropped)
            for (i, id) in p.ids.enumerated() { sumA[id, default: 0] += p.a[i]; sumB[id, default: 0] += p.b[i]; count[id, default: 0] += 1 }
        }
        let ids = count.keys.sorted()
        let x = ids.map { sumA[$0, default: 0] / Double(count[$0, default: 1]) }
        let y = ids.map { sumB[$0, default: 0] / Double(count[$0, default: 1]) }
        let dropped = all.count - ids.count
        guard !ids.isEmpty else { return PairedDifference(diff: nil, pValue: nil, n: 0, dropped: dropped, method: nil) }
        let diff = zip(x, y).map { $0 - $1 }.reduce(0, +) / Double(ids.count)
        let w = try Wilcoxon.test(x, y)
        return PairedDifference(diff: diff, pValue: w.pValue.isFinite ? w.pValue : nil, n: ids.count, dropped: dropped,
                                method: w.pValue.isFinite ? w.method.rawValue : nil)
    }

    /// The seed-level view of the paired differences: std over seeds of each seed's mean difference, and the
    /// hierarchical bootstrap over seeds and cases (from 2 seeds; cases missing in any seed are left out).
    public static func seedLevel(_ seedPairs: [(ids: [String], a: [Double], b: [Double], dropped: [String])])
        -> (seedStd: Double?, bootstrap: BootstrapResult?) {
        let perSeed = seedPairs.compactMap { p in Statistics.mean(zip(p.a, p.b).map { $0 - $1 }) }
        let std = perSeed.count == seedPairs.count ? Statistics.sampleStd(perSeed) : nil
        guard seedPairs.count >= 2 else { return (std, nil) }
        return (std, HierarchicalBootstrap.test(differenceMatrix(seedPairs)))
    }

    /// The verdict test: the crossed seeds × cases t-test (`CrossedTTest`) on the paired differences (from 2 seeds;
    /// cases missing in any seed are left out).
    public static func seedCaseTTest(_ seedPairs: [(ids: [String], a: [Double], b: [Double], dropped: [String])]) -> CrossedTTestResult? {
        seedPairs.count >= 2 ? CrossedTTest.test(differenceMatrix(seedPairs)) : nil
    }

    /// Per seed, per case id (sorted over all seeds) the difference a − b; NaN where a seed lacks the case.
    static func differenceMatrix(_ seedPairs: [(ids: [String], a: [Double], b: [Double], dropped: [String])]) -> [[Double]] {
        let ids = Set(seedPairs.flatMap(\.ids)).sorted()
        return seedPairs.map { p -> [Double] in
            var byID: [String: Double] = [:]
            for (i, id) in p.ids.enumerated() { byID[id] = p.a[i] - p.b[i] }
            return ids.map { byID[$0] ?? .nan }
        }
    }

    /// Case results of a run's test report (metrics only; enough for `pairedMetric`).
    static func caseResults(_ s: RunSummary) -> [CaseResult] {
        (s.test?.cases ?? []).map { c in
            CaseResult(caseID: c.case, metrics: Dictionary(uniqueKeysWithValues: c.metrics.compactMap { k, v in Int(k).map { ($0, v) } }),
                       counts: [:], confusion: ConfusionMatrix(classes: 1))
        }
    }
}

// MARK: - JSON and CSV

extension ComparisonSummary {
    /// Pretty JSON with sorted keys (stable diffs).
    public func jsonData() throws -> Data {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// `summary.csv`: one row per strategy x class x metric —
    /// `strategy,class,metric,mean,std,diff_vs_supervised,p_value,n,seed_std_diff,boot_ci_low,boot_ci_high,boot_p_value,t_ci_low,t_ci_high,t_p_value,t_df`
    /// (n = paired test cases of the difference; p_value = case-level Wilcoxon; boot_* = hierarchical bootstrap; t_* = the
    /// crossed seeds x cases t-test, the verdict).
    /// Class `foreground` rows hold the foreground mean; class `all` rows ECE, Brier, training seconds and
    /// `uncertainty_<map>` means. Empty field = not available.
    public func csv() -> String {
        func num(_ v: Double?) -> String { v.flatMap(finite).map { "\($0)" } ?? "" }
        var lines = ["strategy,class,metric,mean,std,diff_vs_supervised,p_value,n,seed_std_diff,boot_ci_low,boot_ci_high,boot_p_value,t_ci_low,t_ci_high,t_p_value,t_df"]
        for s in order {
            guard let r = strategies[s] else { continue }
            for k in r.mean.keys.sorted(by: { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }) {
                for m in Metric.allCases {
                    let v = r.mean[k]?[m.rawValue], d = r.vsSupervised?[k]?[m.rawValue]
                    lines.append([s, k, m.rawValue, num(v?.mean), num(v?.std), num(d?.diff), num(d?.pValue), d.map { String($0.n) } ?? "",
                                  num(d?.seedStd), num(d?.bootstrap?.ciLow), num(d?.bootstrap?.ciHigh), num(d?.bootstrap?.pValue),
                                  num(d?.tTest?.ciLow), num(d?.tTest?.ciHigh), num(d?.tTest?.pValue), num(d?.tTest?.degreesOfFreedom)].joined(separator: ","))
                }
            }
            for m in Metric.allCases {
                let v = r.foregroundMean[m.rawValue]
                lines.append([s, "foreground", m.rawValue, num(v?.mean), num(v?.std), "", "", "", "", "", "", "", "", "", "", ""].joined(separator: ","))
            }
            var extra: [(String, Double?, Double?)] = [("ece", r.ece.mean, r.ece.std), ("brier", r.brier.mean, r.brier.std),
                                                      ("train_seconds", r.trainSeconds, r.trainSecondsStd)]
            for k in r.uncertaintyMean.keys.sorted() { extra.append(("uncertainty_\(k)", r.uncertaintyMean[k]?.mean, r.uncertaintyMean[k]?.std)) }
            for (name, m, sd) in extra { lines.append([s, "all", name, num(m), num(sd), "", "", "", "", "", "", "", "", "", "", ""].joined(separator: ",")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
