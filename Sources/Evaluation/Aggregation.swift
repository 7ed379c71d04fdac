// Aggregation over cases, always keyed by case identity.

// MARK: - Pairing by case id

/// Pairs predictions with references by case id (never by position), sorted by id.
///
/// - Throws: `EvaluationError.duplicateCase` when an id repeats within one list, and
///   `EvaluationError.caseMismatch` naming the ids that have no prediction or no reference.
public func pairByCase<P, R>(predictions: [(id: String, value: P)], references: [(id: String, value: R)]) throws
    -> [(id: String, prediction: P, reference: R)] {
    let p = try uniqueDictionary(predictions)
    let r = try uniqueDictionary(references)
    let missing = r.keys.filter { p[$0] == nil }.sorted()
    let extra = p.keys.filter { r[$0] == nil }.sorted()
    guard missing.isEmpty, extra.isEmpty else {
        throw EvaluationError.caseMismatch(missingPredictions: missing, extraPredictions: extra)
    }
    return r.keys.sorted().compactMap { id in
        guard let a = p[id], let b = r[id] else { return nil }
        return (id, a, b)
    }
}

/// Aligns several prediction sets (e.g. ensemble members) by case id, sorted by id.
///
/// Each returned entry holds one value per set, in set order. Throws `caseMismatch` when a set lacks a case
/// of the first set or has one the first set lacks (ids named), and `duplicateCase` on repeated ids.
public func alignByCase<T>(_ sets: [[(id: String, value: T)]]) throws -> [(id: String, values: [T])] {
    let dicts = try sets.map(uniqueDictionary)
    guard let first = dicts.first else { return [] }
    for d in dicts.dropFirst() {
        let missing = first.keys.filter { d[$0] == nil }.sorted()
        let extra = d.keys.filter { first[$0] == nil }.sorted()
        guard missing.isEmpty, extra.isEmpty else {
            throw EvaluationError.caseMismatch(missingPredictions: missing, extraPredictions: extra)
        }
    }
    return first.keys.sorted().map { id in (id, dicts.compactMap { $0[id] }) }
}

private func uniqueDictionary<T>(_ items: [(id: String, value: T)]) throws -> [String: T] {
    var d: [String: T] = [:]
    for (id, v) in items {
        guard d[id] == nil else { throw EvaluationError.duplicateCase(id) }
        d[id] = v
    }
    return d
}

// MARK: - Aggregate

/// Means over cases per class and metric, excluding undefined values, with the number of undefined cases.
public struct Aggregate: Sendable {
    /// Case ids in the order of `EvaluationReport.cases` (sorted).
    public let caseIDs: [String]
    /// Per class: mean over cases of each metric (undefined values excluded; `nil` if no case defines it).
    public let mean: [Int: MetricValues]
    /// Per class: number of cases whose metric was undefined.
    public let undefined: [Int: [Metric: Int]]
    /// Mean over foreground classes of the per-class means (classes with an undefined mean excluded).
    public let foregroundMean: MetricValues
    /// Pixel-pooled confusion matrix over all cases.
    public let confusion: ConfusionMatrix
}

/// Aggregates case results. Throws `duplicateCase` if an id repeats and `invalidArgument` when the
/// confusion matrices disagree on the class count.
public func aggregate(_ results: [CaseResult]) throws -> Aggregate {
    var seen = Set<String>()
    for r in results where !seen.insert(r.caseID).inserted { throw EvaluationError.duplicateCase(r.caseID) }
    let sorted = results.sorted { $0.caseID < $1.caseID }
    let classes = Set(sorted.flatMap { $0.metrics.keys }).sorted()
    var mean: [Int: MetricValues] = [:], undefined: [Int: [Metric: Int]] = [:]
    for c in classes {
        var mv = MetricValues(), und: [Metric: Int] = [:]
        for m in Metric.allCases {
            let vals = sorted.map { $0.metrics[c]?[m] }
            let defined = vals.compactMap { $0 }
            und[m] = vals.count - defined.count
            mv[m] = Statistics.mean(defined)
        }
        mean[c] = mv
        undefined[c] = und
    }
    var fg = MetricValues()
    for m in Metric.allCases {
        fg[m] = Statistics.mean(classes.filter { $0 > 0 }.compactMap { mean[$0]?[m] })
    }
    var confusion = ConfusionMatrix(classes: sorted.first?.confusion.classes ?? 1)
    for r in sorted { try confusion.add(r.confusion) }
    return Aggregate(caseIDs: sorted.map(\.caseID), mean: mean, undefined: undefined, foregroundMean: fg,
                     confusion: confusion)
}

// MARK: - Whole-set evaluation and paired comparison

/// Evaluates a prediction set against a reference set, pairing cases by id (see `pairByCase`).
///
/// - Returns: one `CaseResult` per case, sorted by id.
/// - Throws: `caseMismatch` / `duplicateCase` naming the ids, or any per-case error.
public func evaluateCases(predictions: [(id: String, value: LabelMap)], references: [(id: String, value: LabelMap)],
                          classes: Int, options: MetricOptions = MetricOptions()) throws -> [CaseResult] {
    try pairByCase(predictions: predictions, references: references).map { pair in
        try evaluateCase(pair.id, prediction: pair.prediction, reference: pair.reference, classes: classes, options: options)
    }
}

/// Paired values of one metric of one class from two result sets (e.g. two strategies), matched by case id.
///
/// Cases where either side is undefined are dropped and listed in `dropped`.
/// - Throws: `caseMismatch` when the two sets do not cover the same cases, `duplicateCase` on repeated ids.
public func pairedMetric(_ a: [CaseResult], _ b: [CaseResult], class c: Int, metric: Metric) throws
    -> (ids: [String], a: [Double], b: [Double], dropped: [String]) {
    let pairs = try pairByCase(predictions: a.map { (id: $0.caseID, value: $0) }, references: b.map { (id: $0.caseID, value: $0) })
    var ids: [String] = [], xa: [Double] = [], xb: [Double] = [], dropped: [String] = []
    for p in pairs {
        if let u = p.prediction.metrics[c]?[metric], let v = p.reference.metrics[c]?[metric] {
            ids.append(p.id); xa.append(u); xb.append(v)
        } else {
            dropped.append(p.id)
        }
    }
    return (ids, xa, xb, dropped)
}
