import Engine
import TestSupport
import Testing

// PyTorch constants: Tests/EngineTests/Fixtures/spatial_reference.json, written by
// scripts/reference/engine_spatial_reference.py (F.conv2d / conv3d / conv_transpose2d / conv_transpose3d).

@Suite("Convolution")
struct ConvolutionTests {
    func rand(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.uniform(shape, -1, 1, rng: &rng)
    }

    // MARK: - PyTorch reference

    @Test(arguments: SpatialReference.names(op: "conv"))
    func convMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        SpatialReference.check(c) { t in
            t["x"].conv(t["weight"], bias: t.optional("bias"), stride: c.params.stride, padding: c.params.padding, dilation: c.params.dilation)
        }
    }

    @Test(arguments: SpatialReference.names(op: "conv_transpose"))
    func convTransposeMatchesPyTorch(_ name: String) throws {
        let c = try #require(SpatialReference.named(name))
        SpatialReference.check(c) { t in
            t["x"].convTranspose(t["weight"], bias: t.optional("bias"), stride: c.params.stride, padding: c.params.padding,
                                  outputPadding: c.params.outputPadding, dilation: c.params.dilation)
        }
    }

    // MARK: - Finite differences

    @Test func convGradients2D() {
        checkGradients([rand([2, 2, 5, 4], seed: 1), rand([3, 2, 3, 3], seed: 2), rand([3], seed: 3)]) { x in
            x[0].conv(x[1], bias: x[2], padding: [1, 1])
        }
        checkGradients([rand([1, 2, 7, 6], seed: 4), rand([2, 2, 3, 2], seed: 5), rand([2], seed: 6)]) { x in
            x[0].conv(x[1], bias: x[2], stride: [2, 2], padding: [1, 0], dilation: [2, 1])
        }
    }

    @Test func convGradients3D() {
        checkGradients([rand([1, 2, 4, 5, 4], seed: 7), rand([2, 2, 3, 3, 3], seed: 8), rand([2], seed: 9)]) { x in
            x[0].conv(x[1], bias: x[2], padding: [1, 1, 1])
        }
        checkGradients([rand([2, 1, 6, 5, 6], seed: 10), rand([2, 1, 2, 3, 2], seed: 11), rand([2], seed: 12)]) { x in
            x[0].conv(x[1], bias: x[2], stride: [2, 1, 2], padding: [1, 1, 0], dilation: [2, 2, 1])
        }
    }

    @Test func convTransposeGradients2D() {
        checkGradients([rand([2, 2, 3, 3], seed: 13), rand([2, 3, 3, 3], seed: 14), rand([3], seed: 15)]) { x in
            x[0].convTranspose(x[1], bias: x[2], stride: [2, 2], padding: [1, 1], outputPadding: [1, 0])
        }
        checkGradients([rand([1, 2, 3, 4], seed: 16), rand([2, 2, 2, 3], seed: 17), rand([2], seed: 18)]) { x in
            x[0].convTranspose(x[1], bias: x[2], stride: [1, 2], padding: [0, 1], dilation: [2, 2])
        }
    }

    @Test func convTransposeGradients3D() {
        checkGradients([rand([1, 2, 2, 3, 2], seed: 19), rand([2, 2, 2, 2, 2], seed: 20), rand([2], seed: 21)]) { x in
            x[0].convTranspose(x[1], bias: x[2], stride: [2, 2, 2])
        }
        checkGradients([rand([1, 1, 3, 2, 3], seed: 22), rand([1, 2, 3, 2, 2], seed: 23), rand([2], seed: 24)]) { x in
            x[0].convTranspose(x[1], bias: x[2], stride: [2, 1, 2], padding: [1, 0, 1], outputPadding: [1, 0, 0], dilation: [2, 1, 1])
        }
    }

    // MARK: - Tiling (several tiles per sample, both backward-data paths)

    /// Direct 3D cross-correlation for comparison.
    func naiveConv3D(_ x: Tensor, _ w: Tensor, stride s: [Int], padding p: [Int], dilation d: [Int]) -> Tensor {
        let (n, ci, id, ih, iw) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (co, kd, kh, kw) = (w.shape[0], w.shape[2], w.shape[3], w.shape[4])
        let od = (id + 2 * p[0] - d[0] * (kd - 1) - 1) / s[0] + 1
        let oh = (ih + 2 * p[1] - d[1] * (kh - 1) - 1) / s[1] + 1
        let ow = (iw + 2 * p[2] - d[2] * (kw - 1) - 1) / s[2] + 1
        let xs = x.scalars, ws = w.scalars
        var out = [Float](repeating: 0, count: n * co * od * oh * ow)
        var o = 0
        for b in 0..<n { for c in 0..<co { for z in 0..<od { for y in 0..<oh { for xx in 0..<ow {
            var acc: Float = 0
            for q in 0..<ci { for a in 0..<kd { for e in 0..<kh { for f in 0..<kw {
                let iz = z * s[0] - p[0] + a * d[0], iy = y * s[1] - p[1] + e * d[1], ix = xx * s[2] - p[2] + f * d[2]
                if iz < 0 || iz >= id || iy < 0 || iy >= ih || ix < 0 || ix >= iw { continue }
                acc += xs[(((b * ci + q) * id + iz) * ih + iy) * iw + ix] * ws[(((c * ci + q) * kd + a) * kh + e) * kw + f]
            } } } }
            out[o] = acc; o += 1
        } } } } }
        return Tensor(out, shape: [n, co, od, oh, ow])
    }

    @Test(arguments: [1, 3])
    func tiledConvMatchesNaiveAndIsAdjoint(batch: Int) {
        let x = rand([batch, 3, 8, 21, 19], seed: 30).requiringGrad(), w = rand([4, 3, 3, 3, 3], seed: 31).requiringGrad()
        let s = [1, 2, 1], p = [1, 1, 2], d = [1, 1, 2]
        let y = x.conv(w, bias: nil, stride: s, padding: p, dilation: d)
        expectClose(y, naiveConv3D(x.detached(), w.detached(), stride: s, padding: p, dilation: d), atol: 1e-4)
        // y is bilinear in (x, w): <g, y> = <g, dy/dx x> = <g, dy/dw w>.
        let g = rand(y.shape, seed: 32)
        y.backward(g)
        func dot(_ a: Tensor, _ b: Tensor) -> Double { zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        let gy = dot(g, y)
        guard let gx = x.grad, let gw = w.grad else { Issue.record("missing gradients"); return }
        #expect(abs(dot(gx, x) - gy) < 1e-3 * max(1, abs(gy)))
        #expect(abs(dot(gw, w) - gy) < 1e-3 * max(1, abs(gy)))
    }

    @Test func pointwiseConvMatchesNaive() {
        let x = rand([2, 5, 3, 17, 19], seed: 40), w = rand([3, 5, 1, 1, 1], seed: 41)
        expectClose(x.conv(w, bias: nil), naiveConv3D(x, w, stride: [1, 1, 1], padding: [0, 0, 0], dilation: [1, 1, 1]), atol: 1e-4)
    }

    // MARK: - Shapes and preconditions

    @Test func outputShapes() {
        let x = Tensor(zeros: [1, 2, 9, 8])
        #expect(x.conv(Tensor(zeros: [4, 2, 3, 3]), bias: nil, stride: [2, 2], padding: [1, 1]).shape == [1, 4, 5, 4])
        #expect(x.conv(Tensor(zeros: [4, 2, 3, 3]), bias: nil, dilation: [2, 3]).shape == [1, 4, 5, 2])
        #expect(x.convTranspose(Tensor(zeros: [2, 5, 2, 2]), bias: nil, stride: [2, 2]).shape == [1, 5, 18, 16])
        #expect(Tensor(zeros: [1, 2, 3, 4, 5]).convTranspose(Tensor(zeros: [2, 1, 3, 3, 3]), bias: nil, stride: [2, 2, 2],
                                                             padding: [1, 1, 1], outputPadding: [1, 1, 1]).shape == [1, 1, 6, 8, 10])
    }

    @Test func mismatchedChannelsTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor(zeros: [1, 3, 8, 8]).conv(Tensor(zeros: [4, 2, 3, 3]), bias: nil)
        }
    }

    @Test func nonFiniteInputTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor([.nan, 0, 0, 0], shape: [1, 1, 2, 2]).conv(Tensor(zeros: [1, 1, 1, 1]), bias: nil)
        }
    }
}
