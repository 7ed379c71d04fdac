/// Resizing to an arbitrary spatial size over 2 or 3 spatial dims (NCHW / NCDHW), with its backward rule: DeepLab's
/// image-pooling broadcast (1x1 to any size) and its final upsampling to the input size.

extension AxisTaps {
    /// Taps mapping `n` source positions onto `m` output positions with PyTorch's scale `n / m` (as `F.interpolate` with
    /// `size=`): nearest is `min(floor(d * n / m), n - 1)`; linear is `align_corners=False`
    /// (`src = max(0, (d + 0.5) * n / m - 0.5)`), the weights clamped to [0, 1].
    init(input n: Int, output m: Int, mode: UpsampleMode) {
        i0 = [Int](repeating: 0, count: m); i1 = i0
        w0 = [Float](repeating: 1, count: m); w1 = [Float](repeating: 0, count: m)
        let scale = Float(n) / Float(m)
        for d in 0..<m {
            switch mode {
            case .nearest:
                let s = m == n ? d : (m == 2 * n ? d >> 1 : Int((Float(d) * scale).rounded(.down)))
                i0[d] = Swift.min(s, n - 1); i1[d] = i0[d]
            case .linear:
                let src = Swift.max(0, scale * (Float(d) + 0.5) - 0.5)
                let a = Swift.min(Int(src), n - 1)
                let l1 = Swift.min(Swift.max(src - Float(a), 0), 1)
                i0[d] = a; i1[d] = a < n - 1 ? a + 1 : a
                w0[d] = 1 - l1; w1[d] = l1
            }
        }
    }
}

extension Tensor {
    /// Resizes the spatial dims to `size`, as PyTorch's `F.interpolate(x, size=size, mode=...)` with
    /// `align_corners=False` for `.linear` (bilinear in 2D, trilinear in 3D).
    ///
    /// `self` is `[N, C, H, W]` or `[N, C, D, H, W]`; `size` has one positive entry per spatial dim (smaller, equal or
    /// larger than the input, not necessarily a multiple). Returns `[N, C, *size]`; the gradient is the adjoint
    /// (each output's upstream value spread back with the same weights).
    public func resized(to size: [Int], mode: UpsampleMode) -> Tensor {
        precondition(rank == 4 || rank == 5, "resized: input must be [N, C, H, W] or [N, C, D, H, W], got \(shape)")
        let r = rank - 2
        precondition(size.count == r && size.allSatisfy { $0 > 0 }, "resized: size \(size) needs \(r) positive entries for input \(shape)")
        let inS = [Int](repeating: 1, count: 3 - r) + Array(shape[2...])
        let outS = [Int](repeating: 1, count: 3 - r) + size
        let taps = (AxisTaps(input: inS[0], output: outS[0], mode: mode), AxisTaps(input: inS[1], output: outS[1], mode: mode),
                    AxisTaps(input: inS[2], output: outS[2], mode: mode))
        guard mode == .linear, GradMode.isEnabled, requiresGrad else {
            return interpolated("resize", taps: taps, output: outS, mode: mode, nearest2xDepth: nil)
        }
        let out = withNoGrad { interpolated("resize", taps: taps, output: outS, mode: mode, nearest2xDepth: nil) }
        out.requiresGrad = true
        out.gradFn = GradFn(name: "resize", inputs: [self]) { gy in [Tensor.resizeLinearBackward(gy, taps: taps, input: inS, output: outS, shape: self.shape)] }
        return out
    }

