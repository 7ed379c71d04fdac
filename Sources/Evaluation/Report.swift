// The JSON report written by `semiseg evaluate` (docs/ARCHITECTURE.md §7).

import Foundation

/// The evaluation report:
/// `{"cases":[{"case":"x.nii.gz","metrics":{"1":{"dice":..,"iou":..,"hd95":..,"assd":..,"nsd":..,"precision":..,"recall":..}}}],
///   "mean":{"1":{..}},"foreground_mean":{..},"undefined":{"1":{"hd95":2,...}}}`
/// plus an optional `"semantic"` block (pixel-pooled confusion-matrix summary). Class keys are the class
/// index as a string; undefined metrics are JSON `null` and excluded from means; distances are in mm.
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// One case of the report.
    public struct Case: Codable, Equatable, Sendable {
        /// Case identifier (file name).
        public let `case`: String
        /// Metrics per class key (`"1"`, `"2"`, ...).
        public let metrics: [String: MetricValues]

        /// Stores a case entry.
        public init(case id: String, metrics: [String: MetricValues]) {
            self.case = id
            self.metrics = metrics
        }
    }

    /// Per-case metrics, sorted by case id.
    public let cases: [Case]
    /// Per class key: mean over cases with the metric defined.
    public let mean: [String: MetricValues]
    /// Mean over foreground classes of the per-class means.
    public let foregroundMean: MetricValues
    /// Per class key and metric name: the number of cases where the metric was undefined.
    public let undefined: [String: [String: Int]]
    /// Pixel-pooled semantic summary (mean IoU, mean Dice, accuracies), when requested.
    public let semantic: SemanticSummary?

    private enum CodingKeys: String, CodingKey {
        case cases, mean, foregroundMean = "foreground_mean", undefined, semantic
    }

    /// Builds a report from case results (aggregated by case id; throws on duplicate ids).
    public init(results: [CaseResult], includeSemantic: Bool = false) throws {
        let agg = try aggregate(results)
        self.init(aggregate: agg, results: results, includeSemantic: includeSemantic)
    }

    /// Builds a report from an aggregate and the results it was made of.
    public init(aggregate agg: Aggregate, results: [CaseResult], includeSemantic: Bool = false) {
        let byID = Dictionary(results.map { ($0.caseID, $0) }, uniquingKeysWith: { a, _ in a })
        cases = agg.caseIDs.compactMap { id in
            byID[id].map { r in
                Case(case: id, metrics: Dictionary(uniqueKeysWithValues: r.metrics.map { (String($0.key), $0.value) }))
            }
        }
        mean = Dictionary(uniqueKeysWithValues: agg.mean.map { (String($0.key), $0.value) })
        foregroundMean = agg.foregroundMean
        undefined = Dictionary(uniqueKeysWithValues: agg.undefined.map { c, u in
            (String(c), Dictionary(uniqueKeysWithValues: u.map { ($0.key.rawValue, $0.value) }))
        })
        semantic = includeSemantic ? agg.confusion.summary : nil
    }

    /// Decodes a report.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cases = try c.decode([Case].self, forKey: .cases)
        mean = try c.decode([String: MetricValues].self, forKey: .mean)
        foregroundMean = try c.decode(MetricValues.self, forKey: .foregroundMean)
        undefined = try c.decodeIfPresent([String: [String: Int]].self, forKey: .undefined) ?? [:]
        semantic = try c.decodeIfPresent(SemanticSummary.self, forKey: .semantic)
    }

    /// Encodes the report; `semantic` only when present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cases, forKey: .cases)
        try c.encode(mean, forKey: .mean)
        try c.encode(foregroundMean, forKey: .foregroundMean)
        try c.encode(undefined, forKey: .undefined)
        try c.encodeIfPresent(semantic, forKey: .semantic)
    }

    /// UTF-8 JSON with sorted keys (stable diffs), pretty-printed unless `compact`.
    public func jsonData(compact: Bool = false) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = compact ? [.sortedKeys] : [.sortedKeys, .prettyPrinted]
        return try e.encode(self)
    }
}
