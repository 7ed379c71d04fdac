import Foundation

/// How to interpolate when resampling.
public enum Interpolation: Sendable {
    /// Trilinear (images, probabilities).
    case linear
    /// Nearest neighbour (label maps: no new label values appear).
    case nearest
}

extension Volume {
    /// Resamples every channel onto a `newShape` (x, y, z) grid covering the same physical extent.
    ///
    /// Voxel centres follow the half-voxel convention (PyTorch `align_corners=False`, skimage `resize`):
    /// new voxel `i` samples old continuous index `(i + 0.5) * old/new - 0.5` (clamped to the grid for
    /// linear; `nearest` takes `floor((i + 0.5) * old/new)`). The affine is updated so world positions agree.
    public func resized(to newShape: [Int], interpolation: Interpolation) -> Volume {
        precondition(newShape.count == 3 && newShape.allSatisfy { $0 >= 1 }, "resized: shape must be 3 positive sizes")
        let old = spatialShape
        let factor = (0..<3).map { Double(old[$0]) / Double(newShape[$0]) }
        let g = geometry.scaled(by: factor, offset: factor.map { 0.5 * $0 - 0.5 })
        var out = [Float](repeating: 0, count: newShape.reduce(1, *) * channels)
        // per-axis source indices and weights
        func taps(_ d: Int) -> (i0: [Int], i1: [Int], w: [Float]) {
            var i0 = [Int](), i1 = [Int](), w = [Float]()
            for i in 0..<newShape[d] {
                if interpolation == .nearest {
                    let s = min(old[d] - 1, Int(floor((Double(i) + 0.5) * factor[d])))
                    i0.append(s); i1.append(s); w.append(0)
                } else {
                    let x = min(max((Double(i) + 0.5) * factor[d] - 0.5, 0), Double(old[d] - 1))
                    let f = Int(floor(x))
                    i0.append(f); i1.append(min(f + 1, old[d] - 1)); w.append(Float(x - Double(f)))
                }
            }
            return (i0, i1, w)
        }
        let tx = taps(0), ty = taps(1), tz = taps(2)
        let nx = old[0], plane = old[0] * old[1], vol = plane * old[2]
        let newVol = newShape.reduce(1, *)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let dstBase = dst.baseAddress
                DispatchQueue.concurrentPerform(iterations: channels * newShape[2]) { job in
                    guard let dstBase else { return }
                    let c = job / newShape[2], z = job % newShape[2]
                    let z0 = tz.i0[z] * plane + c * vol, z1 = tz.i1[z] * plane + c * vol, wz = tz.w[z]
                    var o = c * newVol + z * newShape[0] * newShape[1]
                    for y in 0..<newShape[1] {
                        let y0 = ty.i0[y] * nx, y1 = ty.i1[y] * nx, wy = ty.w[y]
                        for x in 0..<newShape[0] {
                            let x0 = tx.i0[x], x1 = tx.i1[x], wx = tx.w[x]
                            if interpolation == .nearest {
                                dstBase[o] = src[z0 + y0 + x0]
                            } else {
                                let a = src[z0 + y0 + x0] * (1 - wx) + src[z0 + y0 + x1] * wx
                                let b = src[z0 + y1 + x0] * (1 - wx) + src[z0 + y1 + x1] * wx
                                let c0 = src[z1 + y0 + x0] * (1 - wx) + src[z1 + y0 + x1] * wx
                                let d = src[z1 + y1 + x0] * (1 - wx) + src[z1 + y1 + x1] * wx
                                let lo = a * (1 - wy) + b * wy, hi = c0 * (1 - wy) + d * wy
                                dstBase[o] = lo * (1 - wz) + hi * wz
                            }
                            o += 1
                        }
                    }
                }
            }
        }
        return Volume(shape: shape.count == 4 ? newShape + [channels] : newShape, data: out, geometry: g)
    }

    /// Resamples to voxel `spacing` in mm (x, y, z): the new shape is `round(shape * oldSpacing / spacing)`
    /// (at least 1), so the achieved spacing may differ from the request by the rounding.
    public func resampled(toSpacing target: [Double], interpolation: Interpolation) -> Volume {
        let old = spatialShape
        let newShape = (0..<3).map { max(1, Int((Double(old[$0]) * abs(spacing[$0]) / target[$0]).rounded())) }
        return resized(to: newShape, interpolation: interpolation)
    }

    /// Brings a volume computed on a resized grid (e.g. a prediction at 64x128x128) back onto an original
    /// image's grid: resized to `shape` and given exactly `geometry` (affine, pixdim, codes), so it overlays
    /// the original image in ITK-SNAP or 3D Slicer.
    public func restored(toShape shape: [Int], geometry original: Geometry, interpolation: Interpolation) -> Volume {
        var v = resized(to: Array(shape.prefix(3)), interpolation: interpolation)
        v.geometry = original
        return v
    }
}
