@testable import Engine
import Testing

/// The GEMM-based Winograd convolution (5- and 7-wide kernels, dilated 3-wide kernels) against the im2col + sgemm reference:
/// forward (with bias and the inference epilogue), backward data and backward weight, 2D and 3D, sizes that are not
/// multiples of the tile, "same" and other paddings, dilations, one to 64 channels, batches. Not bit-identical; the bound
/// is 1e-4 of the largest reference magnitude for realistic values (inputs U(-1, 1), weights U(-b, b) with PyTorch's
/// default bound b = 1 / sqrt(fan-in)).
@Suite("ConvolutionWinogradND")
struct ConvolutionWinogradNDTests {
    /// (batch, cin, cout, spatial, kernel, padding, dilation).
    static let cases: [(Int, Int, Int, [Int], Int, Int, Int)] = [
        (1, 8, 8, [9, 13], 5, 2, 1), (2, 16, 24, [17, 33], 5, 2, 1), (1, 3, 5, [5, 9, 10], 5, 2, 1), (3, 32, 16, [8, 8], 5, 2, 1),
        (1, 1, 16, [32, 32], 5, 2, 1), (2, 12, 10, [6, 6, 12], 5, 2, 1), (1, 4, 9, [21, 20], 5, 0, 1), (1, 8, 8, [12, 12], 5, 1, 1),
        (1, 6, 7, [19, 23], 5, 4, 2), (2, 5, 6, [8, 9, 10], 5, 2, 1), (1, 64, 32, [16, 16], 5, 2, 1), (1, 4, 4, [30, 29], 7, 3, 1),
        (1, 5, 3, [7, 11, 9], 5, 4, 2), (1, 3, 3, [1, 5], 5, 2, 1), (2, 8, 8, [16, 16], 3, 2, 2), (1, 6, 8, [6, 10, 12], 3, 3, 3),
        (1, 16, 8, [9, 14], 3, 4, 4), (1, 64, 32, [8, 16, 16], 5, 2, 1), (1, 128, 16, [16, 16], 5, 2, 1),
        // Enough tiles (>= 64 per worker on two) for the block-per-worker split; the cases above take the split by transform
        // points (ConvKernels.winogradNDSplitPoints), as V-Net's deepest stages do (1, 128, 128, [4, 8, 8]: 32 tiles).
        (2, 8, 12, [40, 44], 5, 2, 1), (1, 8, 8, [20, 24, 24], 5, 2, 1), (1, 32, 24, [4, 8, 8], 5, 2, 1),
    ]

    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<n).map { _ in rng.uniform(-bound, bound) }
    }

    static func geometry(_ index: Int) -> WindowGeometry {
        let (_, _, _, sp, k, p, d) = cases[index]
        let r = sp.count
        return WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: k, count: r), stride: nil,
                              padding: [Int](repeating: p, count: r), dilation: [Int](repeating: d, count: r))
    }

    static func worst(_ got: [Float], _ ref: [Float]) -> (Float, Float) {
        (zip(got, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }, ref.reduce(0) { Swift.max($0, abs($1)) })
    }

    /// Forward (bias, batch-norm epilogue, ReLU), backward data and backward weight of case `index`, through this path
    /// (`fast`) or the im2col + sgemm reference.
    static func run(_ index: Int, fast: Bool) -> [(String, [Float])] {
        let (batch, cin, cout, _, _, _, _) = cases[index]
        let g = geometry(index)
        let bound = 1 / Float(cin * g.kernelVolume).squareRoot()
        let x = values(batch * cin * g.inputVolume, seed: 1, bound: 1), w = values(cout * cin * g.kernelVolume, seed: 2, bound: bound)
        let b = values(cout, seed: 3, bound: bound), gy = values(batch * cout * g.outputVolume, seed: 4, bound: 1)
        let scale = values(cout, seed: 5, bound: 2), shift = values(cout, seed: 6, bound: 1)
        var y = [Float](repeating: .nan, count: batch * cout * g.outputVolume)
        var dx = [Float](repeating: .nan, count: batch * cin * g.inputVolume), dw = [Float](repeating: .nan, count: w.count)
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
        gy.withUnsafeBufferPointer { pg in scale.withUnsafeBufferPointer { ps in shift.withUnsafeBufferPointer { pt in
        y.withUnsafeMutableBufferPointer { py in dx.withUnsafeMutableBufferPointer { pdx in dw.withUnsafeMutableBufferPointer { pdw in
            let ep = ConvKernels.Epilogue(scale: ps.baseAddress, shift: pt.baseAddress, relu: true)
            if fast {
                ConvKernels.winogradNDForward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!,
                                              batch: batch, cin: cin, cout: cout, g, epilogue: ep)
                // Backward data: the forward convolution of gy with the flipped kernel (this path with 8+ channels each way).
                if !ConvKernels.backwardDataAsConv(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: batch,
                                                   cin: cin, cout: cout, g) {
                    ConvKernels.backwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: batch, cin: cin,
                                             cout: cout, g, allowDirect: false)
                }
                ConvKernels.winogradNDWeightGrad(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch,
                                                 cin: cin, cout: cout, g)
            } else {
                ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                    cin: cin, cout: cout, g, allowDirect: false, epilogue: ep)
                ConvKernels.backwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: batch, cin: cin,
                                         cout: cout, g, allowDirect: false)
                ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch, cin: cin,
                                           cout: cout, g, allowDirect: false)
            }
        } } } } } } } } }
        return [("forward", y), ("backward data", dx), ("backward weight", dw)]
    }

    @Test(arguments: 0..<cases.count)
    func matchesReference(_ index: Int) {
        let g = Self.geometry(index)
        #expect(ConvKernels.winogradNDSupports(g) == (g.kernel.max() != 3))
        let ref = Self.run(index, fast: false), got = Self.run(index, fast: true)
        for ((name, g), (_, r)) in zip(got, ref) {
            let (d, mag) = Self.worst(g, r)
            #expect(!g.contains { !$0.isFinite }, "case \(index) \(name): non-finite values")
            #expect(d <= 1e-4 * mag, "case \(index) \(name): max |diff| \(d), max |ref| \(mag)")
        }
    }

    /// Through the public op: `conv` and its gradients (this path under `.automatic`) against the reference kernels.
    @Test func convOpUsesIt() {
        var rng = RNG(seed: 7)
        let x = Tensor.randn([2, 8, 12, 10], rng: &rng, requiresGrad: true)
        let w = Tensor.randn([9, 8, 5, 5], std: 0.1, rng: &rng, requiresGrad: true)
        let g = WindowGeometry(op: "test", inputSpatial: [12, 10], kernel: [5, 5], stride: nil, padding: [2, 2], dilation: nil)
        #expect(ConvKernels.algorithm == .gemm || ConvKernels.useWinogradND(cin: 8, cout: 9, g))
        let y = x.conv(w, bias: nil, padding: [2, 2])
        let gy = Tensor.randn(y.shape, rng: &rng)
        (y * gy).sum().backward()
        var ry = [Float](repeating: 0, count: y.count), rdx = [Float](repeating: 0, count: x.count), rdw = [Float](repeating: 0, count: w.count)
        let xs = x.scalars, ws = w.scalars, gys = gy.scalars
        xs.withUnsafeBufferPointer { px in ws.withUnsafeBufferPointer { pw in gys.withUnsafeBufferPointer { pg in
        ry.withUnsafeMutableBufferPointer { py in rdx.withUnsafeMutableBufferPointer { pdx in rdw.withUnsafeMutableBufferPointer { pdw in
            ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: nil, y: py.baseAddress!, batch: 2, cin: 8, cout: 9, g,
                                allowDirect: false)
            ConvKernels.backwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: 2, cin: 8, cout: 9, g,
                                     allowDirect: false)
            ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: 2, cin: 8, cout: 9, g,
                                       allowDirect: false)
        } } } } } }
        for (got, want) in [(y.scalars, ry), (x.grad?.scalars ?? [], rdx), (w.grad?.scalars ?? [], rdw)] {
            #expect(got.count == want.count)
            let (d, mag) = Self.worst(got, want)
            #expect(d <= 1e-4 * mag, "max |diff| \(d), max |ref| \(mag)")
        }
    }

    /// Inference (`convInference` under no-grad) reuses the transformed weights while they are unchanged and misses after
    /// an in-place update (as an optimizer step makes); its values are bit for bit those of the uncached path, 2D and 3D.
    @Test(arguments: [[12, 20], [9, 10, 12]])
    func inferenceFilterCacheFollowsWeightUpdates(_ sp: [Int]) {
        let (cin, cout) = (16, 12), k = [Int](repeating: 5, count: sp.count), pad = [Int](repeating: 2, count: sp.count)
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: k, stride: nil, padding: pad, dilation: nil)
        let plan = ConvKernels.WinogradNDPlan(g, tile: ConvKernels.winogradNDTile(g))
        let x = Tensor(Self.values(2 * cin * g.inputVolume, seed: 8, bound: 1), shape: [2, cin] + sp)
        let w = Tensor(Self.values(cout * cin * g.kernelVolume, seed: 9, bound: 0.05), shape: [cout, cin] + k)
        func infer() -> [Float] { withNoGrad { x.convInference(w, bias: nil, scale: nil, shift: nil, relu: false, padding: pad) }.scalars }
        func uncached() -> [Float] {
            var y = [Float](repeating: .nan, count: 2 * cout * g.outputVolume)
            ConvKernels.winogradNDForward(x: x.storage.pointer, w: w.storage.pointer, bias: nil, y: &y, batch: 2, cin: cin, cout: cout, g)
            return y
        }
        let first = infer()
        let e1 = ConvKernels.winogradNDCachedFilter(w.storage.pointer, cin: cin, cout: cout, g, plan)
        #expect(ConvKernels.winogradNDCachedFilter(w.storage.pointer, cin: cin, cout: cout, g, plan) === e1)
        #expect(infer() == first)
        #expect(first == uncached())
        w.storage.pointer[11] += 0.25
        let e2 = ConvKernels.winogradNDCachedFilter(w.storage.pointer, cin: cin, cout: cout, g, plan)
        #expect(e2 !== e1)
        let updated = infer()
        #expect(updated == uncached())
        #expect(updated != first)
    }

    /// Which geometries the path serves: 5- and 7-wide kernels, stride 1, 8 or more channels in and out.
    @Test func selection() {
        func g(_ sp: [Int], _ k: [Int], stride: Int = 1) -> WindowGeometry {
            WindowGeometry(op: "test", inputSpatial: sp, kernel: k, stride: [Int](repeating: stride, count: sp.count),
                           padding: k.map { $0 / 2 }, dilation: nil)
        }
        #expect(ConvKernels.winogradNDSupports(g([16, 16], [5, 5])))
        #expect(ConvKernels.winogradNDSupports(g([8, 16, 16], [5, 5, 5])))
        #expect(ConvKernels.winogradNDSupports(g([16, 16], [7, 7])))
        #expect(!ConvKernels.winogradNDSupports(g([16, 16], [3, 3])))
        #expect(!ConvKernels.winogradNDSupports(WindowGeometry(op: "test", inputSpatial: [16, 16], kernel: [3, 3], stride: nil, padding: [2, 2], dilation: [2, 2])))
        #expect(!ConvKernels.winogradNDSupports(g([16, 16], [5, 5], stride: 2)))
        #expect(!ConvKernels.winogradNDSupports(g([16, 16], [5, 3])))
        #expect(!ConvKernels.useWinogradND(cin: 1, cout: 16, g([16, 16], [5, 5])))
    }
}
