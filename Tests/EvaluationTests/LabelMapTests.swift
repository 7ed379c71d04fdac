// Tests of LabelMap.swift: geometry validation and one-vs-rest masks.

import Testing
@testable import Evaluation

@Suite struct LabelMapTests {
    @Test func validatesGeometry() throws {
        let m = try LabelMap(labels: [0, 1, 2, 1, 0, 0], shape: [2, 3], spacing: [0.5, 2])
        #expect(m.spacing == [0.5, 2] && m.shape == [2, 3] && m.maxLabel == 2)
        #expect(m.mask(of: 1) == [false, true, false, true, false, false])
        #expect(try LabelMap(labels: [0, 0], shape: [1, 1, 2]).spacing == [1, 1, 1])
        #expect(throws: EvaluationError.sizeMismatch(expected: 6, got: 5, what: "label map")) {
            try LabelMap(labels: [0, 0, 0, 0, 0], shape: [2, 3])
        }
        #expect(throws: EvaluationError.badShape([6])) { try LabelMap(labels: [0, 0, 0, 0, 0, 0], shape: [6]) }
        #expect(throws: EvaluationError.badSpacing([1, 0])) { try LabelMap(labels: [0], shape: [1, 1], spacing: [1, 0]) }
        #expect(throws: EvaluationError.badSpacing([1])) { try GridGeometry(shape: [1, 1], spacing: [1]) }
    }
}
