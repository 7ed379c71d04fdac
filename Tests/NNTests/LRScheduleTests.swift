import Foundation
@testable import NN
import Testing
import TestSupport

extension NNTests {
    /// Learning-rate sequences against torch.optim.lr_scheduler (constants: scripts/reference/nn_reference.py, gen_schedules).
    @Suite("LR schedules")
    struct LRScheduleTests {
        func check(_ key: String, _ s: LRSchedule, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let ref = floats(try Fixtures.json("schedules.json")[key])
            #expect(!ref.isEmpty, sourceLocation: sourceLocation)
            expectClose(ref.indices.map { s.learningRate(at: $0) }, ref, atol: 1e-7, rtol: 1e-5, "\(key)", sourceLocation: sourceLocation)
        }

        @Test func matchesTorchSchedulers() throws {
            try check("poly", .poly(base: 0.1, totalSteps: 10))
            try check("step", LRSchedule(base: 0.1, kind: .step(every: 3, gamma: 0.5)))
            try check("sgdr_tmult2", LRSchedule(base: 0.1, kind: .cosineRestarts(t0: 3, tMult: 2, etaMin: 0.001)))
            try check("sgdr_tmult1", LRSchedule(base: 0.1, kind: .cosineRestarts(t0: 4, tMult: 1, etaMin: 0)))
        }

        @Test func warmupAndConstant() throws {
            let s = LRSchedule.poly(base: 1, totalSteps: 10, warmupSteps: 4)
            #expect((0..<4).map { s.learningRate(at: $0) } == [0.25, 0.5, 0.75, 1])
            #expect(s.learningRate(at: 4) == 1 && s.learningRate(at: 14) == 0 && s.learningRate(at: 20) == 0)
            #expect(LRSchedule(base: 0.3).learningRate(at: 1000) == 0.3)
            let data = try JSONEncoder().encode(s)
            #expect(try JSONDecoder().decode(LRSchedule.self, from: data) == s)
        }
    }
}
