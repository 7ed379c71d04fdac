// Tests of CaseMetrics.swift. Reference values: medpy 0.5.2 `dc`, `jc`, `precision`, `recall`, `hd95`
// from scripts/reference/eval_reference.py (Fixtures/eval_reference.json). SemiSeg conventions differ from medpy
// on purpose where medpy returns 1.0 (both empty Dice/IoU) or 0.0 (0/0 precision/recall): SemiSeg says nil.

import Testing
@testable import Evaluation

@Suite struct CaseMetricsTests {
    @Test func medpyOverlapParity() throws {
        let fx = try #require(ReferenceFixture.shared, "missing Fixtures/eval_reference.json")
        for c in fx.binary {
            let (v, k) = try binaryMetrics(prediction: c.predMask, reference: c.refMask, geometry: c.geometry)
            #expect(k == BinaryCounts(tp: c.tp, fp: c.fp, fn: c.fn, tn: c.tn), "\(c.name) counts")
            let bothEmpty = c.tp + c.fp + c.fn == 0
            #expect(close(v[.dice], bothEmpty ? nil : c.dc, 1e-6), "\(c.name) dice \(String(describing: v[.dice]))")
            #expect(close(v[.iou], bothEmpty ? nil : c.jc, 1e-6), "\(c.name) iou")
            #expect(close(v[.precision], c.tp + c.fp == 0 ? nil : c.precision, 1e-6), "\(c.name) precision")
            #expect(close(v[.recall], c.tp + c.fn == 0 ? nil : c.recall, 1e-6), "\(c.name) recall")
            #expect(close(v[.hd95], c.hd95, 1e-4), "\(c.name) hd95")
            #expect(close(v[.assd], c.assd, 1e-4), "\(c.name) assd")
        }
    }

    @Test func emptyConventions() throws {
        let g = try GridGeometry(shape: [3, 3])
        let empty = [Bool](repeating: false, count: 9)
        var one = empty; one[4] = true
        let (both, _) = try binaryMetrics(prediction: empty, reference: empty, geometry: g)
        #expect(both[.dice] == nil && both[.iou] == nil && both[.hd95] == nil && both[.nsd] == nil)
        #expect(both[.precision] == nil && both[.recall] == nil)
        let (fpOnly, _) = try binaryMetrics(prediction: one, reference: empty, geometry: g)
        #expect(fpOnly[.dice] == 0 && fpOnly[.iou] == 0 && fpOnly[.nsd] == 0 && fpOnly[.hd95] == nil)
        #expect(fpOnly[.precision] == 0 && fpOnly[.recall] == nil)
        let (same, _) = try binaryMetrics(prediction: one, reference: one, geometry: g)
        #expect(same[.dice] == 1 && same[.hd95] == 0 && same[.assd] == 0 && same[.nsd] == 1)
    }

    @Test func multiClassCase() throws {
        // 1x6 row: reference [0,1,1,2,2,0], prediction [0,1,2,2,2,1].
        let ref = try LabelMap(labels: [0, 1, 1, 2, 2, 0], shape: [1, 6], spacing: [1, 2])
        let pred = try LabelMap(labels: [0, 1, 2, 2, 2, 1], shape: [1, 6], spacing: [1, 2])
        let r = try evaluateCase("row.nii.gz", prediction: pred, reference: ref, classes: 3)
        #expect(r.caseID == "row.nii.gz")
        #expect(r.counts[1] == BinaryCounts(tp: 1, fp: 1, fn: 1, tn: 3))
        #expect(r.metrics[1]?[.dice] == 0.5)
        #expect(r.metrics[2]?[.dice] == 0.8)
        #expect(r.confusion[reference: 1, predicted: 2] == 1)
        #expect(r.metrics.keys.sorted() == [1, 2])
        #expect(throws: EvaluationError.self) {
            try evaluateCase("x", prediction: pred, reference: try LabelMap(labels: [0, 0, 0, 0, 0, 0], shape: [2, 3]), classes: 3)
        }
        #expect(throws: EvaluationError.labelOutOfRange(label: 2, classes: 2)) {
            try evaluateCase("x", prediction: pred, reference: ref, classes: 2)
        }
    }

    @Test func surfaceMetricsCanBeSkipped() throws {
        let g = try GridGeometry(shape: [3, 3])
        var one = [Bool](repeating: false, count: 9); one[4] = true
        let (v, _) = try binaryMetrics(prediction: one, reference: one, geometry: g, options: MetricOptions(surfaceMetrics: false))
        #expect(v[.dice] == 1 && v[.hd95] == nil && v[.nsd] == nil)
    }
}
