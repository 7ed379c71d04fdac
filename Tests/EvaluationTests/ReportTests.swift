// Tests of Report.swift: the docs/ARCHITECTURE.md §7 `semiseg evaluate` JSON shape, with explicit nulls.

import Foundation
import Testing
@testable import Evaluation

@Suite struct ReportTests {
    @Test func jsonShapeAndNulls() throws {
        let ref = try LabelMap(labels: [0, 1, 1, 0, 0, 0], shape: [2, 3], spacing: [1, 1])
        let good = try LabelMap(labels: [0, 1, 1, 0, 0, 0], shape: [2, 3], spacing: [1, 1])
        let empty = try LabelMap(labels: [0, 0, 0, 0, 0, 0], shape: [2, 3], spacing: [1, 1])
        let results = [try evaluateCase("b.nii.gz", prediction: empty, reference: ref, classes: 2),
                       try evaluateCase("a.nii.gz", prediction: good, reference: ref, classes: 2)]
        let report = try EvaluationReport(results: results, includeSemantic: true)
        let data = try report.jsonData(compact: true)
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(obj.keys) == ["cases", "mean", "foreground_mean", "undefined", "semantic"])
        let cases = try #require(obj["cases"] as? [[String: Any]])
        #expect(cases.map { $0["case"] as? String } == ["a.nii.gz", "b.nii.gz"])
        let m = try #require((cases[1]["metrics"] as? [String: Any])?["1"] as? [String: Any])
        #expect(Set(m.keys) == ["dice", "iou", "hd95", "assd", "nsd", "precision", "recall"])
        #expect(m["hd95"] is NSNull)
        #expect(m["precision"] is NSNull)
        #expect((m["dice"] as? Double) == 0)
        let undefined = try #require((obj["undefined"] as? [String: Any])?["1"] as? [String: Int])
        #expect(undefined["hd95"] == 1 && undefined["dice"] == 0)
        let mean = try #require((obj["mean"] as? [String: Any])?["1"] as? [String: Any])
        #expect((mean["dice"] as? Double) == 0.5)
        #expect((mean["hd95"] as? Double) == 0)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"hd95\":null"))
        // Round trip.
        let back = try JSONDecoder().decode(EvaluationReport.self, from: data)
        #expect(back == report)
    }

    @Test func semanticOmittedByDefault() throws {
        let ref = try LabelMap(labels: [0, 1], shape: [1, 2])
        let report = try EvaluationReport(results: [try evaluateCase("x", prediction: ref, reference: ref, classes: 2)])
        let obj = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect(obj["semantic"] == nil)
    }
}
