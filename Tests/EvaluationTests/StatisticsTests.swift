// Tests of Statistics.swift (numpy mean / std(ddof=1)).

import Testing
@testable import Evaluation

@Suite struct StatisticsTests {
    @Test func meanAndSampleStd() {
        #expect(Statistics.mean([1, 2, 3, 4]) == 2.5)
        #expect(Statistics.mean([]) == nil)
        // numpy.std([2, 4, 4, 4, 5, 5, 7, 9], ddof=1) = 2.138089935299395
        #expect(abs((Statistics.sampleStd([2, 4, 4, 4, 5, 5, 7, 9]) ?? 0) - 2.138089935299395) < 1e-12)
        #expect(Statistics.sampleStd([3]) == nil)
        let ms = Statistics.meanStd([1, 3])
        #expect(ms.mean == 2 && abs((ms.std ?? 0) - 2.0.squareRoot()) < 1e-12)
    }
}
