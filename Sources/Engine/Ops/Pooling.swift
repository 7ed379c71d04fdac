import CKernels

/// Max and average pooling over 2 or 3 spatial dims (NCHW / NCDHW), each with its backward rule.

extension Tensor {
    // MARK: - Max pooling

    /// Max pooling as in PyTorch's `max_pool2d` / `max_pool3d` (floor mode, no dilation, padding counts as -inf).
    ///
    /// `self` is `[N, C, H, W]` or `[N, C, D, H, W]`; `kernel`, `stride` (nil = kernel) and `padding` (nil = 0,
    /// at most half the kernel) have one entry per spatial dim. Returns `[N, C, *out]` with
    /// `out = (in + 2*padding - kernel) / stride + 1`. The gradient goes to the argmax of each window (first max on ties).
    public func maxPool(kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil) -> Tensor {
        if !(GradMode.isEnabled && requiresGrad), let out = maxPool2xValues(kernel: kernel, stride: stride, padding: padding) { return out }
        return maxPoolArgmax("maxPool", kernel: kernel, stride: stride, padding: padding).output
    }

    /// Inference max pooling (nothing records) for kernel = stride = 2 in H and W (and 1 or 2 in depth), no padding, or
    /// kernel 3, stride 2, padding 1 (`isPool3Stride2`): the values of `maxPoolArgmax` without the argmax, 16 outputs per
    /// vector (`ssk_maxpool2x_values`, `ssk_maxpool3s2_values`). Nil for any other geometry.
    private func maxPool2xValues(kernel: [Int], stride: [Int]?, padding: [Int]?) -> Tensor? {
        let (g, planes) = poolGeometry("maxPool", kernel: kernel, stride: stride, padding: padding)
        let kd = g.kernel[0], is3s2 = Tensor.isPool3Stride2(g)
        guard is3s2 || (g.kernel[1] == 2 && g.kernel[2] == 2 && g.stride == g.kernel && g.padding == [0, 0, 0] && (kd == 1 || kd == 2)) else {
            return nil
        }
        let out = Tensor.empty([shape[0], shape[1]] + g.outputSpatial)
        let px = storage.pointer, po = out.storage.pointer, ovol = g.outputVolume
        let (d, h, w) = (Int32(g.input[0]), Int32(g.input[1]), Int32(g.input[2]))
        Parallel.forEachChunk(planes, minPerChunk: Swift.max(1, 16384 / Swift.max(ovol, 1))) { range in
            if is3s2 { ssk_maxpool3s2_values(px, po, range.lowerBound, range.upperBound, d, h, w, Int32(kd)); return }
            ssk_maxpool2x_values(px, po, range.lowerBound, range.upperBound, d, h, w, Int32(kd))
        }
        if Profiler.isEnabled && !Profiler.inBackward { Profiler.lap("max_pool") }
        return out
    }

