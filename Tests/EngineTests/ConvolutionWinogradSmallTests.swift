@testable import Engine
import Testing

/// The packed Winograd transforms of small planes (ConvolutionWinogradSmall.swift): bit for bit the values of the
/// row-wise transforms (every lane runs the same operations), for planes 4, 8, 16 and 32 wide, 2D and 3D, odd heights,
/// the inference epilogue, the in-place channel concatenation and the in-place nearest upsampling, with blocks split by
/// output channel; and within Winograd's tolerance of the im2col + sgemm reference.
@Suite("ConvolutionWinogradSmall")
struct ConvolutionWinogradSmallTests {
    /// (batch, cin, cout, spatial).
    static let cases: [(Int, Int, Int, [Int])] = [
        (4, 16, 24, [16, 16]), (1, 32, 17, [8, 8]), (3, 16, 40, [10, 8]), (2, 8, 16, [9, 32]), (2, 8, 16, [13, 4]),
        (2, 8, 16, [3, 8, 16]), (1, 24, 64, [2, 8, 8]), (5, 16, 16, [7, 16]), (4, 64, 32, [8, 8]),
    ]

    enum Input { case plain, concat, upsampled }

    /// `winogradConv` with packed or row-wise transforms; with `.concat` x is split after cin / 2 channels, with
    /// `.upsampled` x is the half-size plane (depth too in 3D) read as its nearest x2 upsampling.
    static func run(_ g: WindowGeometry, batch: Int, cin: Int, cout: Int, x: [Float], w: [Float], b: [Float], ep: Bool,
                    input: Input, packed: Bool) -> [Float] {
        var y = [Float](repeating: .nan, count: batch * cout * g.outputVolume)
        let scale = ConvolutionWinogradTests.values(cout, seed: 7, bound: 2), shift = ConvolutionWinogradTests.values(cout, seed: 8, bound: 1)
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
        scale.withUnsafeBufferPointer { ps in shift.withUnsafeBufferPointer { pt in y.withUnsafeMutableBufferPointer { py in
            let epilogue = ep ? ConvKernels.Epilogue(scale: ps.baseAddress, shift: pt.baseAddress, relu: true) : nil
            switch input {
            case .plain:
                ConvKernels.winogradConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                         cin: cin, cout: cout, epilogue: epilogue, g, packed: packed)
            case .concat:
                let c1 = cin / 2
                ConvKernels.winogradConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                         cin: cin, cout: cout, epilogue: epilogue, g, x2: px.baseAddress! + batch * c1 * g.inputVolume,
                                         split: c1, packed: packed)
            case .upsampled:
                ConvKernels.winogradConv(x: px.baseAddress!, w: pw.baseAddress!, bias: pb.baseAddress, y: py.baseAddress!, batch: batch,
                                         cin: cin, cout: cout, epilogue: epilogue, g, upsampledDepth: g.spatialRank == 3 ? 2 : 1,
                                         packed: packed)
            }
        } } } } } }
        return y
    }

    static func geometry(_ sp: [Int]) -> WindowGeometry {
        WindowGeometry(op: "test", inputSpatial: sp, kernel: [Int](repeating: 3, count: sp.count), stride: nil,
                       padding: [Int](repeating: 1, count: sp.count), dilation: nil)
    }

    @Test(arguments: 0..<cases.count)
    func packedTransformsAreBitIdenticalToRowWise(_ index: Int) {
        let (batch, cin, cout, sp) = Self.cases[index]
        let g = Self.geometry(sp)
        #expect(ConvKernels.winogradPackedRows(sp.last!) > 0)
        let bound = 1 / Float(cin * g.kernelVolume).squareRoot()
        let x = ConvolutionWinogradTests.values(batch * cin * g.inputVolume, seed: 1, bound: 1)
        let w = ConvolutionWinogradTests.values(cout * cin * g.kernelVolume, seed: 2, bound: bound)
        let b = ConvolutionWinogradTests.values(cout, seed: 3, bound: bound)
        let upsamples = sp.allSatisfy { $0 % 2 == 0 }
        for input in [Input.plain, .concat] + (upsamples ? [.upsampled] : []) {
            for ep in [false, true] {
                let row = Self.run(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, ep: ep, input: input, packed: false)
                let got = Self.run(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, ep: ep, input: input, packed: true)
                #expect(!got.contains { $0.isNaN }, "\(sp) \(input): an output was not written")
                let same = zip(got, row).allSatisfy { $0.bitPattern == $1.bitPattern }
                #expect(same, "\(batch)x\(cin)->\(cout) @\(sp) \(input) epilogue \(ep): packed differs from row-wise")
            }
        }
        // And against im2col + sgemm (Winograd's documented tolerance).
        let ref = ConvolutionWinogradTests.forward(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, scale: nil, shift: nil,
                                                   relu: false, winograd: false)
        let got = Self.run(g, batch: batch, cin: cin, cout: cout, x: x, w: w, b: b, ep: false, input: .plain, packed: true)
        let magnitude = ref.reduce(0) { Swift.max($0, abs($1)) }
        let worst = zip(got, ref).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(worst <= 1e-4 * magnitude, "\(sp): worst \(worst) of \(magnitude)")
    }

    /// The plan's blocks cover every tile row once in whole groups and its channel parts cover [0, cout) once.
    @Test func planCoversRowsAndChannels() {
        for (batch, cin, cout, sp) in Self.cases {
            let g = Self.geometry(sp)
            let plan = ConvKernels.winogradSmallPlan(batch: batch, k: g.kernel[0] * cin, cout: cout, g, packed: true)
            #expect(plan.packed)
            let r = ConvKernels.winogradPackedRows(sp.last!)
            #expect(plan.blocks.perBlock % r == 0)
            #expect(plan.blocks.blocks * plan.blocks.perBlock >= plan.blocks.rows)
            #expect((plan.blocks.blocks - 1) * plan.blocks.perBlock < plan.blocks.rows)
            var next = 0
            for i in 0..<plan.channelSplits {
                let (c0, c1) = plan.channels(i)
                #expect(c0 == Swift.min(next, cout) && c1 >= c0)
                next = c1
            }
            #expect(next == cout)
        }
        let wide = ConvKernels.winogradSmallPlan(batch: 1, k: 16, cout: 16, Self.geometry([64, 64]), packed: true)
        #expect(!wide.packed && wide.channelSplits == 1)
    }

    /// Backward data reads the flipped, channel-swapped kernel in place (`ssk_wino_filter_range`, the workers splitting
    /// the filter transform): bit for bit the values of flipping into a copy first, in 2D and 3D.
    @Test(arguments: [(2, 24, 16, [8, 8]), (1, 16, 40, [16, 16]), (1, 8, 16, [3, 8, 12]), (2, 64, 32, [12, 20])])
    func backwardDataReadsTheFlippedKernelInPlace(_ c: (Int, Int, Int, [Int])) {
        let (batch, cin, cout, sp) = c
        let g = Self.geometry(sp), kvol = g.kernelVolume
        let gy = ConvolutionWinogradTests.values(batch * cout * g.outputVolume, seed: 11, bound: 1)
        let w = ConvolutionWinogradTests.values(cout * cin * kvol, seed: 12, bound: 0.2)
        var wf = [Float](repeating: 0, count: w.count)
        for co in 0..<cout { for ci in 0..<cin { for j in 0..<kvol { wf[(ci * cout + co) * kvol + j] = w[(co * cin + ci) * kvol + kvol - 1 - j] } } }
        var inPlace = [Float](repeating: .nan, count: batch * cin * g.inputVolume), copied = inPlace
        gy.withUnsafeBufferPointer { pg in w.withUnsafeBufferPointer { pw in wf.withUnsafeBufferPointer { pf in
        inPlace.withUnsafeMutableBufferPointer { pa in copied.withUnsafeMutableBufferPointer { pb in
            #expect(ConvKernels.winogradBackwardData(gy: pg.baseAddress!, w: pw.baseAddress!, dx: pa.baseAddress!, batch: batch,
                                                     cin: cin, cout: cout, g))
            ConvKernels.winogradConv(x: pg.baseAddress!, w: pf.baseAddress!, bias: nil, y: pb.baseAddress!, batch: batch, cin: cout,
                                     cout: cin, epilogue: nil, g)
        } } } } }
        #expect(!inPlace.contains { $0.isNaN })
        #expect(zip(inPlace, copied).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(sp): in-place flip differs from the copy")
    }

    /// The small-plane Winograd weight gradient (whole batch, packed transforms, sgemm products) against im2col + sgemm:
    /// planes 4 to 32 wide, odd heights, batches whose tile rows leave the last group short, more input than output
    /// channels and the reverse.
    @Test(arguments: [(4, 16, 24, [16, 16]), (2, 32, 16, [8, 8]), (3, 16, 40, [10, 8]), (2, 24, 16, [9, 32]), (2, 16, 16, [13, 4]),
                      (1, 64, 130, [8, 8]), (5, 40, 16, [7, 16]), (32, 16, 24, [8, 8])])
    func smallWeightGradientMatchesReference(_ c: (Int, Int, Int, [Int])) {
        let (batch, cin, cout, sp) = c
        let g = Self.geometry(sp)
        #expect(ConvKernels.winogradWeightGradSmallPays(g, batch: batch) == (sp == [16, 16] || sp == [7, 16] || (sp == [8, 8] && batch >= 32)))
        let x = ConvolutionWinogradTests.values(batch * cin * g.inputVolume, seed: 31, bound: 1)
        let gy = ConvolutionWinogradTests.values(batch * cout * g.outputVolume, seed: 32, bound: 1)
        var got = [Float](repeating: .nan, count: cout * cin * 9), ref = got
        x.withUnsafeBufferPointer { px in gy.withUnsafeBufferPointer { pg in
            ConvKernels.winogradWeightGradSmall(x: px.baseAddress!, gy: pg.baseAddress!, dw: &got, batch: batch, cin: cin, cout: cout, g)
            ConvKernels.backwardWeight(x: px.baseAddress!, gy: pg.baseAddress!, dw: &ref, batch: batch, cin: cin, cout: cout, g,
                                       allowDirect: false)
        } }
        ConvolutionWinogradTrainingTests.expectWithinWinograd(got, ref, "\(batch)x\(cin)->\(cout) @\(sp) weight gradient")
        #expect(!got.contains { $0.isNaN })
    }
}
