@testable import Engine
import TestSupport
import Testing

/// Winograd in training (`conv`'s forward, backward data and backward weight under `ConvAlgorithm.winogradTraining`,
/// docs/ARCHITECTURE.md, Engine) against the im2col + sgemm kernels; the inference filter cache (`WinogradFilterCache`); the value-only
/// inference max pooling against the argmax walk.
@Suite("ConvolutionWinogradTraining")
struct ConvolutionWinogradTrainingTests {
    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<n).map { _ in rng.uniform(-bound, bound) }
    }

    /// Largest |got - ref| within 1e-4 of the largest |ref| (Winograd's documented tolerance).
    static func expectWithinWinograd(_ got: [Float], _ ref: [Float], _ what: String) {
        let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(got, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(got.count == ref.count && worst <= 1e-4 * magnitude, "\(what): max |diff| \(worst), max |ref| \(magnitude)")
    }

    /// (batch, cin, cout, spatial): 2D and 3D shapes `useWinograd` takes, W a multiple of 16 or not; the last one has
    /// more blocks of tile rows than workers, the last block shorter (stale scratch of a longer one must not count).
    @Test(arguments: [(2, 16, 24, [20, 32]), (1, 32, 16, [9, 35]), (1, 16, 16, [4, 6, 32]), (2, 256, 16, [64, 64])])
    func trainingForwardAndGradientsMatchReference(_ batch: Int, _ cin: Int, _ cout: Int, _ sp: [Int]) {
        ConvKernels.$scopedAlgorithm.withValue(.winogradTraining) { Self.checkTraining(batch, cin, cout, sp) }
    }

    /// Under `.winogradTraining`: `conv`'s three passes against im2col + sgemm.
    static func checkTraining(_ batch: Int, _ cin: Int, _ cout: Int, _ sp: [Int]) {
        let r = sp.count
        let x = Tensor(Self.values(batch * cin * Shape.count(sp), seed: 1, bound: 1), shape: [batch, cin] + sp).requiringGrad()
        let kv = r == 2 ? 9 : 27
        let bound = 1 / Float(cin * kv).squareRoot()
        let w = Tensor(Self.values(cout * cin * kv, seed: 2, bound: bound), shape: [cout, cin] + [Int](repeating: 3, count: r)).requiringGrad()
        let b = Tensor(Self.values(cout, seed: 3, bound: bound), shape: [cout]).requiringGrad()
        let pad = [Int](repeating: 1, count: r)
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: r), stride: nil, padding: pad, dilation: nil)
        #expect(ConvKernels.useWinograd(cin: cin, cout: cout, g) && ConvKernels.useWinograd(cin: cout, cout: cin, g))
        let y = x.conv(w, bias: b, padding: pad)
        let gy = Tensor(Self.values(y.count, seed: 4, bound: 1), shape: y.shape)
        y.backward(gy)
        // References: im2col + sgemm for all three passes.
        var yRef = [Float](repeating: 0, count: y.count), dxRef = [Float](repeating: 0, count: x.count)
        var dwRef = [Float](repeating: 0, count: w.count)
        ConvKernels.forward(x: x.storage.pointer, w: w.storage.pointer, bias: b.storage.pointer, y: &yRef, batch: batch, cin: cin,
                            cout: cout, g, allowDirect: false)
        ConvKernels.backwardData(gy: gy.storage.pointer, w: w.storage.pointer, dx: &dxRef, batch: batch, cin: cin, cout: cout, g,
                                 allowDirect: false)
        ConvKernels.backwardWeight(x: x.storage.pointer, gy: gy.storage.pointer, dw: &dwRef, batch: batch, cin: cin, cout: cout, g,
                                   allowDirect: false)
        Self.expectWithinWinograd(y.scalars, yRef, "forward")
        Self.expectWithinWinograd(x.grad?.scalars ?? [], dxRef, "backward data")
        Self.expectWithinWinograd(w.grad?.scalars ?? [], dwRef, "backward weight")
        // The Winograd weight gradient itself (conv takes it only from `winogradWeightGradMinimumTiles` tiles on).
        var dwWino = [Float](repeating: .nan, count: w.count)
        ConvKernels.winogradWeightGrad(x: x.storage.pointer, gy: gy.storage.pointer, dw: &dwWino, batch: batch, cin: cin, cout: cout, g)
        Self.expectWithinWinograd(dwWino, dwRef, "Winograd weight gradient")
        // A no-grad pass takes the same kernels as the recording one: bit-identical.
        #expect(withNoGrad { x.conv(w, bias: b, padding: pad) }.scalars == y.scalars)
    }

    /// `.automatic` trains 3D convolutions with the direct forward (the values of `.direct`, bit for bit) and Winograd
    /// backward passes (within its tolerance of `.direct`'s gradients); 2D forwards take Winograd
    /// (ConvolutionWinogradTrainingForwardTests).
    @Test func automaticTrainingForwardIsDirectIn3D() {
        func run(_ algorithm: ConvAlgorithm) -> [[Float]] {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                let x = Tensor(Self.values(2 * 16 * 4 * 8 * 16, seed: 21, bound: 1), shape: [2, 16, 4, 8, 16]).requiringGrad()
                let w = Tensor(Self.values(16 * 16 * 27, seed: 22, bound: 0.1), shape: [16, 16, 3, 3, 3]).requiringGrad()
                let y = x.conv(w, bias: nil, padding: [1, 1, 1])
                y.backward(Tensor(Self.values(y.count, seed: 23, bound: 1), shape: y.shape))
                return [y.scalars, x.grad?.scalars ?? [], w.grad?.scalars ?? []]
            }
        }
        let auto = run(.automatic), direct = run(.direct)
        #expect(auto[0] == direct[0], "3D forward: not the direct kernel's values")
        Self.expectWithinWinograd(auto[1], direct[1], "backward data")
        Self.expectWithinWinograd(auto[2], direct[2], "backward weight")
    }

    @Test func inferenceFilterCacheFollowsWeightUpdates() {
        let (cin, cout) = (16, 16)
        let x = Tensor(Self.values(cin * 12 * 32, seed: 5, bound: 1), shape: [1, cin, 12, 32])
        let w = Tensor(Self.values(cout * cin * 9, seed: 6, bound: 0.1), shape: [cout, cin, 3, 3])
        func infer() -> [Float] { withNoGrad { x.convInference(w, bias: nil, scale: nil, shift: nil, relu: false, padding: [1, 1]) }.scalars }
        let first = infer()
        let e1 = WinogradFilterCache.transformed(w.storage.pointer, cin: cin, cout: cout, kd: 1)
        #expect(WinogradFilterCache.transformed(w.storage.pointer, cin: cin, cout: cout, kd: 1) === e1)
        #expect(infer() == first)
        // An in-place update (as an optimizer step makes) misses the cache: the output follows the new weights.
        w.storage.pointer[7] += 0.5
        let e2 = WinogradFilterCache.transformed(w.storage.pointer, cin: cin, cout: cout, kd: 1)
        #expect(e2 !== e1)
        let updated = infer()
        var fresh = [Float](repeating: 0, count: updated.count)
        let g = WindowGeometry(op: "test", inputSpatial: [12, 32], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        ConvKernels.winogradConv(x: x.storage.pointer, w: w.storage.pointer, bias: nil, y: &fresh, batch: 1, cin: cin, cout: cout,
                                 epilogue: nil, g)
        #expect(updated == fresh)
        #expect(updated != first)
    }

    /// The in-place concatenated input (a decoder's skip + upsampled tensors) gives the values of the concatenated copy,
    /// bit for bit, Winograd-sized or not (then it concatenates).
    @Test(arguments: [([2, 16], [2, 8], [12, 40], 16), ([1, 8], [1, 8], [4, 6, 20], 16), ([1, 4], [1, 2], [9, 16], 4)])
    func concatenatedInputReadInPlace(_ a: [Int], _ b: [Int], _ sp: [Int], _ cout: Int) {
        let x1 = Tensor(Self.values(Shape.count(a + sp), seed: 11, bound: 1), shape: a + sp)
        let x2 = Tensor(Self.values(Shape.count(b + sp), seed: 12, bound: 1), shape: b + sp)
        let cin = a[1] + b[1], kv = sp.count == 2 ? 9 : 27, pad = [Int](repeating: 1, count: sp.count)
        let w = Tensor(Self.values(cout * cin * kv, seed: 13, bound: 0.2), shape: [cout, cin] + [Int](repeating: 3, count: sp.count))
        let bias = Tensor(Self.values(cout, seed: 14, bound: 0.2), shape: [cout])
        let scale = Self.values(cout, seed: 15, bound: 2), shift = Self.values(cout, seed: 16, bound: 1)
        let inPlace = withNoGrad { Tensor.convInference(concatenating: [x1, x2], w, bias: bias, scale: scale, shift: shift, relu: true, padding: pad) }
        let copied = withNoGrad { Tensor.concat([x1, x2], axis: 1).convInference(w, bias: bias, scale: scale, shift: shift, relu: true, padding: pad) }
        #expect(inPlace.shape == copied.shape)
        #expect(inPlace.scalars == copied.scalars)
    }

    /// Bit patterns (NaN payloads included) of the values.
    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    @Test(arguments: [([2, 3, 7, 37], [2, 2]), ([1, 2, 4, 6, 66], [2, 2, 2]), ([1, 2, 3, 8, 34], [1, 2, 2]), ([1, 1, 5, 64], [2, 2])])
    func inferenceMaxPoolMatchesArgmaxWalk(_ shape: [Int], _ kernel: [Int]) {
        var rng = RNG(seed: 9)
        // Few distinct values (ties), signed zeros and some NaNs.
        let pool: [Float] = [-1, 0, -0.0, 0.5, 2, .nan]
        let v = (0..<Shape.count(shape)).map { _ in pool[rng.int(below: pool.count)] }
        let x = Tensor(v, shape: shape)
        let fast = withNoGrad { x.maxPool(kernel: kernel) }
        let walk = x.maxPoolArgmax("test", kernel: kernel, stride: nil, padding: nil, vectorized: false).output
        #expect(fast.shape == walk.shape)
        #expect(Self.bits(fast.scalars) == Self.bits(walk.scalars))
    }

    /// Training's SIMD 2x max pool (`ssk_maxpool2x_argmax`) against the generic window walk: the same values, argmax
    /// (first maximum of ties, NaN wins) and scattered gradient, including the scalar tail columns.
    @Test(arguments: [([2, 3, 7, 37], [2, 2]), ([1, 2, 4, 6, 66], [2, 2, 2]), ([1, 2, 3, 8, 34], [1, 2, 2]), ([1, 1, 5, 64], [2, 2])])
    func trainingMaxPoolArgmaxMatchesWalk(_ shape: [Int], _ kernel: [Int]) {
        var rng = RNG(seed: 10)
        let pool: [Float] = [-1, 0, -0.0, 0.5, 2, .nan]
        let v = (0..<Shape.count(shape)).map { _ in pool[rng.int(below: pool.count)] }
        let fast = Tensor(v, shape: shape).maxPoolArgmax("test", kernel: kernel, stride: nil, padding: nil)
        let walk = Tensor(v, shape: shape).maxPoolArgmax("test", kernel: kernel, stride: nil, padding: nil, vectorized: false)
        #expect(Self.bits(fast.output.scalars) == Self.bits(walk.output.scalars))
        #expect(fast.argmax == walk.argmax)
        let x1 = Tensor(v, shape: shape, requiresGrad: true), x2 = Tensor(v, shape: shape, requiresGrad: true)
        let seed = Tensor(Self.values(fast.output.count, seed: 17, bound: 1), shape: fast.output.shape)
        x1.maxPoolArgmax("test", kernel: kernel, stride: nil, padding: nil).output.backward(seed)
        x2.maxPoolArgmax("test", kernel: kernel, stride: nil, padding: nil, vectorized: false).output.backward(seed)
        #expect(x1.grad?.scalars == x2.grad?.scalars)
    }
}
