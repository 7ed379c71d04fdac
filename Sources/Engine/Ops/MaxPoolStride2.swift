/// Max pooling with a 3-wide window, stride 2 and padding 1 on every spatial axis: the ResNet stem of DeepLab
/// (docs/ARCHITECTURE.md §9). The generic window walk of `maxPool` calls a closure per output; this loop is the same
/// computation written out (same values, argmax, tie and NaN rule, and gradient).
extension Tensor {
    /// `maxPool(kernel: 3, stride: 2, padding: 1)` on every spatial axis of `self` (`[N, C, H, W]` or `[N, C, D, H, W]`):
    /// `[N, C, *out]` with `out = (in - 1) / 2 + 1`. Each window keeps its first maximum in row-major order, a NaN wins
    /// over numbers, padding never wins; the gradient goes to that argmax (summed where windows overlap).
    public func maxPool3Stride2() -> Tensor {
        precondition(rank == 4 || rank == 5, "maxPool3Stride2: input must be [N, C, H, W] or [N, C, D, H, W], got \(shape)")
        precondition(shape[2...].allSatisfy { $0 > 0 }, "maxPool3Stride2: input \(shape) has an empty spatial extent")
        let deep = rank == 5
        let (id, ih, iw) = deep ? (shape[2], shape[3], shape[4]) : (1, shape[2], shape[3])
        let od = deep ? (id - 1) / 2 + 1 : 1, oh = (ih - 1) / 2 + 1, ow = (iw - 1) / 2 + 1
        let planes = shape[0] * shape[1], ivol = id * ih * iw, ovol = od * oh * ow
        let out = Tensor.empty([shape[0], shape[1]] + (deep ? [od, oh, ow] : [oh, ow]))
        let recording = GradMode.isEnabled && requiresGrad
        var argmax = [Int32](repeating: 0, count: recording ? planes * ovol : 0)
        let px = storage.pointer, po = out.storage.pointer, minChunk = Swift.max(1, 16384 / Swift.max(ovol, 1))
        argmax.withUnsafeMutableBufferPointer { ib in
            let pi = recording ? ib.baseAddress : nil  // an empty array may still have a base address
            Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                for plane in range {
                    let xs = px + plane * ivol, ys = po + plane * ovol, idx = pi.map { $0 + plane * ovol }
                    var o = 0
                    for oz in 0..<od {
                        let z0 = deep ? Swift.max(0, 2 * oz - 1) : 0, z1 = deep ? Swift.min(id, 2 * oz + 2) : 1
                        for oy in 0..<oh {
                            let y0 = Swift.max(0, 2 * oy - 1), y1 = Swift.min(ih, 2 * oy + 2)
                            for ox in 0..<ow {
                                let x0 = Swift.max(0, 2 * ox - 1), x1 = Swift.min(iw, 2 * ox + 2)
                                var best = -Float.infinity, at = -1
                                for z in z0..<z1 {
                                    for y in y0..<y1 {
                                        let row = (z * ih + y) * iw
                                        for x in x0..<x1 {
                                            let v = xs[row + x]
                                            if at < 0 || v > best || (v.isNaN && !best.isNaN) { best = v; at = row + x }
                                        }
                                    }
                                }
                                ys[o] = best
                                idx?[o] = Int32(at)
                                o += 1
                            }
                        }
                    }
                }
            }
        }
        return Tensor.record("max_pool", out, inputs: [self]) { gy in
            let gx = Tensor(zeros: self.shape)
            let pg = gy.storage.pointer, pr = gx.storage.pointer
            argmax.withUnsafeBufferPointer { ib in
                guard let pi = ib.baseAddress else { return }
                Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                    for plane in range {
                        let gs = pg + plane * ovol, rs = pr + plane * ivol, idx = pi + plane * ovol
                        for o in 0..<ovol { rs[Int(idx[o])] += gs[o] }
                    }
                }
            }
            return [gx]
        }
    }
}
