import CKernels

/// Direct kernels for dilated 3-wide "same" convolutions (docs/ARCHITECTURE.md, "Engine"; C in `CKernels/conv_dilated.c`):
/// the dilated FCN's 3x3 layers at rates 2..6 and dilated residual blocks on maps at least 16 wide. They ran on im2col +
/// sgemm, whose GEMM has only Cout (16-32) rows; the direct kernels read the input rows in place as the undilated direct
/// kernels do: `directConv` and `directWeightGrad` (`ConvolutionDirect.swift`) call them for a dilated geometry.
extension ConvKernels {
    /// Whether the dilated direct kernels support `g`: stride 1, kernel (1|3, 1|3, 3), every 3-wide axis dilated by the
    /// same rate > 1 and padded by it, 1-wide axes unpadded, output size = input size, W % 8 == 0 (W % 16 == 8 on the
    /// two-segment kernels, `conv_dilated8.c`).
    static func dilatedDirectSupports(_ g: WindowGeometry) -> Bool {
        let rate = g.dilation[2]
        guard rate > 1, g.stride == [1, 1, 1], g.kernel[2] == 3, g.output == g.input, g.input[2] % 8 == 0 else { return false }
        for a in 0..<3 {
            switch g.kernel[a] {
            case 1: if g.padding[a] != 0 { return false }
            case 3: if g.dilation[a] != rate || g.padding[a] != rate { return false }
            default: return false
            }
        }
        return true
    }

    /// Whether `conv`'s three passes run on the dilated direct kernels (not under `.gemm`, the reference path; the weight
    /// gradient of W % 16 == 8 rows goes on to im2col + sgemm, `dilatedWeightGrad`).
    static func useDilatedDirect(_ g: WindowGeometry) -> Bool { algorithm != .gemm && dilatedDirectSupports(g) }

    /// Smallest Cin x Cout whose dilated weight gradient on 16-wide rows runs on im2col + sgemm instead of the direct
    /// kernel: the GEMM (Cout rows, Cin x 9 columns, the positions deep) outruns the direct kernel's 8-channel blocks and
    /// horizontal sums there. Measured on DeepLab's layer4 at 8,1,256,256 (`bench --layers`, % of the one-core sgemm
    /// rate per CPU second, alternating): 128->128 at 16x16, rate 2: 42-46 % direct, 60-69 % im2col; the ASPP's
    /// 128->64 (rates 6 and 12): 74-77 % direct, 65-79 % im2col (kept direct); the dilated FCN's 16-32 channels stay direct.
    static let dilatedWeightGradGemmMinimumChannels = 128 * 128
}

// MARK: - Zero-padded rows

/// The dilated kernels read a copy of the input whose rows carry `rate` zeros on each side (`ssk_dconv3_pad_rows`): on the
/// 16-32 wide maps of DeepLab's dilated layer4 and ASPP every 16-lane vector had a tap past a row end and was gathered
/// lane by lane; on padded rows every tap is one unaligned load. Same arithmetic in the same order: the same values.
extension ConvKernels {
    /// x `[rows, W]` copied into `[rows, W + 2 * rate]` with `rate` zeros on each side, on all workers.
    static func dilatedPaddedRows(_ x: UnsafePointer<Float>, rows: Int, width: Int, rate: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let n = rows * (width + 2 * rate), xp = BufferPool.take(n)
        Parallel.forEachChunk(rows, minPerChunk: Swift.max(1, 16384 / Swift.max(width, 1))) { r in
            ssk_dconv3_pad_rows(x, xp, Int32(width), Int32(rate), r.lowerBound, r.upperBound)
        }
        return (xp, n)
    }

    /// The dilated branch of `directConv` (forward, or with `flipped` backward data): same arguments.
    static func dilatedConv(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                            batch: Int, cin: Int, cout: Int, wcin: Int, wcout: Int, flipped: Bool, epilogue: Epilogue?,
                            _ g: WindowGeometry) {
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), (kd, kh) = (g.kernel[0], g.kernel[1]), rate = g.dilation[2]
        let vol = d * h * wd, pvol = d * h * (wd + 2 * rate)
        let packed = packWeights(w, cin: wcin, cout: wcout, taps: kd * kh, flipped: flipped)
        let (xp, n) = dilatedPaddedRows(x, rows: batch * cin * d * h, width: wd, rate: rate)
        defer { BufferPool.give(xp, n) }
        if wd % 16 != 0 {
            let zero = [Float](repeating: 0, count: 8 + 2 * rate)
            forEachOutputRowSpan(batch: batch, rows: d * h, packed: packed, epilogue: epilogue) { s, r0, r1, wb, epArg in
                ssk_dconv3_rows_padded8(xp + s * cin * pvol, zero, wb, bias, epArg, y + s * cout * vol, Int32(cin), Int32(cout), Int32(d),
                                        Int32(h), Int32(wd), Int32(kd), Int32(kh), Int32(rate), r0, r1)
            }
            return
        }
        forEachOutputRowSpan(batch: batch, rows: d * h, packed: packed, epilogue: epilogue) { s, r0, r1, wb, epArg in
            ssk_dconv3_rows_padded(xp + s * cin * pvol, wb, bias, epArg, y + s * cout * vol, Int32(cin), Int32(cout), Int32(d),
                                   Int32(h), Int32(wd), Int32(kd), Int32(kh), Int32(rate), r0, r1)
        }
    }

    /// The dilated branch of `directWeightGrad`: same arguments and chunking, per-worker buffers added at the end. Rows
    /// with W % 16 == 8, and layers of at least `dilatedWeightGradGemmMinimumChannels` channel pairs, run on im2col +
    /// sgemm (`conv_dilated8.c` has forward and backward data only: on DeepLab's 8x8 maps the 8 rows of a sample gave too
    /// few positions per horizontal sum; 25-35 % of peak against sgemm's 52 %).
    static func dilatedWeightGrad(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                  batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, chunkRows: Int?) {
        if g.input[2] % 16 != 0 || cin * cout >= dilatedWeightGradGemmMinimumChannels {
            backwardWeight(x: x, gy: gy, dw: dw, batch: batch, cin: cin, cout: cout, g, allowDirect: false)
            return
        }
        let (d, h, wd) = (g.input[0], g.input[1], g.input[2]), (kd, kh) = (g.kernel[0], g.kernel[1]), rate = g.dilation[2]
        let vol = d * h * wd, pvol = d * h * (wd + 2 * rate), nw = cout * cin * kd * kh * 3
        let chunk = weightGradChunk(cin: cin, cout: cout, width: wd, override: chunkRows)
        let (xp, n) = dilatedPaddedRows(x, rows: batch * cin * d * h, width: wd, rate: rate)
        defer { BufferPool.give(xp, n) }
        sumOverRowSpans(batch: batch, rows: d * h, into: dw, count: nw) { target, s, r0, r1 in
            ssk_dconv3_wgrad_rows_padded(xp + s * cin * pvol, gy + s * cout * vol, target, Int32(cin), Int32(cout), Int32(d), Int32(h),
                                         Int32(wd), Int32(kd), Int32(kh), Int32(rate), r0, r1, chunk)
        }
    }
}
