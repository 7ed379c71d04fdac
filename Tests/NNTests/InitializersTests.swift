import Engine
@testable import NN
import Testing

extension NNTests {
    @Suite("Initializers")
    struct InitializersTests {
        @Test func kaimingUniformIsSeededAndBounded() {
            var a = RNG(seed: 7), b = RNG(seed: 7)
            let x = Initializers.kaimingUniform([1000], fanIn: 25, rng: &a)
            let y = Initializers.kaimingUniform([1000], fanIn: 25, rng: &b)
            #expect(x.scalars == y.scalars)
            #expect(x.scalars.allSatisfy { abs($0) <= 0.2 })
            let mean = x.scalars.reduce(0, +) / 1000
            let variance = x.scalars.map { $0 * $0 }.reduce(0, +) / 1000
            #expect(abs(mean) < 0.02 && abs(variance - 0.04 / 3) < 0.002)   // U(-b, b): var b²/3
        }
    }
}
