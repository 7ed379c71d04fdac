/// im2col / col2im over a gather table for convolutions with short output rows (docs/ARCHITECTURE.md, "Engine"): DeepLab's
/// 8x8 maps (the dilated layer3 / layer4 / ASPP convolutions' weight gradient) and its 3D 4x8x8 and 2x4x4 maps. There the
/// row walk of `ConvKernels.walk` visits one run of 4-8 floats per (input channel, tap, output row) and spends more time on
/// the visit (divisions, bounds, a copy call) than on the copy. The gather table holds, per tap and output position of
/// the tile, the input offset within one channel (-1 in the padding); it is built once per tile and serves every input
/// channel. Same values copied to the same places, and col2im adds in the same order as the walk (taps in (c, kz, ky,
/// kx) order, positions ascending): bit-identical to the walk.
extension ConvKernels {
    /// Widest output row that takes the gather table (wider rows copy long runs, where the walk is fine).
    static let gatherIm2colMaxWidth = 8
    /// Most table entries (taps x tile positions, 4 bytes each) built on the worker's stack.
    static let gatherIm2colMaxEntries = 1 << 14

    /// Whether im2col / col2im of the output positions `p0..<p1` of `g` take the gather table.
    @inline(__always) static func gatherIm2colPays(_ g: WindowGeometry, p0: Int, p1: Int) -> Bool {
        algorithm != .gemm && g.output[2] <= gatherIm2colMaxWidth && g.kernelVolume * (p1 - p0) <= gatherIm2colMaxEntries
    }

    /// Fills `table` (`[kvol, p1 - p0]`) with the input offset within one channel that each tap reads for each output
    /// position of `p0..<p1`, or -1 where it reads the zero padding.
    static func fillGatherTable(_ g: WindowGeometry, p0: Int, p1: Int, _ table: UnsafeMutablePointer<Int32>) {
        let (id, ih, iw) = (g.input[0], g.input[1], g.input[2])
        let (oh, ow) = (g.output[1], g.output[2]), len = p1 - p0
        let (sz, sy, sx) = (g.stride[0], g.stride[1], g.stride[2])
        let (dz, dy, dx) = (g.dilation[0], g.dilation[1], g.dilation[2])
        // Output rows (z, y) the tile touches, each with its column range and first table column.
        let firstRow = p0 / ow, lastRow = (p1 - 1) / ow
        var row = 0
        for kz in 0..<g.kernel[0] {
            for ky in 0..<g.kernel[1] {
                for kx in 0..<g.kernel[2] {
                    let t = table + row * len, xoff = kx * dx - g.padding[2]
                    for r in firstRow...lastRow {
                        let oz = r / oh, oy = r - oz * oh
                        let c0 = r == firstRow ? p0 - r * ow : 0, c1 = r == lastRow ? p1 - r * ow : ow
                        let dst = t + (r * ow + c0 - p0)
                        let iz = oz * sz - g.padding[0] + kz * dz, iy = oy * sy - g.padding[1] + ky * dy
                        if iz < 0 || iz >= id || iy < 0 || iy >= ih {
                            dst.update(repeating: -1, count: c1 - c0)
                            continue
                        }
                        let base = (iz * ih + iy) * iw
                        for ox in c0..<c1 {
                            let ix = ox * sx + xoff
                            dst[ox - c0] = ix >= 0 && ix < iw ? Int32(base + ix) : -1
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Builds the gather table of the output positions `p0..<p1` on the worker's stack and calls `body` for every input
    /// channel and tap (in im2col's row order: channel, then kz, ky, kx) with that im2col row's offset, the channel's
    /// offset in the input and the tap's table row.
    @inline(__always) static func forEachGatherRow(_ g: WindowGeometry, channels: Int, p0: Int, p1: Int,
                                                   _ body: (_ colOffset: Int, _ channelOffset: Int, _ table: UnsafePointer<Int32>) -> Void) {
        let kvol = g.kernelVolume, len = p1 - p0, ivol = g.inputVolume
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: kvol * len) { buffer in
            guard let table = buffer.baseAddress else { return }
            fillGatherTable(g, p0: p0, p1: p1, table)
            for c in 0..<channels {
                for r in 0..<kvol { body((c * kvol + r) * len, c * ivol, table + r * len) }
            }
        }
    }

    /// `im2col` through the gather table (same values).
    static func gatherIm2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, channels: Int, p0: Int, p1: Int,
                             col: UnsafeMutablePointer<Float>) {
        let len = p1 - p0
        forEachGatherRow(g, channels: channels, p0: p0, p1: p1) { colOffset, channelOffset, t in
            let d = col + colOffset, xc = x + channelOffset
            for j in 0..<len {
                let o = Int(t[j])
                d[j] = o >= 0 ? xc[o] : 0
            }
        }
    }

    /// `col2im` through the gather table (same sums in the same order).
    static func gatherCol2im(_ col: UnsafePointer<Float>, _ g: WindowGeometry, channels: Int, p0: Int, p1: Int,
                             dx: UnsafeMutablePointer<Float>) {
        let len = p1 - p0
        forEachGatherRow(g, channels: channels, p0: p0, p1: p1) { colOffset, channelOffset, t in
            let s = col + colOffset, dc = dx + channelOffset
            for j in 0..<len {
                let o = Int(t[j])
                if o >= 0 { dc[o] += s[j] }
            }
        }
    }

    /// d[j] = s[j * step] for j < count: im2col's run for a strided convolution (stride-2 3x3 and 1x1 downsampling convs
    /// read every second input column). Step 2 takes 16 columns per 32-lane load (its even lanes); the loads stop one
    /// element before the run's last read, so they never leave it.
    @inline(__always) static func stridedCopy(_ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count len: Int, step: Int) {
        var j = 0
        if step == 2 {
            while 2 * j + 32 <= 2 * len - 1 {
                let v = UnsafeRawPointer(s + 2 * j).loadUnaligned(as: SIMD32<Float>.self)
                UnsafeMutableRawPointer(d + j).storeBytes(of: v.evenHalf, as: SIMD16<Float>.self)
                j += 16
            }
        }
        while j < len { d[j] = s[j * step]; j += 1 }
    }
}
