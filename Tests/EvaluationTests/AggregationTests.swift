// Tests of Aggregation.swift: pairing strictly by case id, means that skip undefined values.

import Testing
@testable import Evaluation

@Suite struct AggregationTests {
    func result(_ id: String, _ dice: Double?, _ hd95: Double?, class2 dice2: Double? = nil) -> CaseResult {
        var m1 = MetricValues(); m1[.dice] = dice; m1[.hd95] = hd95
        var m2 = MetricValues(); m2[.dice] = dice2
        return CaseResult(caseID: id, metrics: [1: m1, 2: m2], counts: [:], confusion: ConfusionMatrix(classes: 3))
    }

    @Test func pairsByIdNotPosition() throws {
        let pairs = try pairByCase(predictions: [(id: "b", value: 2), (id: "a", value: 1)],
                                   references: [(id: "a", value: "A"), (id: "b", value: "B")])
        #expect(pairs.map(\.id) == ["a", "b"])
        #expect(pairs.map(\.prediction) == [1, 2])
        #expect(pairs.map(\.reference) == ["A", "B"])
    }

    @Test func pairingNamesMissingAndExtraCases() {
        #expect(throws: EvaluationError.caseMismatch(missingPredictions: ["c"], extraPredictions: ["z"])) {
            try pairByCase(predictions: [(id: "a", value: 1), (id: "z", value: 2)],
                           references: [(id: "a", value: 1), (id: "c", value: 3)])
        }
        #expect(throws: EvaluationError.duplicateCase("a")) {
            try pairByCase(predictions: [(id: "a", value: 1), (id: "a", value: 2)], references: [(id: "a", value: 1)])
        }
        let msg = EvaluationError.caseMismatch(missingPredictions: ["c"], extraPredictions: ["z"]).description
        #expect(msg.contains("c") && msg.contains("z"))
    }

    @Test func alignsEnsembleMembersById() throws {
        let aligned = try alignByCase([[(id: "x", value: 1), (id: "y", value: 2)],
                                       [(id: "y", value: 20), (id: "x", value: 10)]])
        #expect(aligned.map(\.id) == ["x", "y"])
        #expect(aligned.map(\.values) == [[1, 10], [2, 20]])
        #expect(throws: EvaluationError.caseMismatch(missingPredictions: ["y"], extraPredictions: ["w"])) {
            try alignByCase([[(id: "x", value: 1), (id: "y", value: 2)], [(id: "x", value: 1), (id: "w", value: 2)]])
        }
    }

    @Test func meansSkipUndefinedAndCountThem() throws {
        let agg = try aggregate([result("c2", 0.8, nil, class2: 0.4), result("c1", 0.6, 3.0), result("c3", nil, 5.0, class2: 0.6)])
        #expect(agg.caseIDs == ["c1", "c2", "c3"])
        #expect(close(agg.mean[1]?[.dice], 0.7, 1e-12))
        #expect(agg.mean[1]?[.hd95] == 4.0)
        #expect(agg.undefined[1]?[.dice] == 1 && agg.undefined[1]?[.hd95] == 1 && agg.undefined[1]?[.nsd] == 3)
        #expect(agg.mean[1]?[.nsd] == nil)
        #expect(close(agg.mean[2]?[.dice], 0.5, 1e-12))
        #expect(close(agg.foregroundMean[.dice], 0.6, 1e-12))
        #expect(agg.foregroundMean[.hd95] == 4.0)  // class 2 has no hd95 at all: excluded
        #expect(throws: EvaluationError.duplicateCase("c1")) { try aggregate([result("c1", 1, 1), result("c1", 1, 1)]) }
    }

    @Test func evaluatesSetsById() throws {
        let r1 = try LabelMap(labels: [0, 1, 1, 0], shape: [2, 2]), r2 = try LabelMap(labels: [1, 1, 1, 1], shape: [2, 2])
        // Predictions listed in the opposite order: results must still follow the ids.
        let res = try evaluateCases(predictions: [(id: "b", value: r2), (id: "a", value: r1)],
                                    references: [(id: "a", value: r1), (id: "b", value: r2)], classes: 2)
        #expect(res.map(\.caseID) == ["a", "b"])
        #expect(res.allSatisfy { $0.metrics[1]?[.dice] == 1 })
        #expect(throws: EvaluationError.caseMismatch(missingPredictions: ["b"], extraPredictions: [])) {
            try evaluateCases(predictions: [(id: "a", value: r1)], references: [(id: "a", value: r1), (id: "b", value: r2)], classes: 2)
        }
    }

    @Test func pairedMetricMatchesById() throws {
        let a = [result("x", 0.9, 1), result("y", 0.5, nil), result("z", nil, 2)]
        let b = [result("z", 0.3, 1), result("x", 0.8, 2), result("y", 0.4, 3)]
        let p = try pairedMetric(a, b, class: 1, metric: .dice)
        #expect(p.ids == ["x", "y"] && p.a == [0.9, 0.5] && p.b == [0.8, 0.4] && p.dropped == ["z"])
        #expect(throws: EvaluationError.self) { try pairedMetric(a, Array(b.dropLast()), class: 1, metric: .dice) }
    }
}
