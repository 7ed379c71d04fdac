/// Upsampling by integer factors over 2 or 3 spatial dims (NCHW / NCDHW), with its backward rule.

/// Interpolation used by `Tensor.upsample`.
public enum UpsampleMode: Sendable {
    /// Copy of the nearest source element (`src = floor(dst / scale)`), as PyTorch's `mode="nearest"`.
    case nearest
    /// Bilinear (2D) / trilinear (3D) interpolation with `align_corners=False`, as PyTorch.
    case linear
}

/// Source indices and weights of one output coordinate along one axis (also used by `resized`, Resize.swift).
struct AxisTaps {
    var i0: [Int], i1: [Int], w0: [Float], w1: [Float]

    /// PyTorch's `area_pixel_compute_source_index` (align_corners=False) or nearest indexing.
    init(input n: Int, scale: Int, mode: UpsampleMode) {
        let m = n * scale
        i0 = [Int](repeating: 0, count: m); i1 = i0
        w0 = [Float](repeating: 1, count: m); w1 = [Float](repeating: 0, count: m)
        let inv = 1 / Float(scale)
        for d in 0..<m {
            switch mode {
            case .nearest:
                i0[d] = Swift.min(d / scale, n - 1); i1[d] = i0[d]
            case .linear:
                let src = Swift.max(0, inv * (Float(d) + 0.5) - 0.5)
                let a = Swift.min(Int(src), n - 1)
                let l1 = src - Float(a)
                i0[d] = a; i1[d] = a < n - 1 ? a + 1 : a
                w0[d] = 1 - l1; w1[d] = l1
            }
        }
    }
}

extension Tensor {
    /// Upsamples the spatial dims by integer factors.
    ///
    /// `self` is `[N, C, H, W]` or `[N, C, D, H, W]`; `scale` has one positive entry per spatial dim.
    /// Returns `[N, C, *(in * scale)]`. `.linear` is bilinear / trilinear with PyTorch's `align_corners=False`.
    public func upsample(scale: [Int], mode: UpsampleMode) -> Tensor {
        precondition(rank == 4 || rank == 5, "upsample: input must be [N, C, H, W] or [N, C, D, H, W], got \(shape)")
        let r = rank - 2
        precondition(scale.count == r && scale.allSatisfy { $0 > 0 },
                     "upsample: scale \(scale) needs \(r) positive entries for input \(shape)")
        let inS = [Int](repeating: 1, count: 3 - r) + Array(shape[2...])
        let sc = [Int](repeating: 1, count: 3 - r) + scale
        let outS = zip(inS, sc).map { $0 * $1 }
        let tz = AxisTaps(input: inS[0], scale: sc[0], mode: mode)
        let ty = AxisTaps(input: inS[1], scale: sc[1], mode: mode)
        let tx = AxisTaps(input: inS[2], scale: sc[2], mode: mode)
        let nearest2x = mode == .nearest && (sc == [1, 2, 2] || sc == [2, 2, 2])
        return interpolated("upsample", taps: (tz, ty, tx), output: outS, mode: mode, nearest2xDepth: nearest2x ? sc[0] : nil)
    }

