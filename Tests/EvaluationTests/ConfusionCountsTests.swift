// Tests of ConfusionCounts.swift. Semantic summary constants: FCN/DeepLab `label_accuracy_score` computed with numpy
// in scripts/reference/eval_reference.py (Fixtures/eval_reference.json, key "semantic").

import Testing
@testable import Evaluation

@Suite struct ConfusionCountsTests {
    @Test func binaryCounts() throws {
        let k = try BinaryCounts(prediction: [true, true, false, false, true], reference: [true, false, true, false, true])
        #expect(k == BinaryCounts(tp: 2, fp: 1, fn: 1, tn: 1))
        #expect(k.dice == 4.0 / 6.0)
        #expect(k.iou == 0.5)
        #expect(k.precision == 2.0 / 3.0 && k.recall == 2.0 / 3.0)
        #expect((k + k).tp == 4)
        #expect(throws: EvaluationError.self) { try BinaryCounts(prediction: [true], reference: []) }
    }

    @Test func semanticSummaryMatchesFCNReference() throws {
        let fx = try #require(ReferenceFixture.shared).semantic
        var m = ConfusionMatrix(classes: fx.classes)
        for c in fx.cases { try m.add(prediction: c.pred, reference: c.gt) }
        #expect(m.counts == fx.confusion.flatMap { $0 })
        let s = m.summary
        #expect(close(s.overallAccuracy, fx.overall_accuracy, 1e-12))
        #expect(close(s.meanAccuracy, fx.mean_accuracy, 1e-12))
        #expect(close(s.meanIoU, fx.mean_iou, 1e-12))
        #expect(close(s.meanDice, fx.mean_dice, 1e-12))
        #expect(close(s.frequencyWeightedIoU, fx.frequency_weighted_iou, 1e-12))
        for c in 0..<fx.classes {
            #expect(close(s.iou[c], fx.iou[c], 1e-12))
            #expect(close(s.dice[c], fx.dice[c], 1e-12))
        }
    }

    @Test func absentClassIsSkippedByMeans() throws {
        let m = try ConfusionMatrix(prediction: [0, 0, 1, 1], reference: [0, 1, 1, 1], classes: 3)
        let s = m.summary
        #expect(s.iou[2] == nil && s.accuracy[2] == nil)
        #expect(close(s.meanIoU, (0.5 + 2.0 / 3.0) / 2, 1e-12))
        #expect(s.overallAccuracy == 0.75)
        #expect(m.binary(1) == BinaryCounts(tp: 2, fp: 0, fn: 1, tn: 1))
    }

    @Test func rejectsOutOfRangeLabels() {
        #expect(throws: EvaluationError.labelOutOfRange(label: 5, classes: 2)) {
            try ConfusionMatrix(prediction: [5], reference: [0], classes: 2)
        }
    }
}
