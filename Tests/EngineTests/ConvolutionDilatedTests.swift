@testable import Engine
import Testing

/// The dilated direct kernels (`ConvolutionDilated.swift`, `CKernels/conv_dilated.c`): which geometries they take, and
/// forward (with bias and with the inference epilogue), backward data and backward weight against im2col + sgemm.
@Suite("ConvolutionDilated")
struct ConvolutionDilatedTests {
    static func geometry(_ sp: [Int], rate: Int, kernel: [Int]? = nil) -> WindowGeometry {
        let k = kernel ?? [Int](repeating: 3, count: sp.count)
        return WindowGeometry(op: "test", inputSpatial: sp, kernel: k, stride: nil, padding: k.map { $0 == 3 ? rate : 0 },
                              dilation: [Int](repeating: rate, count: sp.count))
    }

    @Test func supportedGeometries() {
        #expect(ConvKernels.dilatedDirectSupports(Self.geometry([128, 128], rate: 2)))
        #expect(ConvKernels.dilatedDirectSupports(Self.geometry([8, 16, 32], rate: 3)))
        #expect(ConvKernels.dilatedDirectSupports(Self.geometry([8, 16, 32], rate: 2, kernel: [1, 3, 3])))
        #expect(!ConvKernels.dilatedDirectSupports(Self.geometry([16, 16], rate: 1)))  // undilated: conv_direct.c
        #expect(ConvKernels.dilatedDirectSupports(Self.geometry([8, 8], rate: 2)))     // W % 16 == 8: conv_dilated8.c
        #expect(ConvKernels.dilatedDirectSupports(Self.geometry([16, 24], rate: 2)))
        #expect(ConvKernels.dilatedDirectSupports(Self.geometry([4, 8, 8], rate: 4)))
        for w in [1, 4, 7, 9, 12, 20, 33] {  // W not a multiple of 8: im2col + sgemm
            #expect(!ConvKernels.dilatedDirectSupports(Self.geometry([8, w], rate: 2)))
        }
        #expect(!ConvKernels.dilatedDirectSupports(Self.geometry([16, 16], rate: 2, kernel: [5, 5])))
        let valid = WindowGeometry(op: "test", inputSpatial: [16, 16], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: [2, 2])
        #expect(!ConvKernels.dilatedDirectSupports(valid))  // padding != rate: output smaller than input
    }

