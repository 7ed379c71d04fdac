import Engine
@testable import NN
import Testing
import TestSupport

/// The dilated FCN's inference path (batch norm folded into each convolution, leaky ReLU + residual in one pass, the head's
/// 1x1 convolution reading the ten feature maps in place) against the same eval-mode network run op by op (recording,
/// which takes the generic path), 2D and 3D, batch 1 and 3; with MC dropout active it keeps the concatenation.
@Suite("Dilated FCN inference")
struct DilatedFCNInferenceTests {
    @Test(arguments: [(2, [1, 1, 33, 47]), (2, [3, 2, 40, 24]), (3, [2, 1, 9, 12, 14])])
    func inferenceMatchesTheOpByOpForward(_ dims: Int, _ shape: [Int]) {
        let net = DilatedFCN(DilatedFCNConfig(dims: dims, inChannels: shape[1], classes: 3, baseChannels: 8), seed: 4)
        // Non-trivial batch-norm statistics: a few training passes move the running means and variances.
        var rng = RNG(seed: 2)
        for _ in 0..<3 { _ = withNoGrad { net.train()(Tensor.uniform(shape, -1, 1, rng: &rng)) } }
        net.eval()
        let x = Tensor.uniform(shape, -2, 2, rng: &rng)
        let fast = withNoGrad { net(x) }
        #expect(withNoGrad { net.inference(x) } != nil, "eval mode without recording takes the inference path")
        let reference = net(x)  // recording: the generic path, each op on its own
        #expect(fast.shape == [shape[0], 3] + shape[2...])
        expectClose(fast, reference.detached(), atol: 1e-5, rtol: 1e-4)
    }

    @Test func mcDropoutBeforeTheHeadStillSamples() {
        let net = DilatedFCN(DilatedFCNConfig(dims: 2, classes: 2, baseChannels: 4), seed: 1).eval()
        for d in net.dropoutLayers { d.alwaysActive = true }
        var rng = RNG(seed: 3)
        let x = Tensor.uniform([1, 1, 16, 16], -1, 1, rng: &rng)
        #expect(withNoGrad { net.inference(x) } == nil, "an active dropout before the head keeps the concatenation")
        let a = withNoGrad { net(x) }, b = withNoGrad { net(x) }
        #expect(a.scalars != b.scalars)
        #expect(a.isFinite && b.isFinite)
    }
}
