import Engine

/// Adam's elementwise update (`Adam.update`) over a range of parameters: eight lanes at a time with the same operations
/// in the same order as the scalar loop (which does the tail), so bit for bit its values; the scalar loop compiled to
/// one element per iteration (a division and a square root each) and was 12 % of a V-Net 3D training step.
struct AdamKernel {
    let lr: Float, weightDecay: Float, beta1: Float, beta2: Float, eps: Float, decoupled: Bool
    /// lr / (1 − β1^t) and sqrt(1 − β2^t) of this step.
    let stepSize: Float, bc2Sqrt: Float

    /// Updates p, m (first moment) and v (second moment) in place from the gradient g at the indices in `range`.
    func update(p pp: UnsafeMutablePointer<Float>, g gp: UnsafePointer<Float>, m mp: UnsafeMutablePointer<Float>,
                v vp: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        let w1 = 1 - beta1, lerpLow = w1 < 0.5, decay = 1 - lr * weightDecay, addDecay = !decoupled && weightDecay != 0
        typealias V8 = SIMD8<Float>
        let vw1 = V8(repeating: w1), vw1c = V8(repeating: 1 - w1), vb2 = V8(repeating: beta2), vb2c = V8(repeating: 1 - beta2)
        let vbc2 = V8(repeating: bc2Sqrt), veps = V8(repeating: eps), vstep = V8(repeating: -stepSize)
        let vdecay = V8(repeating: decay), vwd = V8(repeating: weightDecay)
        @inline(__always) func load(_ q: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(q).loadUnaligned(as: V8.self) }
        @inline(__always) func store(_ x: V8, _ q: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(q).storeBytes(of: x, as: V8.self) }
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            var p = load(pp + i), gi = load(gp + i), m = load(mp + i), v = load(vp + i)
            if decoupled { p = p * vdecay } else if addDecay { gi = gi + vwd * p }
            m = lerpLow ? m + vw1 * (gi - m) : gi - (gi - m) * vw1c
            v = v * vb2 + vb2c * gi * gi
            let denom = v.squareRoot() / vbc2 + veps
            p = p + vstep * (m / denom)
            store(p, pp + i); store(m, mp + i); store(v, vp + i)
            i += 8
        }
        while i < range.upperBound {
            var gi = gp[i]
            if decoupled { pp[i] *= decay } else if addDecay { gi += weightDecay * pp[i] }
            // torch.lerp(m, g, w): m + w·(g − m) for w < 0.5, else g − (g − m)(1 − w).
            mp[i] = lerpLow ? mp[i] + w1 * (gi - mp[i]) : gi - (gi - mp[i]) * (1 - w1)
            vp[i] = vp[i] * beta2 + (1 - beta2) * gi * gi
            let denom = vp[i].squareRoot() / bc2Sqrt + eps
            pp[i] += -stepSize * (mp[i] / denom)
            i += 1
        }
    }
}
