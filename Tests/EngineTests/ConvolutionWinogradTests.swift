@testable import Engine
import Testing

/// Winograd F(4x4, 3x3) against the im2col + sgemm reference convolution: 2D and 3D, H and W not multiples of the
/// 4x4 tile or of the 16-tile vector, one to 256 input channels, batches, bias and the inference epilogue. Winograd is
/// not bit-identical; the documented tolerance is 1e-4 of the largest reference magnitude for realistic values
/// (inputs U(-1, 1), weights U(-b, b) with PyTorch's default bound b = 1 / sqrt(fan-in)).
@Suite("ConvolutionWinograd")
struct ConvolutionWinogradTests {
    /// (batch, cin, cout, spatial); kernel 3 in every spatial dim, padding 1.
    static let cases: [(Int, Int, Int, [Int])] = [
        (1, 8, 8, [5, 7]), (2, 16, 24, [17, 33]), (1, 3, 5, [3, 9, 10]), (1, 64, 64, [12, 80]), (3, 8, 16, [4, 4]),
        (1, 256, 32, [16, 16]), (1, 1, 1, [1, 1]), (2, 12, 10, [2, 6, 70]), (1, 4, 9, [204, 201]), (1, 32, 8, [3, 8, 8]),
        (2, 16, 16, [64, 64]), (1, 9, 7, [1, 130]),
    ]

    static func values(_ n: Int, seed: UInt64, bound: Float) -> [Float] {
        var rng = RNG(seed: seed)
        return (0..<n).map { _ in rng.uniform(-bound, bound) }
    }

    /// The forward convolution through `winogradConv` (`winograd`) or im2col + sgemm, with an optional epilogue.
    static func forward(_ g: WindowGeometry, batch: Int, cin: Int, cout: Int, x: [Float], w: [Float], b: [Float]?,
                        scale: [Float]?, shift: [Float]?, relu: Bool, winograd: Bool) -> [Float] {
        var y = [Float](repeating: .nan, count: batch * cout * g.outputVolume)
        let sc = scale ?? [], sh = shift ?? [], bb = b ?? []
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in bb.withUnsafeBufferPointer { pb in
        sc.withUnsafeBufferPointer { ps in sh.withUnsafeBufferPointer { pt in y.withUnsafeMutableBufferPointer { py in
            let ep = ConvKernels.Epilogue(scale: scale == nil ? nil : ps.baseAddress, shift: shift == nil ? nil : pt.baseAddress, relu: relu)
            let bias = b == nil ? nil : pb.baseAddress
            if winograd {
                ConvKernels.winogradConv(x: px.baseAddress!, w: pw.baseAddress!, bias: bias, y: py.baseAddress!, batch: batch,
                                         cin: cin, cout: cout, epilogue: ep, g)
            } else {
                ConvKernels.forward(x: px.baseAddress!, w: pw.baseAddress!, bias: bias, y: py.baseAddress!, batch: batch,
                                    cin: cin, cout: cout, g, allowDirect: false, epilogue: ep)
            }
        } } } } } }
        return y
    }

    @Test(arguments: 0..<cases.count)
    func winogradMatchesReference(_ index: Int) {
        let (batch, cin, cout, sp) = Self.cases[index]
        let r = sp.count
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: r), stride: nil,
                               padding: [Int](repeating: 1, count: r), dilation: nil)
        #expect(ConvKernels.winogradSupports(g))
        let bound = 1 / Float(cin * g.kernelVolume).squareRoot()
        let x = Self.values(batch * cin * g.inputVolume, seed: 1, bound: 1), w = Self.values(cout * cin * g.kernelVolume, seed: 2, bound: bound)
        let b = Self.values(cout, seed: 3, bound: bound)
        let scale = Self.values(cout, seed: 4, bound: 2), shift = Self.values(cout, seed: 5, bound: 1)
        for (withBias, withAffine, relu) in [(true, false, false), (false, false, false), (true, true, true), (false, true, false)] {
            let args = (withBias ? b : nil, withAffine ? scale : nil, withAffine ? shift : nil)
            let ref = Self.forward(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: args.0, scale: args.1, shift: args.2, relu: relu,
                                   winograd: false)
            let got = Self.forward(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: args.0, scale: args.1, shift: args.2, relu: relu,
                                   winograd: true)
            let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
            let worst = zip(got, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(!got.contains { !$0.isFinite }, "case \(index): non-finite output")
            #expect(worst <= 1e-4 * magnitude, "case \(index) bias \(withBias) affine \(withAffine): max |diff| \(worst), max |ref| \(magnitude)")
        }
    }

    /// The automatic choice: Winograd only for 3x3 stride-1 convolutions with enough input and output channels.
    @Test func selection() {
        func geometry(_ sp: [Int], kernel: Int, stride: Int = 1, dilation: Int = 1) -> WindowGeometry {
            let r = sp.count
            return WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: kernel, count: r),
                                  stride: [Int](repeating: stride, count: r), padding: [Int](repeating: dilation * (kernel / 2), count: r),
                                  dilation: [Int](repeating: dilation, count: r))
        }
        #expect(ConvKernels.useWinograd(cin: 16, cout: 16, geometry([32, 32], kernel: 3)))
        #expect(ConvKernels.useWinograd(cin: 8, cout: 16, geometry([8, 32, 32], kernel: 3)))
        #expect(!ConvKernels.useWinograd(cin: 8, cout: 8, geometry([8, 32, 32], kernel: 3)))
        #expect(!ConvKernels.useWinograd(cin: 8, cout: 16, geometry([32, 32], kernel: 3)))
        #expect(!ConvKernels.useWinograd(cin: 1, cout: 16, geometry([32, 32], kernel: 3)))
        #expect(!ConvKernels.useWinograd(cin: 16, cout: 16, geometry([32, 32], kernel: 3, stride: 2)))
        #expect(!ConvKernels.useWinograd(cin: 16, cout: 16, geometry([32, 32], kernel: 3, dilation: 2)))
        #expect(!ConvKernels.useWinograd(cin: 16, cout: 16, geometry([32, 32], kernel: 5)))
        #expect(!ConvKernels.useWinograd(cin: 16, cout: 16, geometry([32, 32], kernel: 1)))
    }
}