    /// `maxPool` that also returns, per output element, the flat index of its argmax within its input plane
    /// (`(z * H + y) * W + x`) and the geometry; `maxPoolWithIndices` (MaxUnpool.swift) wraps it.
    /// `vectorized: false` forces the generic window walk (tests compare the SIMD 2x kernel with it).
    func maxPoolArgmax(_ op: String, kernel: [Int], stride: [Int]?, padding: [Int]?, vectorized: Bool = true)
        -> (output: Tensor, argmax: [Int32], geometry: WindowGeometry, planes: Int) {
        let (g, planes) = poolGeometry(op, kernel: kernel, stride: stride, padding: padding)
        let out = Tensor.empty([shape[0], shape[1]] + g.outputSpatial)
        let ivol = g.inputVolume, ovol = g.outputVolume, ih = g.input[1], iw = g.input[2]
        let px = storage.pointer, po = out.storage.pointer
        // Every entry is written by the kernels below (no serial zero-fill first).
        var argmax = [Int32](unsafeUninitializedCapacity: planes * ovol) { _, n in n = planes * ovol }
        argmax.withUnsafeMutableBufferPointer { ib in
            guard let pi = ib.baseAddress else { return }
            let kd = g.kernel[0]
            let simd3s2 = vectorized && Tensor.isPool3Stride2(g)
            let simd2x = vectorized && g.kernel[1] == 2 && g.kernel[2] == 2 && g.stride == g.kernel && g.padding == [0, 0, 0] && (kd == 1 || kd == 2)
            Parallel.forEachChunk(planes, minPerChunk: Swift.max(1, 16384 / Swift.max(ovol, 1))) { range in
                if simd2x {  // 16 outputs per vector, same values, argmax and tie / NaN rule as the walk below
                    ssk_maxpool2x_argmax(px, po, pi, range.lowerBound, range.upperBound, Int32(g.input[0]), Int32(ih), Int32(iw), Int32(kd))
                    return
                }
                if simd3s2 {  // the same for kernel 3, stride 2, padding 1
                    ssk_maxpool3s2_argmax(px, po, pi, range.lowerBound, range.upperBound, Int32(g.input[0]), Int32(ih), Int32(iw), Int32(kd))
                    return
                }
                for plane in range {
                    let xs = px + plane * ivol, ys = po + plane * ovol, idx = pi + plane * ovol
                    Tensor.forEachWindow(g) { o, w in
                        var best = -Float.infinity, at = -1
                        for z in w.z { for y in w.y {
                            let row = (z * ih + y) * iw
                            for x in w.x {
                                let v = xs[row + x]
                                if at < 0 || v > best || (v.isNaN && !best.isNaN) { best = v; at = row + x }
                            }
                        } }
                        ys[o] = best; idx[o] = Int32(at)
                    }
                }
            }
        }
        let result = Tensor.record("max_pool", out, inputs: [self]) { gy in
            let gx = Tensor.empty(self.shape)  // zeroed plane by plane on the workers below
            let pg = gy.storage.pointer, pr = gx.storage.pointer
            argmax.withUnsafeBufferPointer { ib in
                guard let pi = ib.baseAddress else { return }
                Parallel.forEachChunk(planes, minPerChunk: Swift.max(1, 16384 / Swift.max(ovol, 1))) { range in
                    for plane in range {
                        let gs = pg + plane * ovol, rs = pr + plane * ivol, idx = pi + plane * ovol
                        rs.update(repeating: 0, count: ivol)
                        for o in 0..<ovol { rs[Int(idx[o])] += gs[o] }
                    }
                }
            }
            return [gx]
        }
        return (result, argmax, g, planes)
    }

    // MARK: - Average pooling