    /// (batch, cin, cout, spatial, rate, kernel): rates up to 6 (taps past both row ends on 16-wide rows), channel counts
    /// off the 8- and 4-blocks, a rate beyond H, 3D with a 1-deep kernel.
    static let cases: [(Int, Int, Int, [Int], Int, [Int]?)] = [
        (2, 16, 16, [20, 32], 2, nil), (1, 5, 13, [9, 16], 6, nil), (2, 3, 7, [6, 48], 3, nil), (1, 16, 9, [5, 32], 7, nil),
        (2, 4, 6, [3, 5, 16], 2, nil), (1, 6, 8, [4, 6, 32], 4, [1, 3, 3]),
        // two 8-column segments a vector (W % 16 == 8): an odd segment count, blocks of 8, 4 and 1 channels, 3D
        (2, 16, 16, [8, 8], 2, nil), (1, 5, 13, [9, 8], 6, nil), (2, 3, 7, [6, 24], 3, nil), (1, 9, 17, [7, 40], 18, nil),
        (2, 4, 6, [3, 5, 8], 2, nil), (1, 6, 8, [4, 6, 8], 4, [1, 3, 3]), (3, 12, 12, [1, 8], 2, nil), (1, 8, 8, [3, 3, 24], 2, nil),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesIm2colReference(_ index: Int) {
        let (batch, cin, cout, sp, rate, kernel) = Self.cases[index]
        Self.check(batch: batch, cin: cin, cout: cout, sp: sp, rate: rate, kernel: kernel, seed: UInt64(40 + index), name: "case \(index)")
    }

    /// Every rate 2...18 on 8- and 24-wide maps, 2D and 3D (most taps dead past the small maps' ends).
    @Test(arguments: [8, 24])
    func segmentKernelsEveryRate(_ width: Int) {
        for rate in 2...18 {
            Self.check(batch: 2, cin: 5, cout: 9, sp: [6, width], rate: rate, kernel: nil, seed: UInt64(rate), name: "2D W \(width) rate \(rate)")
            Self.check(batch: 1, cin: 4, cout: 4, sp: [3, 4, width], rate: rate, kernel: nil, seed: UInt64(rate), name: "3D W \(width) rate \(rate)")
        }
    }

    /// Forward, forward with the epilogue, backward data and backward weight of the direct kernels against im2col + sgemm.
    static func check(batch: Int, cin: Int, cout: Int, sp: [Int], rate: Int, kernel: [Int]?, seed: UInt64, name: String) {
        let g = Self.geometry(sp, rate: rate, kernel: kernel)
        #expect(ConvKernels.dilatedDirectSupports(g))
        let data = ConvCaseData(batch: batch, cin: cin, cout: cout, g, seed: seed)
        let (x, w, b, scale, shift, gy) = (data.x, data.w, data.b, data.scale, data.shift, data.gy)
        func run(direct: Bool) -> [[Float]] {
            var y = [Float](repeating: .nan, count: gy.count), yFused = y, dx = [Float](repeating: .nan, count: x.count)
            var dw = [Float](repeating: .nan, count: w.count)
            x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in gy.withUnsafeBufferPointer { pg in
            scale.withUnsafeBufferPointer { ps in shift.withUnsafeBufferPointer { pt in
            y.withUnsafeMutableBufferPointer { py in yFused.withUnsafeMutableBufferPointer { pf in
            dx.withUnsafeMutableBufferPointer { pdx in dw.withUnsafeMutableBufferPointer { pdw in
                let ep = ConvKernels.Epilogue(scale: ps.baseAddress, shift: pt.baseAddress, relu: true)
                if direct {
                    ConvKernels.directConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                            cin: cin, cout: cout, wcin: cin, wcout: cout, flipped: false, g)
                    ConvKernels.directConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: pf.baseAddress!, batch: batch,
                                            cin: cin, cout: cout, wcin: cin, wcout: cout, flipped: false, epilogue: ep, g)
                    ConvKernels.directConv(x: pg.baseAddress!, w: pw.baseAddress!, bias: nil, y: pdx.baseAddress!, batch: batch,
                                            cin: cout, cout: cin, wcin: cin, wcout: cout, flipped: true, g)
                    ConvKernels.directWeightGrad(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch,
                                                  cin: cin, cout: cout, g)
                } else {
                    ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                        cin: cin, cout: cout, g, allowDirect: false)
                    ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: pf.baseAddress!, batch: batch,
                                        cin: cin, cout: cout, g, allowDirect: false, epilogue: ep)
                    ConvKernels.backwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: batch, cin: cin,
                                             cout: cout, g, allowDirect: false)
                    ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch, cin: cin,
                                               cout: cout, g, allowDirect: false)
                }
            } } } } } } } } } }
            return [y, yFused, dx, dw]
        }
        let got = run(direct: true), ref = run(direct: false)
        for (label, (a, r)) in zip(["forward", "forward + epilogue", "backward data", "backward weight"], zip(got, ref)) {
            let mag = r.reduce(0) { Swift.max($0, abs($1)) }, d = zip(a, r).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(!a.contains { $0.isNaN } && d <= 1e-5 * Swift.max(mag, 1), "\(name) \(label): max |diff| \(d), max |ref| \(mag)")
        }
    }

    /// `conv` takes the dilated kernels by default and agrees with the `.gemm` reference through the tape.
    @Test func convDispatchesAndMatchesGemm() {
        var rng = RNG(seed: 7)
        let x = Tensor.uniform([2, 8, 16, 32], -1, 1, rng: &rng), w = Tensor.uniform([8, 8, 3, 3], -0.3, 0.3, rng: &rng)
        func pass(_ algorithm: ConvAlgorithm) -> [[Float]] {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                let xi = Tensor(x.scalars, shape: x.shape).requiringGrad(), wi = Tensor(w.scalars, shape: w.shape).requiringGrad()
                let y = xi.conv(wi, bias: nil, padding: [3, 3], dilation: [3, 3])
                (y * y).sum().backward()
                return [y.scalars, xi.grad?.scalars ?? [], wi.grad?.scalars ?? []]
            }
        }
        #expect(ConvKernels.useDilatedDirect(Self.geometry([16, 32], rate: 3)))
        let got = pass(.automatic), ref = pass(.gemm)
        for (a, r) in zip(got, ref) {
            let mag = r.reduce(0) { Swift.max($0, abs($1)) }, d = zip(a, r).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(a.count == r.count && d <= 1e-5 * Swift.max(mag, 1), "max |diff| \(d), max |ref| \(mag)")
        }
    }
}
