import CKernels

/// Direct kernels for a network's input ("stem") convolution with few input channels and 7-wide rows (docs/ARCHITECTURE.md,
/// "Engine"; C in `CKernels/conv_stem.c`): DeepLab's 7x7 (7x7x7) stride-2 convolution of 1-4 channels. On im2col + sgemm
/// its GEMM has only Cout (8-16) rows and K = 49 (343) per channel and ran at 14-29 % of the sgemm peak. The kernels split
/// each input row into its `stride` column phases (zero-padded), so the taps of 16 output columns are contiguous vectors.
/// Forward and weight gradient; the backward data pass (an input layer's input rarely needs a gradient) stays on im2col.
extension ConvKernels {
    /// Largest input channel count the stem kernels take (beyond it the GEMM's K is long enough for sgemm).
    static let stemMaximumChannels = 4

    /// Whether the stem kernels support `g` with `cin` input channels: kernel width 7, dilation 1, at most
    /// `stemMaximumChannels` input channels, padding below the kernel on every axis.
    static func stemSupports(cin: Int, _ g: WindowGeometry) -> Bool {
        g.kernel[2] == 7 && g.dilation == [1, 1, 1] && cin <= stemMaximumChannels
            && (0..<3).allSatisfy { g.padding[$0] < g.kernel[$0] } && g.outputVolume > 0
    }

    /// Whether `conv`'s forward and weight-gradient passes run on the stem kernels (not under `.gemm`, the reference path).
    static func useStemDirect(cin: Int, _ g: WindowGeometry) -> Bool { algorithm != .gemm && stemSupports(cin: cin, g) }

    /// Floats per phase row: every output vector's 7 taps stay inside it, and it covers the padded input row.
    static func stemPhaseWidth(_ g: WindowGeometry) -> Int {
        let sw = g.stride[2], ow = g.output[2]
        return Swift.max((ow + 15) / 16 * 16 + 6 / sw, (g.input[2] + g.padding[2] + sw - 1) / sw)
    }

    /// The column-phase copy of `x` (`[batch * cin * D * H, stride, WP]`, `ssk_stem_phase`), filled on all workers.
    static func stemPhases(_ x: UnsafePointer<Float>, rows: Int, _ g: WindowGeometry) -> (UnsafeMutablePointer<Float>, Int) {
        let sw = g.stride[2], wp = stemPhaseWidth(g), n = rows * sw * wp, xp = BufferPool.take(n)
        Parallel.forEachChunk(rows, minPerChunk: 256) { r in
            ssk_stem_phase(x, xp, Int32(g.input[2]), Int32(sw), Int32(g.padding[2]), Int32(wp), r.lowerBound, r.upperBound)
        }
        return (xp, n)
    }

    /// Stem forward: y `[N, cout, OD, OH, OW]` from x `[N, cin, D, H, W]` and w `[cout, cin, KD, KH, 7]`, + bias, then the
    /// epilogue (inference). Output rows are split across the workers.
    static func stemConv(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                         batch: Int, cin: Int, cout: Int, epilogue: Epilogue? = nil, _ g: WindowGeometry) {
        let (d, h) = (g.input[0], g.input[1]), (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
        let (kd, kh) = (g.kernel[0], g.kernel[1]), wp = stemPhaseWidth(g)
        let (xp, n) = stemPhases(x, rows: batch * cin * d * h, g)
        defer { BufferPool.give(xp, n) }
        let kv = kd * kh * 7
        // [cin, KD, KH, 7, cout]: the channel block of one tap is contiguous.
        var packed = [Float](repeating: 0, count: cin * cout * kv)
        for co in 0..<cout { for ci in 0..<cin { for k in 0..<kv { packed[(ci * kv + k) * cout + co] = w[(co * cin + ci) * kv + k] } } }
        let pstride = cin * d * h * g.stride[2] * wp, ostride = cout * od * oh * ow
        forEachOutputRowSpan(batch: batch, rows: od * oh, packed: packed, epilogue: epilogue) { s, r0, r1, wb, epArg in
            ssk_stem_rows(xp + s * pstride, wb, bias, epArg, y + s * ostride, Int32(cin), Int32(cout), Int32(d), Int32(h),
                          Int32(g.stride[2]), Int32(wp), Int32(od), Int32(oh), Int32(ow), Int32(kd), Int32(kh),
                          Int32(g.stride[0]), Int32(g.stride[1]), Int32(g.padding[0]), Int32(g.padding[1]), r0, r1)
        }
    }

    /// Stem weight gradient: dw `[cout, cin, KD, KH, 7]` = sum over samples and output positions of gy * the tap's input.
    /// Each worker sums its rows into a private buffer; the buffers are added at the end. Overwrites `dw`.
    static func stemWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                               batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) {
        let (d, h) = (g.input[0], g.input[1]), (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
        let (kd, kh) = (g.kernel[0], g.kernel[1]), wp = stemPhaseWidth(g), nw = cout * cin * kd * kh * 7
        let (xp, n) = stemPhases(x, rows: batch * cin * d * h, g)
        defer { BufferPool.give(xp, n) }
        let pstride = cin * d * h * g.stride[2] * wp, ostride = cout * od * oh * ow
        sumOverRowSpans(batch: batch, rows: od * oh, into: dw, count: nw) { target, s, r0, r1 in
            ssk_stem_wgrad_rows(xp + s * pstride, gy + s * ostride, target, Int32(cin), Int32(cout), Int32(d), Int32(h),
                                Int32(g.stride[2]), Int32(wp), Int32(od), Int32(oh), Int32(ow), Int32(kd), Int32(kh),
                                Int32(g.stride[0]), Int32(g.stride[1]), Int32(g.padding[0]), Int32(g.padding[1]), r0, r1)
        }
    }
}
