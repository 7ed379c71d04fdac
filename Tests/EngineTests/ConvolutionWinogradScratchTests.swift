@testable import Engine
import TestSupport
import Testing

/// The 2D Winograd paths on pooled scratch (`WinogradScratch`, docs/ARCHITECTURE.md, Engine): a second call gets the
/// first call's buffers back from `BufferPool` with its transforms and transform-domain sums still in them, and must
/// give the same bits (the sums restart at zero, unwritten tile columns read as zero); a transformed filter over 2 MB
/// (256->256) on the pool against the im2col + sgemm forward.
@Suite("ConvolutionWinogradScratch")
struct ConvolutionWinogradScratchTests {
    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] {
        ConvolutionWinogradTrainingTests.values(n, seed: seed, bound: bound)
    }

    /// Row-wise (64x64 and 32x32 planes) and packed small-plane (16x16) weight gradients, each run three times with
    /// another shape in between: bit-identical each time.
    @Test(arguments: [(4, 16, 24, 64), (4, 32, 32, 32), (8, 64, 32, 16)])
    func repeatedWeightGradientOnPooledScratchIsBitIdentical(_ batch: Int, _ cin: Int, _ cout: Int, _ side: Int) {
        let g = WindowGeometry(op: "test", inputSpatial: [side, side], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        #expect(ConvKernels.winogradWeightGradSmallPays(g, batch: batch) == (side == 16))
        let x = Self.values(batch * cin * side * side, seed: 1, bound: 1), gy = Self.values(batch * cout * side * side, seed: 4, bound: 1)
        let other = WindowGeometry(op: "test", inputSpatial: [32, 32], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        let ox = Self.values(2 * 8 * 1024, seed: 7, bound: 100), og = Self.values(2 * 8 * 1024, seed: 8, bound: 100)
        var runs: [[Float]] = []
        for _ in 0..<3 {
            var dw = [Float](repeating: .nan, count: cout * cin * 9)
            ConvKernels.winogradWeightGrad(x: x, gy: gy, dw: &dw, batch: batch, cin: cin, cout: cout, g)
            runs.append(dw)
            var odw = [Float](repeating: .nan, count: 8 * 8 * 9)
            ConvKernels.winogradWeightGrad(x: ox, gy: og, dw: &odw, batch: 2, cin: 8, cout: 8, other)
        }
        #expect(runs[0].allSatisfy { $0.isFinite })
        #expect(runs[1] == runs[0] && runs[2] == runs[0])
        var ref = [Float](repeating: .nan, count: cout * cin * 9)
        ConvKernels.backwardWeight(x: x, gy: gy, dw: &ref, batch: batch, cin: cin, cout: cout, g, allowDirect: false)
        let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(runs[2], ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4 * magnitude, "max |diff| \(worst), max |ref| \(magnitude)")
    }

    /// 256->256 at 8x8 (a 9.4 MB transformed filter) twice through the Winograd forward: the same bits, within 1e-4 of
    /// the largest output of the im2col + sgemm forward.
    @Test func largePooledFilterForwardMatchesReference() {
        let (batch, c, side) = (2, 256, 8)
        let g = WindowGeometry(op: "test", inputSpatial: [side, side], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        let x = Self.values(batch * c * side * side, seed: 2, bound: 1), w = Self.values(c * c * 9, seed: 3, bound: 0.05)
        let bias = Self.values(c, seed: 5, bound: 0.1)
        var first = [Float](repeating: .nan, count: batch * c * side * side), second = first, ref = first
        ConvKernels.winogradConv(x: x, w: w, bias: bias, y: &first, batch: batch, cin: c, cout: c, epilogue: nil, g)
        ConvKernels.winogradConv(x: x, w: w, bias: bias, y: &second, batch: batch, cin: c, cout: c, epilogue: nil, g)
        ConvKernels.forward(x: x, w: w, bias: bias, y: &ref, batch: batch, cin: c, cout: c, g, allowDirect: false)
        #expect(second == first)
        let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(first, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4 * magnitude, "max |diff| \(worst), max |ref| \(magnitude)")
    }
}
