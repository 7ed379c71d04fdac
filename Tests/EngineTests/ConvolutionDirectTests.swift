@testable import Engine
import TestSupport
import Testing

/// The direct SIMD convolution kernels against the im2col + sgemm reference path (forward, backward data,
/// backward weight), on shapes covering 2D/3D, batches, channel counts that are not multiples of the register
/// blocks, and W of one and several vectors.
@Suite("ConvolutionDirect")
struct ConvolutionDirectTests {
    func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<n).map { _ in rng.uniform(-1, 1) }
    }

    /// (batch, cin, cout, spatial) cases; the kernel is 3 in every spatial dim with padding 1.
    static let cases: [(Int, Int, Int, [Int])] = [
        (1, 1, 8, [3, 4, 16]), (1, 8, 8, [4, 5, 32]), (2, 3, 5, [2, 3, 48]), (1, 16, 13, [3, 2, 64]),
        (1, 13, 2, [5, 3, 16]), (3, 4, 9, [6, 16]), (2, 16, 16, [5, 80]), (1, 2, 1, [4, 4, 16]),
        (1, 1, 8, [16, 32, 32]), (1, 8, 8, [16, 32, 32]), (2, 24, 40, [3, 5, 32]), (1, 64, 64, [7, 64]),
        (1, 33, 17, [2, 1, 16]), (2, 5, 3, [1, 16]),
    ]

    @Test(arguments: 0..<cases.count)
    func directMatchesGemm(_ index: Int) {
        let (batch, cin, cout, sp) = Self.cases[index]
        let r = sp.count
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: r), stride: nil,
                               padding: [Int](repeating: 1, count: r), dilation: nil)
        #expect(ConvKernels.directSupports(g))
        let vol = g.inputVolume, kv = g.kernelVolume
        let x = values(batch * cin * vol, seed: 1), w = values(cout * cin * kv, seed: 2), b = values(cout, seed: 3)
        let gy = values(batch * cout * vol, seed: 4)
        func run(_ direct: Bool) -> ([Float], [Float], [Float]) {
            ConvolutionDirectTests.run(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, gy: gy, direct: direct)
        }
        let ref = run(false), got = run(true)
        expectClose(got.0, ref.0, atol: 2e-5, rtol: 1e-4)
        expectClose(got.1, ref.1, atol: 2e-5, rtol: 1e-4)
        expectClose(got.2, ref.2, atol: 1e-3, rtol: 1e-4)
    }

    /// Forward, backward data and backward weight through the `ConvKernels` entry points, with or without the
    /// direct / small-pointwise kernels.
    static func run(_ g: WindowGeometry, batch: Int, cin: Int, cout: Int, x: [Float], w: [Float], b: [Float], gy: [Float],
                    direct: Bool) -> ([Float], [Float], [Float]) {
        let vol = g.inputVolume, kv = g.kernelVolume
        var y = [Float](repeating: .nan, count: batch * cout * vol)
        var dx = [Float](repeating: .nan, count: batch * cin * vol)
        var dw = [Float](repeating: .nan, count: cout * cin * kv)
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
        gy.withUnsafeBufferPointer { pg in
            y.withUnsafeMutableBufferPointer { py in
                ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress!, y: py.baseAddress!,
                                    batch: batch, cin: cin, cout: cout, g, allowDirect: direct)
            }
            dx.withUnsafeMutableBufferPointer { pdx in
                ConvKernels.backwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!,
                                         batch: batch, cin: cin, cout: cout, g, allowDirect: direct)
            }
            dw.withUnsafeMutableBufferPointer { pdw in
                ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!,
                                           batch: batch, cin: cin, cout: cout, g, allowDirect: direct)
            }
        } } } }
        return (y, dx, dw)
    }

    /// The blocked direct weight gradient with row chunks of 1, 3, 7 and 300 rows (chunks that cross z planes and
    /// sample ends), both the AVX-512 and the portable kernel, against im2col + sgemm.
    @Test(arguments: [(1, false), (3, false), (7, false), (300, false), (1, true), (3, true), (7, true), (300, true)])
    func weightGradChunksMatchGemm(_ chunkRows: Int, _ portable: Bool) {
        for (batch, cin, cout, sp) in [(2, 9, 12, [3, 4, 32]), (3, 16, 8, [5, 48]), (1, 1, 3, [2, 2, 16]), (1, 7, 13, [9, 64])] {
            let r = sp.count
            let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: r), stride: nil,
                                   padding: [Int](repeating: 1, count: r), dilation: nil)
            let vol = g.inputVolume, kv = g.kernelVolume
            let x = values(batch * cin * vol, seed: 11), gy = values(batch * cout * vol, seed: 12)
            var ref = [Float](repeating: .nan, count: cout * cin * kv), got = ref
            x.withUnsafeBufferPointer { px in gy.withUnsafeBufferPointer { pg in
                ref.withUnsafeMutableBufferPointer { d in
                    ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: d.baseAddress!,
                                               batch: batch, cin: cin, cout: cout, g, allowDirect: false)
                }
                got.withUnsafeMutableBufferPointer { d in
                    ConvKernels.directWeightGrad(x: px.baseAddress!, gy: pg.baseAddress!, dw: d.baseAddress!,
                                                 batch: batch, cin: cin, cout: cout, g, chunkRows: chunkRows, portable: portable)
                }
            } }
            expectClose(got, ref, atol: 1e-3, rtol: 1e-4)
        }
    }

    /// The small-channel pointwise loops (a 2-class head) against sgemm, 2D and 3D, odd position counts.
    @Test(arguments: [(1, 8, 2, [4, 5, 33]), (3, 16, 2, [7, 19]), (2, 3, 5, [1, 2, 1029]), (1, 2, 16, [3, 3, 3])])
    func pointwiseMatchesGemm(_ c: (Int, Int, Int, [Int])) {
        let (batch, cin, cout, sp) = c
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 1, count: sp.count), stride: nil, padding: nil, dilation: nil)
        #expect(ConvKernels.usePointwiseSmall(cin: cin, cout: cout, g))
        let vol = g.inputVolume
        let x = values(batch * cin * vol, seed: 5), w = values(cout * cin, seed: 6), b = values(cout, seed: 7)
        let gy = values(batch * cout * vol, seed: 8)
        let ref = Self.run(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, gy: gy, direct: false)
        let got = Self.run(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, gy: gy, direct: true)
        expectClose(got.0, ref.0, atol: 2e-5, rtol: 1e-4)
        expectClose(got.1, ref.1, atol: 2e-5, rtol: 1e-4)
        expectClose(got.2, ref.2, atol: 1e-3, rtol: 1e-4)
    }

    /// Finite differences through `conv` on shapes the automatic selection sends to the direct kernels.
    @Test func directGradients() {
        func rand(_ shape: [Int], seed: UInt64) -> Tensor {
            var rng = RNG(seed: seed)
            return Tensor.uniform(shape, -1, 1, rng: &rng)
        }
        checkGradients([rand([1, 2, 3, 2, 16], seed: 21), rand([3, 2, 3, 3, 3], seed: 22), rand([3], seed: 23)]) { x in
            x[0].conv(x[1], bias: x[2], padding: [1, 1, 1])
        }
        checkGradients([rand([2, 3, 3, 16], seed: 24), rand([2, 3, 3, 3], seed: 25), rand([2], seed: 26)]) { x in
            x[0].conv(x[1], bias: x[2], padding: [1, 1])
        }
    }
}
