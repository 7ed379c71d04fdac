import Engine
import NN
import Testing
import TestSupport

/// The fused inference path of `DoubleConv` (conv + eval batch norm + ReLU in one op, taken under `withNoGrad`)
/// against the same network run op by op (recording history), bit for bit; training mode is never fused. Where a
/// network has a 3x3 convolution with 16 or more input and output channels (the bottleneck of a 2D net with 4 base
/// channels and depth 2), inference runs it as Winograd F(4x4, 3x3), which agrees within 1e-4 of the output's largest
/// magnitude instead (docs/ARCHITECTURE.md, Engine).
@Suite("UNetFusedInference")
struct UNetFusedInferenceTests {
    /// A U-Net whose batch-norm statistics are not the initial 0 / 1 (a few training-mode forward passes).
    static func model(_ config: UNetConfig, input: Tensor) -> UNet {
        let m = UNet(config, seed: 3)
        m.train()
        for _ in 0..<2 { _ = withNoGrad { m(input) } }
        return m
    }

    /// `expected` bit for bit, or (`winograd`) within 1e-4 of its largest magnitude.
    static func expectSame(_ got: [Float], _ expected: [Float], winograd: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        if winograd {
            let magnitude = expected.reduce(0) { max($0, abs($1)) }
            expectClose(got, expected, atol: 1e-4 * magnitude, rtol: 0, sourceLocation: sourceLocation)
        } else {
            #expect(got == expected, sourceLocation: sourceLocation)
        }
    }

    /// (configuration, whether it has a Winograd-sized convolution: 16 -> 16 at the bottleneck).
    @Test(arguments: [
        (UNetConfig(dims: 2, baseChannels: 4, depth: 2), true),
        (UNetConfig(dims: 2, baseChannels: 2, depth: 2), false),
        (UNetConfig(dims: 3, baseChannels: 2, depth: 2), false),
        (UNetConfig(dims: 2, baseChannels: 4, depth: 2, norm: .none), true),
        (UNetConfig(dims: 2, baseChannels: 4, depth: 2, norm: .instance), true),
        (UNetConfig(dims: 2, baseChannels: 4, depth: 2, upsampling: .transposedConv), true),
    ])
    func evalNoGradEqualsOpByOp(_ config: UNetConfig, winograd: Bool) {
        var rng = RNG(seed: 1)
        let spatial = config.dims == 2 ? [32, 48] : [8, 12, 32]
        let x = Tensor.randn([2, 1] + spatial, rng: &rng)
        let m = Self.model(config, input: x)
        m.eval()
        let unfused = m(x)          // records (parameters require gradients): conv, batch norm and ReLU one by one
        #expect(unfused.requiresGrad)
        let fused = withNoGrad { m(x) }
        #expect(!fused.requiresGrad)
        Self.expectSame(fused.scalars, unfused.scalars, winograd: winograd)
    }

    @Test func trainModeUnderNoGradIsNotFused() {
        var rng = RNG(seed: 2)
        let x = Tensor.randn([2, 1, 16, 32], rng: &rng)
        let config = UNetConfig(dims: 2, baseChannels: 4, depth: 2)
        let a = UNet(config, seed: 5), b = UNet(config, seed: 5)
        a.train(); b.train()
        let ya = withNoGrad { a(x) }, yb = b(x)
        #expect(ya.scalars == yb.scalars)
        // The running statistics moved the same way (batch statistics were used, not the fused eval affine step).
        #expect(a.stateDict()["inc.b.1.running_mean"]?.scalars == b.stateDict()["inc.b.1.running_mean"]?.scalars)
        #expect(a.stateDict()["inc.b.1.running_mean"]?.scalars != UNet(config, seed: 5).stateDict()["inc.b.1.running_mean"]?.scalars)
    }
}