    /// Interpolates every plane with the given per-axis taps (depth, height, width; a 2D input has a depth of 1) to the
    /// padded-to-3D spatial size `outS`; `nearest2xDepth` (1 or 2) selects the fast nearest x2 path.
    func interpolated(_ op: String, taps: (AxisTaps, AxisTaps, AxisTaps), output outS: [Int], mode: UpsampleMode,
                      nearest2xDepth: Int?) -> Tensor {
        let r = rank - 2
        let inS = [Int](repeating: 1, count: 3 - r) + Array(shape[2...])
        let (tz, ty, tx) = taps
        let planes = shape[0] * shape[1]
        let ivol = inS[0] * inS[1] * inS[2], ovol = outS[0] * outS[1] * outS[2]
        let out = Tensor.empty([shape[0], shape[1]] + Array(outS.suffix(r)))
        let px = storage.pointer, po = out.storage.pointer
        let minChunk = Swift.max(1, 32768 / Swift.max(ovol, 1))
        Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
            for plane in range {
                let xs = px + plane * ivol, ys = po + plane * ovol
                if let depthScale = nearest2xDepth {
                    Tensor.upsampleNearest2x(xs, ys, inS, depthScale: depthScale)
                    continue
                }
                if mode == .linear && inS[0] * inS[1] <= outS[0] * outS[1] {
                    Tensor.linearPlaneFromRows(xs, ys, taps: taps, input: inS, output: outS)
                    continue
                }
                Tensor.upsampleRows(tz, ty, tx, inS, outS, mode) { o, rows, ws in
                    let x0 = tx.i0, x1 = tx.i1, wx0 = tx.w0, wx1 = tx.w1
                    x0.withUnsafeBufferPointer { a0 in x1.withUnsafeBufferPointer { a1 in
                    wx0.withUnsafeBufferPointer { b0 in wx1.withUnsafeBufferPointer { b1 in
                        let dst = ys + o
                        if mode == .nearest {
                            let src = xs + rows.0
                            for j in 0..<outS[2] { dst[j] = src[a0[j]] }
                            return
                        }
                        let r0 = xs + rows.0, r1 = xs + rows.1, r2 = xs + rows.2, r3 = xs + rows.3
                        for j in 0..<outS[2] {
                            let i = a0[j], k = a1[j], u = b0[j], v = b1[j]
                            dst[j] = ws.0 * (u * r0[i] + v * r0[k]) + ws.1 * (u * r1[i] + v * r1[k])
                                + ws.2 * (u * r2[i] + v * r2[k]) + ws.3 * (u * r3[i] + v * r3[k])
                        }
                    } } } }
                }
            }
        }
        return Tensor.record(op, out, inputs: [self]) { gy in
            // The nearest x2 adjoint overwrites every input element; the general walk accumulates into zeros.
            let gx = nearest2xDepth != nil ? Tensor.empty(self.shape) : Tensor(zeros: self.shape)
            let pg = gy.storage.pointer, pr = gx.storage.pointer
            Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                for plane in range {
                    let gs = pg + plane * ovol, rs = pr + plane * ivol
                    if let depthScale = nearest2xDepth {
                        Tensor.upsampleNearest2xBackward(gs, rs, inS, depthScale: depthScale)
                        continue
                    }
                    Tensor.upsampleRows(tz, ty, tx, inS, outS, mode) { o, rows, ws in
                        tx.i0.withUnsafeBufferPointer { a0 in tx.i1.withUnsafeBufferPointer { a1 in
                        tx.w0.withUnsafeBufferPointer { b0 in tx.w1.withUnsafeBufferPointer { b1 in
                            let src = gs + o
                            if mode == .nearest {
                                let d = rs + rows.0
                                for j in 0..<outS[2] { d[a0[j]] += src[j] }
                                return
                            }
                            let r0 = rs + rows.0, r1 = rs + rows.1, r2 = rs + rows.2, r3 = rs + rows.3
                            for j in 0..<outS[2] {
                                let i = a0[j], k = a1[j], u = b0[j] * src[j], v = b1[j] * src[j]
                                r0[i] += ws.0 * u; r0[k] += ws.0 * v
                                r1[i] += ws.1 * u; r1[k] += ws.1 * v
                                r2[i] += ws.2 * u; r2[k] += ws.2 * v
                                r3[i] += ws.3 * u; r3[k] += ws.3 * v
                            }
                        } } } }
                    }
                }
            }
            return [gx]
        }
    }

    /// Nearest x2 in H and W (and in D when `depthScale` is 2) of one plane `inS` (D, H, W).
    private static func upsampleNearest2x(_ xs: UnsafePointer<Float>, _ ys: UnsafeMutablePointer<Float>, _ inS: [Int], depthScale: Int) {
        let (d, h, w) = (inS[0], inS[1], inS[2]), ow = 2 * w, oplane = 4 * h * w
        for z in 0..<d {
            let dst0 = ys + z * depthScale * oplane
            for y in 0..<h {
                let src = xs + (z * h + y) * w, row = dst0 + 2 * y * ow
                for i in 0..<w { let v = src[i]; row[2 * i] = v; row[2 * i + 1] = v }
                (row + ow).update(from: row, count: ow)
            }
            if depthScale == 2 { (dst0 + oplane).update(from: dst0, count: oplane) }
        }
    }

    /// Adjoint of `upsampleNearest2x`: each input element receives the sum of its 4 (or 8) copies (overwrites `rs`).
    private static func upsampleNearest2xBackward(_ gs: UnsafePointer<Float>, _ rs: UnsafeMutablePointer<Float>, _ inS: [Int], depthScale: Int) {
        let (d, h, w) = (inS[0], inS[1], inS[2]), ow = 2 * w, oplane = 4 * h * w
        for z in 0..<d {
            let g0 = gs + z * depthScale * oplane
            for y in 0..<h {
                let dst = rs + (z * h + y) * w, a = g0 + 2 * y * ow, b = a + ow
                if depthScale == 2 {
                    let c = a + oplane, e = b + oplane
                    for i in 0..<w {
                        dst[i] = a[2 * i] + a[2 * i + 1] + b[2 * i] + b[2 * i + 1] + c[2 * i] + c[2 * i + 1] + e[2 * i] + e[2 * i + 1]
                    }
                } else {
                    for i in 0..<w { dst[i] = a[2 * i] + a[2 * i + 1] + b[2 * i] + b[2 * i + 1] }
                }
            }
        }
    }

    /// Calls `body(outputRowOffset, sourceRowOffsets, rowWeights)` for every output row (z, y) of one plane:
    /// the four source rows (z0y0, z0y1, z1y0, z1y1) and their weights wz*wy.
    /// One plane of a linear resize with fewer input rows than output rows: every input row is first interpolated along
    /// W (`u * r[i] + v * r[k]`, the value the per-output loop above computes for it), then each output row combines its
    /// four such rows with the same weights in the same order, one contiguous SIMD-friendly pass: the same values.
    static func linearPlaneFromRows(_ xs: UnsafePointer<Float>, _ ys: UnsafeMutablePointer<Float>, taps: (AxisTaps, AxisTaps, AxisTaps),
                                    input inS: [Int], output outS: [Int]) {
        let (tz, ty, tx) = taps
        let rows = inS[0] * inS[1], iw = inS[2], ow = outS[2]
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * ow)
        defer { h.deallocate() }
        tx.i0.withUnsafeBufferPointer { a0 in tx.i1.withUnsafeBufferPointer { a1 in
        tx.w0.withUnsafeBufferPointer { b0 in tx.w1.withUnsafeBufferPointer { b1 in
            for r in 0..<rows {
                let src = xs + r * iw, dst = h + r * ow
                for j in 0..<ow { dst[j] = b0[j] * src[a0[j]] + b1[j] * src[a1[j]] }
            }
        } } } }
        upsampleRows(tz, ty, tx, inS, outS, .linear) { o, rows, ws in
            let dst = ys + o, h0 = h + rows.0 / iw * ow, h1 = h + rows.1 / iw * ow, h2 = h + rows.2 / iw * ow, h3 = h + rows.3 / iw * ow
            for j in 0..<ow { dst[j] = ws.0 * h0[j] + ws.1 * h1[j] + ws.2 * h2[j] + ws.3 * h3[j] }
        }
    }

    private static func upsampleRows(_ tz: AxisTaps, _ ty: AxisTaps, _ tx: AxisTaps, _ inS: [Int], _ outS: [Int], _ mode: UpsampleMode,
                                     _ body: (Int, (Int, Int, Int, Int), (Float, Float, Float, Float)) -> Void) {
        let ih = inS[1], iw = inS[2]
        for z in 0..<outS[0] {
            let z0 = tz.i0[z], z1 = tz.i1[z], wz0 = tz.w0[z], wz1 = tz.w1[z]
            for y in 0..<outS[1] {
                let y0 = ty.i0[y], y1 = ty.i1[y], wy0 = ty.w0[y], wy1 = ty.w1[y]
                body((z * outS[1] + y) * outS[2],
                     ((z0 * ih + y0) * iw, (z0 * ih + y1) * iw, (z1 * ih + y0) * iw, (z1 * ih + y1) * iw),
                     (wz0 * wy0, wz0 * wy1, wz1 * wy0, wz1 * wy1))
            }
        }
    }
}
