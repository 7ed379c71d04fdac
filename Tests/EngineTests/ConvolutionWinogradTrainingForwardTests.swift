import CKernels
@testable import Engine
import TestSupport
import Testing

/// `ConvAlgorithm.automatic` runs training's forward as Winograd on 2D planes and keeps the direct forward in 3D
/// (`ConvKernels.winogradTrainingForwardPays`, docs/ARCHITECTURE.md, Engine).
@Suite("ConvolutionWinogradTrainingForward")
struct ConvolutionWinogradTrainingForwardTests {
    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] {
        ConvolutionWinogradTrainingTests.values(n, seed: seed, bound: bound)
    }

    /// A recorded `conv` (train mode) of a Winograd-sized shape under `algorithm`: (output, dx, dw).
    static func step(_ algorithm: ConvAlgorithm, batch: Int, cin: Int, cout: Int, _ sp: [Int]) -> ([Float], [Float], [Float]) {
        ConvKernels.$scopedAlgorithm.withValue(algorithm) {
            let r = sp.count, kv = r == 2 ? 9 : 27, bound = 1 / Float(cin * kv).squareRoot()
            let x = Tensor(values(batch * cin * Shape.count(sp), seed: 1, bound: 1), shape: [batch, cin] + sp).requiringGrad()
            let w = Tensor(values(cout * cin * kv, seed: 2, bound: bound), shape: [cout, cin] + [Int](repeating: 3, count: r)).requiringGrad()
            let b = Tensor(values(cout, seed: 3, bound: bound), shape: [cout])
            let y = x.conv(w, bias: b, padding: [Int](repeating: 1, count: r))
            y.backward(Tensor(values(y.count, seed: 4, bound: 1), shape: y.shape))
            return (y.scalars, x.grad?.scalars ?? [], w.grad?.scalars ?? [])
        }
    }

    /// 2D: the forward is `.winogradTraining`'s (bit-identical), not the direct kernel's, and within Winograd's 1e-4 of it;
    /// the backward passes are `.automatic`'s as before (Winograd data and weight gradients, bit-identical to
    /// `.winogradTraining`'s). Shapes: a 16-wide plane with 64 channels, an 8x8 plane (im2col before), a 32-wide one.
    @Test(arguments: [(4, 64, 64, [16, 16]), (2, 128, 128, [8, 8]), (2, 32, 32, [32, 32]), (2, 16, 32, [64, 64])])
    func twoDimensionalForwardRunsAsWinograd(_ batch: Int, _ cin: Int, _ cout: Int, _ sp: [Int]) {
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        ConvKernels.$scopedAlgorithm.withValue(.automatic) {
            #expect(ConvKernels.trainsWithWinograd(.forward, g) && ConvKernels.useWinograd(cin: cin, cout: cout, g))
            #expect(!ConvKernels.trainsWithWinograd(.forward))
        }
        let auto = Self.step(.automatic, batch: batch, cin: cin, cout: cout, sp)
        let wino = Self.step(.winogradTraining, batch: batch, cin: cin, cout: cout, sp)
        let direct = Self.step(.direct, batch: batch, cin: cin, cout: cout, sp)
        #expect(auto.0 == wino.0, "forward: .automatic must take the Winograd forward")
        #expect(auto.0 != direct.0, "forward: Winograd rounds differently from the direct kernel")
        #expect(auto.1 == wino.1 && auto.2 == wino.2, "backward passes: unchanged Winograd rules")
        let magnitude = direct.0.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(auto.0, direct.0).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4 * magnitude, "forward: max |diff| \(worst), max |ref| \(magnitude)")
    }

    /// 3D keeps the direct forward under `.automatic` (bit-identical to `.direct`'s forward), and a 2D plane the
    /// narrow-plane rule refuses (16 wide, 32 channels) keeps it too.
    @Test func threeDimensionalAndNarrowPlaneForwardsStayDirect() {
        let g3 = WindowGeometry(op: "test", inputSpatial: [4, 8, 16], kernel: [3, 3, 3], stride: nil, padding: [1, 1, 1], dilation: nil)
        ConvKernels.$scopedAlgorithm.withValue(.automatic) {
            #expect(!ConvKernels.trainsWithWinograd(.forward, g3) && ConvKernels.useWinograd(cin: 16, cout: 16, g3))
        }
        #expect(Self.step(.automatic, batch: 1, cin: 16, cout: 16, [4, 8, 16]).0 == Self.step(.direct, batch: 1, cin: 16, cout: 16, [4, 8, 16]).0)
        #expect(Self.step(.automatic, batch: 2, cin: 32, cout: 32, [16, 16]).0 == Self.step(.direct, batch: 2, cin: 32, cout: 32, [16, 16]).0)
    }

    /// The weight gradient's G^T dU G step split over output-channel ranges (`winogradWeightGrad` runs it on all
    /// workers) is bit-identical to the serial `ssk_wino_wgrad_filter`, in 2D and 3D, with K past one 128-wide block.
    @Test(arguments: [(5, 7, 1), (130, 3, 1), (9, 4, 3)])
    func weightGradientFilterStepSplitIsBitIdentical(_ cin: Int, _ cout: Int, _ kd: Int) {
        let du = Self.values(36 * cout * kd * cin, seed: 5, bound: 3)
        var serial = [Float](repeating: .nan, count: cout * cin * kd * 9), split = serial
        ssk_wino_wgrad_filter(du, &serial, Int32(cin), Int32(cout), Int32(kd))
        split.withUnsafeMutableBufferPointer { o in
            for (lo, hi) in [(0, 1), (1, cout / 2), (cout / 2, cout)] where lo < hi {
                ssk_wino_wgrad_filter_range(du, o.baseAddress, Int32(cin), Int32(cout), Int32(kd), Int32(lo), Int32(hi))
            }
        }
        #expect(split == serial)
    }

    /// The row-wise Winograd weight gradient as `conv` takes it (>= 1024 tiles, a plane not 16 wide), its worker sums
    /// and filter step on all workers, within 1e-4 of the im2col + sgemm gradient.
    @Test func rowWiseWeightGradientMatchesReference() {
        let (batch, cin, cout, sp) = (4, 16, 24, [64, 64])
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        #expect(ConvKernels.winogradWeightGradPays(batch: batch, g) && !ConvKernels.winogradWeightGradSmallPays(g, batch: batch))
        let x = Self.values(batch * cin * 4096, seed: 1, bound: 1), gy = Self.values(batch * cout * 4096, seed: 4, bound: 1)
        var dw = [Float](repeating: .nan, count: cout * cin * 9), ref = dw
        ConvKernels.winogradWeightGrad(x: x, gy: gy, dw: &dw, batch: batch, cin: cin, cout: cout, g)
        ConvKernels.backwardWeight(x: x, gy: gy, dw: &ref, batch: batch, cin: cin, cout: cout, g, allowDirect: false)
        let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(dw, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4 * magnitude, "max |diff| \(worst), max |ref| \(magnitude)")
    }
}
