/// Dead-tap pruning for dilated convolutions (docs/ARCHITECTURE.md, "Engine"): a kernel tap whose every read falls in
/// the zero padding contributes nothing, so a convolution whose outer taps are all dead is the smaller convolution of its
/// live taps with the padding reduced to match. DeepLab's ASPP runs 3x3 convolutions at rates 12 and 18 on 8x8 to 16x16
/// feature maps: there only the centre tap (a 1x1 convolution) or the centre row and column reach the input.
/// The gradients of dead taps are zero.
extension ConvKernels {
    /// Smallest input and output channel count for pruning: on the few-channel layers of the tiny parity fixtures the
    /// pruned convolution's different summation order doubled an ill-conditioned batch-norm gradient's float32 error
    /// against float64 (deeplabv3 3D, base 2), and such layers cost nothing either way.
    static let pruningMinimumChannels = 8

    /// The live taps `lo...hi` per axis when pruning applies: some tap is dead, the live ones are centred (the same number
    /// of dead taps on both sides, so symmetric padding still gives the same output size) and at least one is live.
    static func liveTaps(_ g: WindowGeometry) -> [ClosedRange<Int>]? {
        var ranges: [ClosedRange<Int>] = [], pruned = false
        for a in 0..<3 {
            let k = g.kernel[a], d = g.dilation[a], p = g.padding[a], s = g.stride[a], i = g.input[a], o = g.output[a]
            var lo = k, hi = -1
            for t in 0..<k {
                let first = t * d - p, last = (o - 1) * s + first
                if last >= 0 && first < i { lo = Swift.min(lo, t); hi = Swift.max(hi, t) }
            }
            guard hi >= lo, lo == k - 1 - hi else { return nil }
            if lo > 0 { pruned = true }
            ranges.append(lo...hi)
        }
        return pruned ? ranges : nil
    }

    /// The convolution of the live taps: kernel `hi - lo + 1`, padding `padding - lo * dilation`; nil when pruning does
    /// not apply or would change the output size.
    static func prunedGeometry(_ g: WindowGeometry) -> (WindowGeometry, [ClosedRange<Int>])? {
        guard let taps = liveTaps(g) else { return nil }
        let r = g.spatialRank, lead = 3 - r
        let k = taps.map(\.count), p = (0..<3).map { g.padding[$0] - taps[$0].lowerBound * g.dilation[$0] }
        guard p.allSatisfy({ $0 >= 0 }) else { return nil }
        let g2 = WindowGeometry(op: "conv (live taps)", inputSpatial: g.inputSpatial, kernel: Array(k[lead...]),
                                stride: Array(g.stride[lead...]), padding: Array(p[lead...]), dilation: Array(g.dilation[lead...]))
        return g2.output == g.output ? (g2, taps) : nil
    }

    /// Copies the live taps of `w` (`[cout, cin, *kernel]`) into `[cout, cin, *live]`, or (`back`) adds nothing and writes
    /// `live` into the full layout with zeros at the dead taps.
    static func copyTaps(_ full: UnsafeMutablePointer<Float>, _ live: UnsafeMutablePointer<Float>, pairs: Int, _ g: WindowGeometry,
                         _ taps: [ClosedRange<Int>], toLive: Bool) {
        let (kd, kh, kw) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (ld, lh, lw) = (taps[0].count, taps[1].count, taps[2].count)
        let kv = kd * kh * kw, lv = ld * lh * lw
        if !toLive { full.update(repeating: 0, count: pairs * kv) }
        for pr in 0..<pairs {
            for z in 0..<ld {
                for y in 0..<lh {
                    for x in 0..<lw {
                        let f = pr * kv + ((z + taps[0].lowerBound) * kh + y + taps[1].lowerBound) * kw + x + taps[2].lowerBound
                        let l = pr * lv + (z * lh + y) * lw + x
                        if toLive { live[l] = full[f] } else { full[f] = live[l] }
                    }
                }
            }
        }
    }

    /// Forward through the live taps; false when pruning does not apply.
    static func prunedForward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                              batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, epilogue: Epilogue?, winograd: Bool) -> Bool {
        guard algorithm != .gemm, Swift.min(cin, cout) >= pruningMinimumChannels, let (g2, taps) = prunedGeometry(g) else { return false }
        let n = cout * cin * g2.kernelVolume, wl = BufferPool.take(n)
        defer { BufferPool.give(wl, n) }
        copyTaps(UnsafeMutablePointer(mutating: w), wl, pairs: cout * cin, g, taps, toLive: true)
        // No filter cache: the live-tap weights are a temporary copy.
        forward(x: x, w: wl, bias: bias, y: y, batch: batch, cin: cin, cout: cout, g2, epilogue: epilogue, winograd: winograd)
        return true
    }

    /// Backward data through the live taps; false when pruning does not apply.
    static func prunedBackwardData(gy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                   batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, winograd: Bool = false) -> Bool {
        guard algorithm != .gemm, Swift.min(cin, cout) >= pruningMinimumChannels, let (g2, taps) = prunedGeometry(g) else { return false }
        let n = cout * cin * g2.kernelVolume, wl = BufferPool.take(n)
        defer { BufferPool.give(wl, n) }
        copyTaps(UnsafeMutablePointer(mutating: w), wl, pairs: cout * cin, g, taps, toLive: true)
        backwardData(gy: gy, w: wl, dx: dx, batch: batch, cin: cin, cout: cout, g2, winograd: winograd)
        return true
    }

    /// Backward weight through the live taps (zeros at the dead ones); false when pruning does not apply.
    static func prunedBackwardWeight(x: UnsafePointer<Float>, gy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                     batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, winograd: Bool = false) -> Bool {
        guard algorithm != .gemm, Swift.min(cin, cout) >= pruningMinimumChannels, let (g2, taps) = prunedGeometry(g) else { return false }
        let n = cout * cin * g2.kernelVolume, wl = BufferPool.take(n)
        defer { BufferPool.give(wl, n) }
        backwardWeight(x: x, gy: gy, dw: wl, batch: batch, cin: cin, cout: cout, g2, winograd: winograd)
        copyTaps(dw, wl, pairs: cout * cin, g, taps, toLive: false)
        return true
    }
}