    /// Average pooling as in PyTorch's `avg_pool2d` / `avg_pool3d` (floor mode, `count_include_pad = true`: every
    /// window is divided by the kernel volume, zero padding included).
    ///
    /// `self` is `[N, C, H, W]` or `[N, C, D, H, W]`; `kernel`, `stride` (nil = kernel) and `padding` (nil = 0,
    /// at most half the kernel) have one entry per spatial dim. Returns `[N, C, *out]`.
    public func avgPool(kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil) -> Tensor {
        let (g, planes) = poolGeometry("avgPool", kernel: kernel, stride: stride, padding: padding)
        let out = Tensor.empty([shape[0], shape[1]] + g.outputSpatial)
        let ivol = g.inputVolume, ovol = g.outputVolume, inv = 1 / Float(g.kernelVolume), ih = g.input[1], iw = g.input[2]
        let px = storage.pointer, po = out.storage.pointer
        let minChunk = Swift.max(1, 16384 / Swift.max(ovol, 1))
        Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
            for plane in range {
                let xs = px + plane * ivol, ys = po + plane * ovol
                Tensor.forEachWindow(g) { o, w in
                    var s: Float = 0
                    for z in w.z { for y in w.y { let row = xs + (z * ih + y) * iw; for x in w.x { s += row[x] } } }
                    ys[o] = s * inv
                }
            }
        }
        return Tensor.record("avg_pool", out, inputs: [self]) { gy in
            let gx = Tensor(zeros: self.shape)
            let pg = gy.storage.pointer, pr = gx.storage.pointer
            Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                for plane in range {
                    let gs = pg + plane * ovol, rs = pr + plane * ivol
                    Tensor.forEachWindow(g) { o, w in
                        let v = gs[o] * inv
                        for z in w.z { for y in w.y { let row = rs + (z * ih + y) * iw; for x in w.x { row[x] += v } } }
                    }
                }
            }
            return [gx]
        }
    }

    // MARK: - Helpers

    /// Whether `g` is the ResNet stem's max pool: kernel 3, stride 2, padding 1 in H and W, and in depth the same or
    /// kernel 1, stride 1, no padding (the SIMD kernels `ssk_maxpool3s2_*`).
    static func isPool3Stride2(_ g: WindowGeometry) -> Bool {
        let depth = (g.kernel[0] == 3 && g.stride[0] == 2 && g.padding[0] == 1) || (g.kernel[0] == 1 && g.stride[0] == 1 && g.padding[0] == 0)
        return depth && g.kernel[1] == 3 && g.kernel[2] == 3 && g.stride[1] == 2 && g.stride[2] == 2 && g.padding[1] == 1 && g.padding[2] == 1
    }

    /// Validates a pooling call and returns its geometry and the number of (sample, channel) planes.
    private func poolGeometry(_ op: String, kernel: [Int], stride: [Int]?, padding: [Int]?) -> (WindowGeometry, Int) {
        precondition(rank == 4 || rank == 5, "\(op): input must be [N, C, H, W] or [N, C, D, H, W], got \(shape)")
        let r = rank - 2
        precondition(kernel.count == r, "\(op): kernel \(kernel) needs \(r) entries for input \(shape)")
        let p = spatialParam(padding, r, default: 0)
        precondition(p.count == r && zip(p, kernel).allSatisfy { $0 * 2 <= $1 },
                     "\(op): padding \(p) must have \(r) entries, each at most half the kernel \(kernel) (input \(shape))")
        let g = WindowGeometry(op: op, inputSpatial: Array(shape[2...]), kernel: kernel, stride: stride ?? kernel,
                               padding: p, dilation: nil)
        return (g, shape[0] * shape[1])
    }

    /// The in-bounds input index ranges (depth, row, column) of one pooling window.
    struct PoolWindow { var z: Range<Int>, y: Range<Int>, x: Range<Int> }

    /// Calls `body(outputIndex, window)` for every output position of one plane (row-major), with the window
    /// clipped to the input (padding never yields an empty window: padding is at most half the kernel).
    @inline(__always)
    static func forEachWindow(_ g: WindowGeometry, _ body: (Int, PoolWindow) -> Void) {
        let (id, ih, iw) = (g.input[0], g.input[1], g.input[2])
        let (kd, kh, kw) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (sd, sh, sw) = (g.stride[0], g.stride[1], g.stride[2])
        let (pd, ph, pw) = (g.padding[0], g.padding[1], g.padding[2])
        let (od, oh, ow) = (g.output[0], g.output[1], g.output[2])
        var o = 0
        for oz in 0..<od {
            let z0 = Swift.max(0, oz * sd - pd), z1 = Swift.max(z0, Swift.min(id, oz * sd - pd + kd))
            for oy in 0..<oh {
                let y0 = Swift.max(0, oy * sh - ph), y1 = Swift.max(y0, Swift.min(ih, oy * sh - ph + kh))
                for ox in 0..<ow {
                    let x0 = Swift.max(0, ox * sw - pw), x1 = Swift.max(x0, Swift.min(iw, ox * sw - pw + kw))
                    body(o, PoolWindow(z: z0..<z1, y: y0..<y1, x: x0..<x1))
                    o += 1
                }
            }
        }
    }
}
