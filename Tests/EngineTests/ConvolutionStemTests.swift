@testable import Engine
import Testing

/// The stem kernels (`ConvolutionStem.swift`, `CKernels/conv_stem.c`): which geometries they take, and forward (with bias
/// and with the inference epilogue) and backward weight against im2col + sgemm, in 2D and 3D, strides 1-3, odd sizes.
@Suite("ConvolutionStem")
struct ConvolutionStemTests {
    static func geometry(_ sp: [Int], kernel: [Int], stride: [Int], padding: [Int]) -> WindowGeometry {
        WindowGeometry(op: "test", inputSpatial: sp, kernel: kernel, stride: stride, padding: padding, dilation: nil)
    }

    @Test func supportedGeometries() {
        #expect(ConvKernels.stemSupports(cin: 1, Self.geometry([256, 256], kernel: [7, 7], stride: [2, 2], padding: [3, 3])))
        #expect(ConvKernels.stemSupports(cin: 4, Self.geometry([32, 64, 64], kernel: [7, 7, 7], stride: [2, 2, 2], padding: [3, 3, 3])))
        #expect(!ConvKernels.stemSupports(cin: 5, Self.geometry([64, 64], kernel: [7, 7], stride: [2, 2], padding: [3, 3])))
        #expect(!ConvKernels.stemSupports(cin: 1, Self.geometry([64, 64], kernel: [5, 5], stride: [2, 2], padding: [2, 2])))
        let dilated = WindowGeometry(op: "test", inputSpatial: [64, 64], kernel: [7, 7], stride: [1, 1], padding: [6, 6], dilation: [2, 2])
        #expect(!ConvKernels.stemSupports(cin: 1, dilated))
    }

    /// (batch, cin, cout, spatial, kernel, stride, padding): DeepLab's stems (2D and 3D), odd sizes (the CT's 204x201),
    /// output widths off the 16-lane vectors, channel counts off the 4-block, strides 1 and 3, no padding, a 1-deep kernel.
    static let cases: [(Int, Int, Int, [Int], [Int], [Int], [Int])] = [
        (2, 1, 16, [64, 64], [7, 7], [2, 2], [3, 3]), (1, 1, 16, [25, 201], [7, 7], [2, 2], [3, 3]),
        (2, 3, 7, [11, 37], [7, 7], [1, 1], [3, 3]), (1, 2, 5, [19, 70], [7, 7], [3, 3], [2, 1]),
        (1, 1, 8, [9, 16, 16], [7, 7, 7], [2, 2, 2], [3, 3, 3]), (2, 4, 9, [5, 13, 50], [7, 7, 7], [2, 2, 2], [3, 3, 3]),
        (1, 1, 6, [4, 9, 23], [1, 5, 7], [1, 2, 2], [0, 2, 0]),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesIm2colReference(_ index: Int) {
        let (batch, cin, cout, sp, kernel, stride, padding) = Self.cases[index]
        let g = Self.geometry(sp, kernel: kernel, stride: stride, padding: padding)
        #expect(ConvKernels.stemSupports(cin: cin, g))
        let data = ConvCaseData(batch: batch, cin: cin, cout: cout, g, seed: UInt64(70 + index))
        let (x, w, b, scale, shift, gy) = (data.x, data.w, data.b, data.scale, data.shift, data.gy)
        func run(direct: Bool) -> [[Float]] {
            var y = [Float](repeating: .nan, count: gy.count), yFused = y, dw = [Float](repeating: .nan, count: w.count)
            x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in gy.withUnsafeBufferPointer { pg in
            scale.withUnsafeBufferPointer { ps in shift.withUnsafeBufferPointer { pt in
            y.withUnsafeMutableBufferPointer { py in yFused.withUnsafeMutableBufferPointer { pf in dw.withUnsafeMutableBufferPointer { pdw in
                let ep = ConvKernels.Epilogue(scale: ps.baseAddress, shift: pt.baseAddress, relu: true)
                if direct {
                    ConvKernels.stemConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                         cin: cin, cout: cout, g)
                    ConvKernels.stemConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: pf.baseAddress!, batch: batch,
                                         cin: cin, cout: cout, epilogue: ep, g)
                    ConvKernels.stemWeightGrad(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch, cin: cin,
                                               cout: cout, g)
                } else {
                    ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                        cin: cin, cout: cout, g, allowDirect: false)
                    ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: pf.baseAddress!, batch: batch,
                                        cin: cin, cout: cout, g, allowDirect: false, epilogue: ep)
                    ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch, cin: cin,
                                               cout: cout, g, allowDirect: false)
                }
            } } } } } } } } }
            return [y, yFused, dw]
        }
        let got = run(direct: true), ref = run(direct: false)
        for (name, (a, r)) in zip(["forward", "forward + epilogue", "backward weight"], zip(got, ref)) {
            let mag = r.reduce(0) { Swift.max($0, abs($1)) }, d = zip(a, r).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(!a.contains { $0.isNaN } && d <= 1e-5 * Swift.max(mag, 1), "case \(index) \(name): max |diff| \(d), max |ref| \(mag)")
        }
    }

    /// `conv` takes the stem kernels by default and agrees with the `.gemm` reference through the tape (input and weight
    /// gradients), in 2D and 3D.
    @Test(arguments: [[1, 1, 30, 46], [2, 1, 9, 14, 22]])
    func convDispatchesAndMatchesGemm(_ shape: [Int]) {
        var rng = RNG(seed: 9)
        let r = shape.count - 2
        let x = Tensor.uniform(shape, -1, 1, rng: &rng), w = Tensor.uniform([8, 1] + [Int](repeating: 7, count: r), -0.3, 0.3, rng: &rng)
        func pass(_ algorithm: ConvAlgorithm) -> [[Float]] {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                let xi = Tensor(x.scalars, shape: x.shape).requiringGrad(), wi = Tensor(w.scalars, shape: w.shape).requiringGrad()
                let y = xi.conv(wi, bias: nil, stride: [Int](repeating: 2, count: r), padding: [Int](repeating: 3, count: r))
                (y * y).sum().backward()
                return [y.scalars, xi.grad?.scalars ?? [], wi.grad?.scalars ?? []]
            }
        }
        let g = Self.geometry(Array(shape[2...]), kernel: [Int](repeating: 7, count: r), stride: [Int](repeating: 2, count: r),
                              padding: [Int](repeating: 3, count: r))
        #expect(ConvKernels.useStemDirect(cin: 1, g))
        let got = pass(.automatic), ref = pass(.gemm)
        for (a, r) in zip(got, ref) {
            let mag = r.reduce(0) { Swift.max($0, abs($1)) }, d = zip(a, r).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(a.count == r.count && d <= 1e-5 * Swift.max(mag, 1), "max |diff| \(d), max |ref| \(mag)")
        }
    }
}
