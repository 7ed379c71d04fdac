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
        return interpolated("resize", taps: taps, output: outS, mode: mode, nearest2xDepth: nil)
    }
}
