import Engine
import NN
import Testing

/// The fused inference path of `DoubleConv` (conv + eval batch norm + ReLU in one op, taken under `withNoGrad`)
/// against the same network run op by op (recording history), bit for bit; training mode is never fused.
@Suite("UNetFusedInference")
struct UNetFusedInferenceTests {
    /// A U-Net whose batch-norm statistics are not the initial 0 / 1 (a few training-mode forward passes).
    static func model(_ config: UNetConfig, input: Tensor) -> UNet {
        let m = UNet(config, seed: 3)
        m.train()
        for _ in 0..<2 { _ = withNoGrad { m(input) } }
        return m
    }

    @Test(arguments: [
        UNetConfig(dims: 2, baseChannels: 4, depth: 2),
        UNetConfig(dims: 3, baseChannels: 2, depth: 2),
        UNetConfig(dims: 2, baseChannels: 4, depth: 2, norm: .none),
        UNetConfig(dims: 2, baseChannels: 4, depth: 2, norm: .instance),
        UNetConfig(dims: 2, baseChannels: 4, depth: 2, upsampling: .transposedConv),
    ])
    func evalNoGradEqualsOpByOp(_ config: UNetConfig) {
        var rng = RNG(seed: 1)
        let spatial = config.dims == 2 ? [32, 48] : [8, 12, 32]
        let x = Tensor.randn([2, 1] + spatial, rng: &rng)
        let m = Self.model(config, input: x)
        m.eval()
        let unfused = m(x)          // records (parameters require gradients): conv, batch norm and ReLU one by one
        #expect(unfused.requiresGrad)
        let fused = withNoGrad { m(x) }
        #expect(!fused.requiresGrad)
        #expect(fused.scalars == unfused.scalars)
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
