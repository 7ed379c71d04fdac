/// Inverted dropout (elementwise, or whole channels as Dropout2d / Dropout3d), with its backward rule.

extension Tensor {
    /// Inverted dropout: each element (or, with `channelwise`, each (sample, channel) slice of `[N, C, *spatial]`)
    /// is zeroed with probability `p` and kept values are scaled by `1 / (1 - p)`.
    ///
    /// Draws one `rng.uniform()` per element (per slice when channelwise), in row-major order; an element is kept
    /// when the draw is `>= p`. `training == false` or `p == 0` returns `self` unchanged without drawing.
    /// `p == 1` zeroes everything. The gradient is the upstream gradient times the same mask and scale.
    public func dropout(p: Float, channelwise: Bool = false, training: Bool, rng: inout RNG) -> Tensor {
        precondition(p >= 0 && p <= 1, "dropout: p must be in [0, 1], got \(p) (input \(shape))")
        if !training || p == 0 { return self }
        precondition(!channelwise || rank >= 2, "dropout: channelwise needs [N, C, *spatial], got \(shape)")
        let slices = channelwise ? shape[0] * shape[1] : count
        let len = slices == 0 ? 0 : count / slices
        let scale: Float = p >= 1 ? 0 : 1 / (1 - p)
        // One byte per slice (1 = kept): a quarter of a Float mask's memory while the tape holds it.
        let mask = [UInt8](unsafeUninitializedCapacity: slices) { buffer, n in
            rng.drawing { r in for i in 0..<slices { buffer[i] = r.uniform() >= p ? 1 : 0 } }
            n = slices
        }
        let out = Tensor.empty(shape)
        let px = storage.pointer, po = out.storage.pointer
        mask.withUnsafeBufferPointer { mb in
            guard let pm = mb.baseAddress else { return }
            Tensor.applyMask(px, po, pm, scale: scale, slices: slices, length: len)
        }
        return Tensor.record("dropout", out, inputs: [self]) { gy in
            let gx = Tensor.empty(gy.shape)
            mask.withUnsafeBufferPointer { mb in
                guard let pm = mb.baseAddress else { return }
                Tensor.applyMask(gy.storage.pointer, gx.storage.pointer, pm, scale: scale, slices: slices, length: len)
            }
            return [gx]
        }
    }

    /// out[i*length + j] = x[i*length + j] * (mask[i] == 1 ? scale : 0).
    private static func applyMask(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ mask: UnsafePointer<UInt8>,
                                  scale: Float, slices: Int, length: Int) {
        if length == 1 {
            for i in 0..<slices { out[i] = x[i] * (Float(mask[i]) * scale) }
            return
        }
        for i in 0..<slices {
            let m = Float(mask[i]) * scale, xs = x + i * length, os = out + i * length
            for j in 0..<length { os[j] = xs[j] * m }
        }
    }
}
