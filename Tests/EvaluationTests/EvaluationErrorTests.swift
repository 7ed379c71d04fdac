// Tests of EvaluationError.swift: messages name the offending cases and values.

import Testing
@testable import Evaluation

@Suite struct EvaluationErrorTests {
    @Test func messages() {
        let e = EvaluationError.caseMismatch(missingPredictions: ["liver_3.nii.gz"], extraPredictions: ["liver_9.nii.gz"])
        #expect(e.description == "cases do not match: no prediction for liver_3.nii.gz; no reference for liver_9.nii.gz")
        #expect(EvaluationError.duplicateCase("a").description.contains("a"))
        #expect(EvaluationError.labelOutOfRange(label: 4, classes: 3).description == "label 4 out of range for 3 classes")
    }
}
