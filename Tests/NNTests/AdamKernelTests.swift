import Engine
@testable import NN
import Testing

/// Adam's 8-lane update against its scalar loop, bit for bit (each element updated alone takes the scalar tail): plain,
/// L2 weight decay, decoupled (AdamW), β1 on both sides of torch.lerp's 0.5 switch, tails of every length.
@Suite("Adam kernel")
struct AdamKernelTests {
    @Test(arguments: [(0.9, 0, false), (0.8, 0.05, false), (0.9, 0.1, true), (0.3, 0.01, false)] as [(Float, Float, Bool)])
    func simdLanesMatchTheScalarLoop(_ beta1: Float, _ wd: Float, _ decoupled: Bool) {
        let n = 77
        var rng = RNG(seed: 5)
        let p0 = (0..<n).map { _ in rng.uniform(-1, 1) }, g = (0..<n).map { i in i % 9 == 4 ? 0 : rng.uniform(-3, 3) }
        let m0 = (0..<n).map { _ in rng.uniform(-0.1, 0.1) }, v0 = (0..<n).map { _ in rng.uniform(0, 0.01) }
        let k = AdamKernel(lr: 0.01, weightDecay: wd, beta1: beta1, beta2: 0.999, eps: 1e-8, decoupled: decoupled,
                           stepSize: 0.013, bc2Sqrt: 0.07)
        func run(oneByOne: Bool) -> [[UInt32]] {
            var p = p0, m = m0, v = v0
            p.withUnsafeMutableBufferPointer { pp in m.withUnsafeMutableBufferPointer { pm in v.withUnsafeMutableBufferPointer { pv in
                g.withUnsafeBufferPointer { pg in
                    if oneByOne {
                        for i in 0..<n { k.update(p: pp.baseAddress!, g: pg.baseAddress!, m: pm.baseAddress!, v: pv.baseAddress!, i..<(i + 1)) }
                    } else {
                        k.update(p: pp.baseAddress!, g: pg.baseAddress!, m: pm.baseAddress!, v: pv.baseAddress!, 0..<n)
                    }
                }
            } } }
            return [p, m, v].map { $0.map(\.bitPattern) }
        }
        let scalar = run(oneByOne: true), simd = run(oneByOne: false)
        #expect(simd == scalar)
        #expect(scalar[0] != p0.map(\.bitPattern))  // the parameters moved
    }
}
