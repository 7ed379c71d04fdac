@testable import Engine
import Testing

/// Dead-tap pruning of dilated convolutions (ASPP rates on small feature maps): which taps are live, and forward,
/// backward data and backward weight through the pruned convolution against the im2col + sgemm reference of the full one.
@Suite("ConvolutionTapPruning")
struct ConvolutionTapPruningTests {
    static func geometry(_ sp: [Int], rate: Int) -> WindowGeometry {
        WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: sp.count), stride: nil,
                       padding: [Int](repeating: rate, count: sp.count), dilation: [Int](repeating: rate, count: sp.count))
    }

    @Test func liveTaps() {
        #expect(ConvKernels.liveTaps(Self.geometry([8, 8], rate: 12)) == [0...0, 1...1, 1...1])
        #expect(ConvKernels.liveTaps(Self.geometry([8, 8], rate: 18)) == [0...0, 1...1, 1...1])
        #expect(ConvKernels.liveTaps(Self.geometry([4, 16, 16], rate: 6)) == [1...1, 0...2, 0...2])
        #expect(ConvKernels.liveTaps(Self.geometry([8, 8], rate: 6)) == nil)
        #expect(ConvKernels.liveTaps(Self.geometry([16, 16], rate: 1)) == nil)
    }

    /// (batch, cin, cout, spatial, rate).
    static let cases: [(Int, Int, Int, [Int], Int)] = [
        (2, 8, 9, [8, 8], 12), (1, 8, 8, [8, 8], 18), (1, 9, 8, [4, 16, 16], 6), (2, 8, 12, [4, 8, 8], 12), (1, 16, 16, [10, 9], 9),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesFullConvolution(_ index: Int) {
        let (batch, cin, cout, sp, rate) = Self.cases[index]
        let g = Self.geometry(sp, rate: rate)
        #expect(ConvKernels.prunedGeometry(g) != nil)
        var rng = RNG(seed: UInt64(index))
        let x = (0..<(batch * cin * g.inputVolume)).map { _ in rng.uniform(-1, 1) }
        let w = (0..<(cout * cin * g.kernelVolume)).map { _ in rng.uniform(-0.3, 0.3) }
        let b = (0..<cout).map { _ in rng.uniform(-0.3, 0.3) }
        let gy = (0..<(batch * cout * g.outputVolume)).map { _ in rng.uniform(-1, 1) }
        func run(pruned: Bool) -> [[Float]] {
            var y = [Float](repeating: .nan, count: gy.count), dx = [Float](repeating: .nan, count: x.count)
            var dw = [Float](repeating: .nan, count: w.count)
            x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in gy.withUnsafeBufferPointer { pg in
            y.withUnsafeMutableBufferPointer { py in dx.withUnsafeMutableBufferPointer { pdx in dw.withUnsafeMutableBufferPointer { pdw in
                if pruned {
                    #expect(ConvKernels.prunedForward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!,
                                                      batch: batch, cin: cin, cout: cout, g, epilogue: nil, winograd: false))
                    #expect(ConvKernels.prunedBackwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: batch,
                                                           cin: cin, cout: cout, g))
                    #expect(ConvKernels.prunedBackwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch,
                                                             cin: cin, cout: cout, g))
                } else {
                    ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                        cin: cin, cout: cout, g, allowDirect: false)
                    ConvKernels.backwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pdx.baseAddress!, batch: batch, cin: cin,
                                             cout: cout, g, allowDirect: false)
                    ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: pdw.baseAddress!, batch: batch, cin: cin,
                                               cout: cout, g, allowDirect: false)
                }
            } } } } } } }
            return [y, dx, dw]
        }
        let got = run(pruned: true), ref = run(pruned: false)
        for (name, (a, r)) in zip(["forward", "backward data", "backward weight"], zip(got, ref)) {
            let mag = r.reduce(0) { Swift.max($0, abs($1)) }, d = zip(a, r).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(d <= 1e-5 * Swift.max(mag, 1), "case \(index) \(name): max |diff| \(d), max |ref| \(mag)")
        }
    }
}
