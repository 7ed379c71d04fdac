// Tests of Wilcoxon.swift. Reference p-values: scipy 1.17.1 `scipy.stats.wilcoxon(x, y, method=...)` from
// scripts/reference/eval_reference.py (Fixtures/eval_reference.json, key "wilcoxon"); must agree to 1e-6.

import Testing
@testable import Evaluation

@Suite struct WilcoxonTests {
    @Test func scipyParity() throws {
        let fx = try #require(ReferenceFixture.shared)
        #expect(fx.wilcoxon.count >= 8)
        for c in fx.wilcoxon {
            for (method, ref) in [(WilcoxonMethod.auto, c.auto), (.exact, c.exact), (.asymptotic, c.asymptotic)] {
                guard let ref else { continue }
                let r = try Wilcoxon.test(c.x, c.y, method: method)
                #expect(abs(r.pValue - ref.pvalue) < 1e-6, "\(c.name) \(method) (used \(r.method)): \(r.pValue) vs scipy \(ref.pvalue)")
                #expect(abs(r.statistic - ref.statistic) < 1e-9, "\(c.name) statistic")
            }
        }
    }

    @Test func autoPicksScipyMethod() throws {
        #expect(try Wilcoxon.test([1, 2, 3, 4], [0, 0, 0, 0.5]).method == .exact)
        #expect(try Wilcoxon.test([1, 2, 3, 4], [0, 0, 3, 0.5]).method == .permutation)
        let x = (0..<60).map(Double.init), y = (0..<60).map { Double($0) * 1.01 + 0.001 }
        #expect(try Wilcoxon.test(x, y).method == .asymptotic)
    }

    @Test func rejectsBadInput() {
        #expect(throws: EvaluationError.self) { try Wilcoxon.test([1, 2], [1]) }
        #expect(throws: EvaluationError.self) { try Wilcoxon.test([], []) }
    }
}
