import CKernels

/// Direct kernels for dilated 3-wide "same" convolutions (docs/ARCHITECTURE.md, "Engine"; C in `CKernels/conv_dilated.c`):
/// the dilated FCN's 3x3 layers at rates 2..6 and dilated residual blocks on maps at least 16 wide. They ran on im2col +
/// sgemm, whose GEMM has only Cout (16-32) rows; the direct kernels read the input rows in place as the undilated direct
/// kernels do (`ConvolutionDirect.swift`).
extension ConvKernels {
    /// Whether the dilated direct kernels support `g`: stride 1, kernel (1|3, 1|3, 3), every 3-wide axis dilated by the
    /// same rate > 1 and padded by it, 1-wide axes unpadded, output size = input size, W % 16 == 0.
    static func dilatedDirectSupports(_ g: WindowGeometry) -> Bool {
        let rate = g.dilation[2]
        guard rate > 1, g.stride == [1, 1, 1], g.kernel[2] == 3, g.output == g.input, g.input[2] % 16 == 0 else { return false }
        for a in 0..<3 {
            switch g.kernel[a] {
            case 1: if g.padding[a] != 0 { return false }
            case 3: if g.dilation[a] != rate || g.padding[a] != rate { return false }
            default: return false
            }
        }
        return true
    }

    /// Whether `conv`'s three passes run on the dilated direct kernels (not under `.gemm`, the reference path).
    static func useDilatedDirect(_ g: WindowGeometry) -> Bool { algorithm != .gemm && dilatedDirectSupports(g) }

    /// Dilated direct forward (or, with `flipped`, backward data: the same dilation and padding with the flipped,
    /// transposed kernel) over every sample; the arguments of `directConv`.
    static func dilatedConv(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                            batch: Int, cin: Int, cout: Int, wcin: Int, wcout: Int, flipped: Bool, epilogue: Epilogue? = nil,
                            _ g: WindowGeometry) {
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), (kd, kh) = (g.kernel[0], g.kernel[1])
        let vol = d * h * wd, rate = Int32(g.dilation[2])
        let packed = packWeights(w, cin: wcin, cout: wcout, taps: kd * kh, flipped: flipped)
        var ep = ssk_epilogue(scale: epilogue?.scale, shift: epilogue?.shift, relu: epilogue?.relu == true ? 1 : 0)
        packed.withUnsafeBufferPointer { wp in
            guard let wb = wp.baseAddress else { return }
            withUnsafePointer(to: &ep) { epp in
                let epArg = epilogue == nil ? nil : epp
                _ = forEachRowSpan(batch: batch, rows: d * h) { _, s, r0, r1 in
                    ssk_dconv3_rows(x + s * cin * vol, wb, bias, epArg, y + s * cout * vol, Int32(cin), Int32(cout), Int32(d), Int32(h),
                                    Int32(wd), Int32(kd), Int32(kh), rate, r0, r1)
                }
            }
        }
    }

    /// Dilated direct backward weight: dw `[Cout, Cin, KD, KH, 3]` = sum over samples and positions of gy * shifted x, one
    /// private buffer per extra worker (as `directWeightGrad`).
    static func dilatedWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                  batch: Int, cin: Int, cout: Int, _ g: WindowGeometry) {
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), (kd, kh) = (g.kernel[0], g.kernel[1])
        let vol = d * h * wd, nw = cout * cin * kd * kh * 3
        let workers = Parallel.workerCount(batch * d * h)
        let chunk = Swift.max(weightGradChunkBytes / ((cin + cout) * wd * MemoryLayout<Float>.stride), 1)
        let partCount = (workers - 1) * nw, part = BufferPool.take(Swift.max(partCount, 1))
        defer { BufferPool.give(part, Swift.max(partCount, 1)) }
        dw.initialize(repeating: 0, count: nw)
        if partCount > 0 { part.initialize(repeating: 0, count: partCount) }
        _ = forEachRowSpan(batch: batch, rows: d * h) { worker, s, r0, r1 in
            let target = worker == 0 ? dw : part + (worker - 1) * nw
            ssk_dconv3_wgrad_rows(x + s * cin * vol, gy + s * cout * vol, target, Int32(cin), Int32(cout), Int32(d), Int32(h),
                                  Int32(wd), Int32(kd), Int32(kh), Int32(g.dilation[2]), r0, r1, chunk)
        }
        for wk in 1..<Swift.max(workers, 1) {
            let src = part + (wk - 1) * nw
            for i in 0..<nw { dw[i] += src[i] }
        }
    }
}
