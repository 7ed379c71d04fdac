@testable import Engine
import Testing

/// The short-row gather table of im2col / col2im (`ConvolutionGatherIm2col.swift`) against the row walk (the path under
/// `ConvAlgorithm.gemm`), bit for bit: 2D and 3D, strides, dilations, paddings, odd sizes, tiles that start and end
/// inside an output row; and the 3D tiny-volume Winograd rule (`ConvolutionTinyVolume.swift`).
@Suite("ConvolutionGatherIm2col")
struct ConvolutionGatherIm2colTests {
    /// (channels, input spatial, kernel, stride, padding, dilation)
    static let cases: [(Int, [Int], [Int], [Int], [Int], [Int])] = [
        (3, [8, 8], [3, 3], [1, 1], [2, 2], [2, 2]), (5, [8, 8], [3, 3], [1, 1], [1, 1], [1, 1]),
        (2, [7, 5], [3, 3], [2, 2], [1, 1], [1, 1]), (4, [9, 16], [3, 3], [2, 2], [1, 1], [1, 1]),
        (3, [6, 8], [3, 3], [1, 1], [6, 6], [6, 6]), (2, [5, 3], [1, 1], [1, 1], [0, 0], [1, 1]),
        (2, [2, 4, 4], [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1]), (3, [4, 8, 8], [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1]),
        (2, [2, 4, 4], [3, 3, 3], [1, 1, 1], [2, 2, 2], [2, 2, 2]), (2, [8, 8, 8], [3, 3, 3], [2, 2, 2], [1, 1, 1], [1, 1, 1]),
        (1, [5, 6, 7], [3, 1, 3], [1, 2, 1], [1, 0, 1], [1, 1, 2]), (2, [16, 16], [7, 7], [2, 2], [3, 3], [1, 1]),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesRowWalk(_ index: Int) {
        let (channels, sp, k, s, p, d) = Self.cases[index]
        let g = WindowGeometry(op: "test", inputSpatial: sp, kernel: k, stride: s, padding: p, dilation: d)
        #expect(g.output[2] <= ConvKernels.gatherIm2colMaxWidth, "case \(index) must take the gather table")
        let rows = channels * g.kernelVolume, positions = g.outputVolume
        var rng = RNG(seed: UInt64(70 + index))
        let x = (0..<(channels * g.inputVolume)).map { _ in rng.uniform(-1, 1) }
        // Whole volume, and tiles starting and ending inside a row.
        let ranges = [(0, positions), (1, Swift.min(positions, g.output[2] + 3)), (positions / 2, positions)].filter { $0.0 < $0.1 }
        for (p0, p1) in ranges {
            let len = p1 - p0
            #expect(ConvKernels.gatherIm2colPays(g, p0: p0, p1: p1))
            var walked = [Float](repeating: .nan, count: rows * len), gathered = walked
            let col = (0..<(rows * len)).map { _ in rng.uniform(-1, 1) }
            var dxWalk = (0..<(channels * g.inputVolume)).map { _ in rng.uniform(-1, 1) }, dxGather = dxWalk
            x.withUnsafeBufferPointer { xp in
                ConvKernels.$scopedAlgorithm.withValue(.gemm) {
                    #expect(!ConvKernels.gatherIm2colPays(g, p0: p0, p1: p1))
                    walked.withUnsafeMutableBufferPointer { ConvKernels.im2col(xp.baseAddress!, g, channels: channels, p0: p0, p1: p1, col: $0.baseAddress!) }
                    col.withUnsafeBufferPointer { c in
                        dxWalk.withUnsafeMutableBufferPointer { ConvKernels.col2im(c.baseAddress!, g, channels: channels, p0: p0, p1: p1, dx: $0.baseAddress!) }
                    }
                }
                ConvKernels.$scopedAlgorithm.withValue(.automatic) {
                    gathered.withUnsafeMutableBufferPointer { ConvKernels.im2col(xp.baseAddress!, g, channels: channels, p0: p0, p1: p1, col: $0.baseAddress!) }
                    col.withUnsafeBufferPointer { c in
                        dxGather.withUnsafeMutableBufferPointer { ConvKernels.col2im(c.baseAddress!, g, channels: channels, p0: p0, p1: p1, dx: $0.baseAddress!) }
                    }
                }
            }
            #expect(walked.map(\.bitPattern) == gathered.map(\.bitPattern), "case \(index) im2col \(p0)..<\(p1)")
            #expect(dxWalk.map(\.bitPattern) == dxGather.map(\.bitPattern), "case \(index) col2im \(p0)..<\(p1)")
        }
    }

    /// im2col's strided run (`stridedCopy`: 16 columns per 32-lane load at step 2) against the scalar loop, from buffers of
    /// exactly the run's extent (the loads must not read past its last element).
    @Test func stridedCopyMatchesScalarLoop() {
        var rng = RNG(seed: 5)
        for step in [2, 3] {
            for len in 1...70 {
                let n = (len - 1) * step + 1
                let src = UnsafeMutablePointer<Float>.allocate(capacity: n)
                defer { src.deallocate() }
                for i in 0..<n { src[i] = rng.uniform(-1, 1) }
                var out = [Float](repeating: .nan, count: len)
                out.withUnsafeMutableBufferPointer { ConvKernels.stridedCopy(src, $0.baseAddress!, count: len, step: step) }
                #expect(out.map(\.bitPattern) == (0..<len).map { src[$0 * step].bitPattern }, "step \(step) len \(len)")
            }
        }
    }

    /// Wider rows and tables past the stack budget keep the row walk.
    @Test func widerRowsKeepTheWalk() {
        let wide = WindowGeometry(op: "test", inputSpatial: [16, 16], kernel: [3, 3], stride: nil, padding: [1, 1], dilation: nil)
        #expect(!ConvKernels.gatherIm2colPays(wide, p0: 0, p1: wide.outputVolume))
        let big = WindowGeometry(op: "test", inputSpatial: [32, 64, 8], kernel: [3, 3, 3], stride: nil, padding: [1, 1, 1], dilation: nil)
        #expect(!ConvKernels.gatherIm2colPays(big, p0: 0, p1: big.outputVolume))
        #expect(ConvKernels.gatherIm2colPays(big, p0: 0, p1: 512))
    }

    /// 3x3x3 convolutions on planes of one 4x4 tile leave Winograd under `.automatic` (all passes); 8x8 planes and 2D keep it.
    @Test func tinyVolumeWinogradRule() {
        func g(_ sp: [Int]) -> WindowGeometry {
            WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: sp.count), stride: nil,
                           padding: [Int](repeating: 1, count: sp.count), dilation: nil)
        }
        ConvKernels.$scopedAlgorithm.withValue(.automatic) {
            #expect(!ConvKernels.useWinograd(cin: 32, cout: 32, g([2, 4, 4])))
            #expect(!ConvKernels.useWinograd(cin: 64, cout: 32, g([3, 4, 3])))
            #expect(ConvKernels.useWinograd(cin: 16, cout: 16, g([4, 8, 8])))
            #expect(ConvKernels.useWinograd(cin: 32, cout: 32, g([4, 4])) == ConvKernels.winogradPaysOnMap(cin: 32, cout: 32, g([4, 4])))
        }
        ConvKernels.$scopedAlgorithm.withValue(.winograd) { #expect(ConvKernels.useWinograd(cin: 32, cout: 32, g([2, 4, 4]))) }
    }

