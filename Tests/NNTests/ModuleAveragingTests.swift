import Engine
@testable import NN
import Testing
import TestSupport

extension NNTests {
    @Suite("Module averaging")
    struct ModuleAveragingTests {
        @Test func emaMixesParametersAndCopiesBuffers() {
            let cfg = UNetConfig(dims: 2, baseChannels: 2, depth: 1)
            let student = UNet(cfg, seed: 1), teacher = UNet(cfg, seed: 2)
            let t0 = teacher.head.weight.scalars, s0 = student.head.weight.scalars
            student.inc.b.layers.compactMap { $0 as? BatchNorm }.first?.runningMean.withMutableData { $0[0] = 5 }
            teacher.updateEMA(from: student, decay: 0.9)
            expectClose(teacher.head.weight.scalars, zip(t0, s0).map { 0.9 * $0 + 0.1 * $1 }, atol: 1e-7)
            #expect(teacher.stateDict()["inc.b.1.running_mean"]?.scalars.first == 5)
            teacher.copyState(from: student)
            #expect(teacher.head.weight.scalars == s0)
        }
    }
}
