import Engine

/// How a warp fills values sampled from outside the input.
public enum WarpPadding: Sendable {
    /// Clamp to the nearest edge voxel.
    case border
    /// A constant (e.g. 0 for labels and probabilities, the image minimum for intensities).
    case constant(Float)
}

/// Interpolation used when warping.
public enum WarpInterpolation: Sendable {
    /// Trilinear (bilinear in 2D): images, probabilities.
    case linear
    /// Nearest neighbour: label maps.
    case nearest
}

extension SamplingGrid {
    /// Resamples a tensor `[C, D, H, W]` or `[N, C, D, H, W]` (or 2D `[C, H, W]` / `[N, C, H, W]` when D = 1)
    /// through this warp. No gradient is recorded (augmentations act on data and on no-grad targets).
    public func apply(_ t: Tensor, interpolation: WarpInterpolation, padding: WarpPadding = .border) -> Tensor {
        let sp = t.shape.suffix(shape[0] == 1 && t.rank <= 4 ? 2 : 3)
        let spatial = sp.count == 2 ? [1] + Array(sp) : Array(sp)
        precondition(spatial == shape, "warp: tensor shape \(t.shape) does not end in the grid's spatial shape \(shape)")
        let n = voxelCount
        let planes = t.count / max(n, 1)
        let (D, H, W) = (shape[0], shape[1], shape[2])
        var out = [Float](repeating: 0, count: t.count)
        t.withData { src in
            guard let s = src.baseAddress else { return }
            coords.withUnsafeBufferPointer { cb in
                guard let c = cb.baseAddress else { return }
                out.withUnsafeMutableBufferPointer { ob in
                    guard let o = ob.baseAddress else { return }
                    for plane in 0..<planes {
                        let sb = s + plane * n, obp = o + plane * n
                        for i in 0..<n {
                            let pz = c[i], py = c[n + i], px = c[2 * n + i]
                            if case .constant(let v) = padding, !Interp.inside(D, H, W, pz, py, px) { obp[i] = v; continue }
                            switch interpolation {
                            case .linear: obp[i] = Interp.linear(sb, D, H, W, pz, py, px)
                            case .nearest:
                                let z = min(max(Int((pz).rounded()), 0), D - 1)
                                let y = min(max(Int((py).rounded()), 0), H - 1)
                                let x = min(max(Int((px).rounded()), 0), W - 1)
                                obp[i] = sb[(z * H + y) * W + x]
                            }
                        }
                    }
                }
            }
        }
        return Tensor(out, shape: t.shape)
    }
}