    /// A 3x3x3 convolution on a 2x4x4 map under `.automatic` (gather table, no Winograd) equals the `.gemm` path (row
    /// walk) bit for bit in all three passes.
    @Test func tinyVolumeConvMatchesGemm() {
        var rng = RNG(seed: 91)
        let x = Tensor((0..<(2 * 32 * 32)).map { _ in rng.uniform(-1, 1) }, shape: [2, 32, 2, 4, 4])
        let w = Tensor((0..<(24 * 32 * 27)).map { _ in rng.uniform(-0.1, 0.1) }, shape: [24, 32, 3, 3, 3])
        let gy = Tensor((0..<(2 * 24 * 32)).map { _ in rng.uniform(-1, 1) }, shape: [2, 24, 2, 4, 4])
        func run(_ algorithm: ConvAlgorithm) -> [[Float]] {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                let xv = Tensor(x.scalars, shape: x.shape, requiresGrad: true), wv = Tensor(w.scalars, shape: w.shape, requiresGrad: true)
                let y = xv.conv(wv, bias: nil, padding: [1, 1, 1])
                y.backward(gy)
                return [y.scalars, xv.grad!.scalars, wv.grad!.scalars]
            }
        }
        let auto = run(.automatic), gemm = run(.gemm)
        for (a, b) in zip(auto, gemm) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
    }
}