    /// The adjoint of a linear resize, separably: each output row's upstream values are first gathered onto the input
    /// columns in a small row buffer (two taps per value, summed per input column), and that buffer is added to the four
    /// input rows the output row reads, with their weights. The direct spread did eight read-modify-writes per output value (DeepLab's 16x16 ->
    /// 256x256 logits resize was 8 % of a training step). Returns `[N, C, *input]`.
    static func resizeLinearBackward(_ gy: Tensor, taps: (AxisTaps, AxisTaps, AxisTaps), input inS: [Int], output outS: [Int],
                                     shape: [Int]) -> Tensor {
        let (tz, ty, tx) = taps
        let planes = shape[0] * shape[1], (ih, iw) = (inS[1], inS[2]), (oh, ow) = (outS[1], outS[2])
        let ivol = inS[0] * ih * iw, ovol = outS[0] * oh * ow
        let gx = Tensor.empty(shape)
        let pg = gy.storage.pointer, pr = gx.storage.pointer
        // Per input column, the output columns that read it and their weights, in the order the spread added them (output
        // column ascending; a clamped edge's two taps first then second): each column's sum is one chain of its own, the
        // same additions in the same order as `row[a0[j]] += b0[j] * v; row[a1[j]] += b1[j] * v` over j.
        var start = [Int](repeating: 0, count: iw + 1)
        for j in 0..<ow { start[tx.i0[j] + 1] += 1; start[tx.i1[j] + 1] += 1 }
        for i in 0..<iw { start[i + 1] += start[i] }
        var column = [Int](repeating: 0, count: 2 * ow), weight = [Float](repeating: 0, count: 2 * ow), fill = start
        for j in 0..<ow {
            column[fill[tx.i0[j]]] = j; weight[fill[tx.i0[j]]] = tx.w0[j]; fill[tx.i0[j]] += 1
            column[fill[tx.i1[j]]] = j; weight[fill[tx.i1[j]]] = tx.w1[j]; fill[tx.i1[j]] += 1
        }
        let rowsFirst = inS[0] * ih <= outS[0] * oh
        start.withUnsafeBufferPointer { st in column.withUnsafeBufferPointer { cj in weight.withUnsafeBufferPointer { cw in
            if rowsFirst {
                Parallel.forEachChunk(planes, minPerChunk: Swift.max(1, 32768 / Swift.max(ovol, 1))) { range in
                    let acc = UnsafeMutablePointer<Float>.allocate(capacity: inS[0] * ih * ow)
                    defer { acc.deallocate() }
                    for plane in range {
                        resizeBackwardRowsFirst(pg + plane * ovol, pr + plane * ivol, acc, taps: taps, input: inS, output: outS,
                                                start: st, column: cj, weight: cw)
                    }
                }
                return
            }
            Parallel.forEachChunk(planes, minPerChunk: Swift.max(1, 32768 / Swift.max(ovol, 1))) { range in
                let row = UnsafeMutablePointer<Float>.allocate(capacity: iw)
                defer { row.deallocate() }
                for plane in range {
                    let gs = pg + plane * ovol, rs = pr + plane * ivol
                    rs.update(repeating: 0, count: ivol)
                    for z in 0..<outS[0] {
                        let z0 = tz.i0[z], z1 = tz.i1[z], wz0 = tz.w0[z], wz1 = tz.w1[z]
                        for y in 0..<oh {
                            let src = gs + (z * oh + y) * ow
                            for i in 0..<iw {
                                var acc: Float = 0
                                for e in st[i]..<st[i + 1] { acc += cw[e] * src[cj[e]] }
                                row[i] = acc
                            }
                            let y0 = ty.i0[y], y1 = ty.i1[y], wy0 = ty.w0[y], wy1 = ty.w1[y]
                            // Zero weights (2D's depth taps, a clamped edge) add nothing.
                            func spread(_ off: Int, _ wt: Float) {
                                guard wt != 0 else { return }
                                let d = rs + off
                                for i in 0..<iw { d[i] += wt * row[i] }
                            }
                            spread((z0 * ih + y0) * iw, wz0 * wy0); spread((z0 * ih + y1) * iw, wz0 * wy1)
                            spread((z1 * ih + y0) * iw, wz1 * wy0); spread((z1 * ih + y1) * iw, wz1 * wy1)
                        }
                    }
                }
            }
        } } }
        return gx
    }

    /// One plane of the linear resize's adjoint when the input has at most as many rows as the output (upsampling): each
    /// output row of `gs` is added, weighted, to the full-width rows `acc` (`[inRows, OW]`) of the input rows it reads
    /// (contiguous, SIMD-friendly), then each accumulated row is gathered onto its input columns once (`start` / `column`
    /// / `weight`: per input column, the output columns reading it and their weights). The same sums as the row-by-row
    /// spread in another order (within float rounding: DeepLab 3D's 2x4x4 -> 32x64x64 logits resize spent ~100 ns per
    /// output row gathering 4 columns).
    static func resizeBackwardRowsFirst(_ gs: UnsafePointer<Float>, _ rs: UnsafeMutablePointer<Float>, _ acc: UnsafeMutablePointer<Float>,
                                        taps: (AxisTaps, AxisTaps, AxisTaps), input inS: [Int], output outS: [Int],
                                        start st: UnsafeBufferPointer<Int>, column cj: UnsafeBufferPointer<Int>,
                                        weight cw: UnsafeBufferPointer<Float>) {
        let (tz, ty, _) = taps
        let (ih, iw, oh, ow) = (inS[1], inS[2], outS[1], outS[2]), inRows = inS[0] * ih
        acc.update(repeating: 0, count: inRows * ow)
        for z in 0..<outS[0] {
            let z0 = tz.i0[z], z1 = tz.i1[z], wz0 = tz.w0[z], wz1 = tz.w1[z]
            for y in 0..<oh {
                let src = gs + (z * oh + y) * ow
                let y0 = ty.i0[y], y1 = ty.i1[y], wy0 = ty.w0[y], wy1 = ty.w1[y]
                // Zero weights (2D's depth taps, a clamped edge) add nothing.
                func add(_ row: Int, _ wt: Float) {
                    guard wt != 0 else { return }
                    let d = acc + row * ow
                    for j in 0..<ow { d[j] += wt * src[j] }
                }
                add(z0 * ih + y0, wz0 * wy0); add(z0 * ih + y1, wz0 * wy1)
                add(z1 * ih + y0, wz1 * wy0); add(z1 * ih + y1, wz1 * wy1)
            }
        }
        for row in 0..<inRows {
            let a = acc + row * ow, d = rs + row * iw
            for i in 0..<iw {
                var sum: Float = 0
                for e in st[i]..<st[i + 1] { sum += cw[e] * a[cj[e]] }
                d[i] = sum
            }
        }
    }
}
