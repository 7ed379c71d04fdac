@testable import Engine
import Testing

/// The linear resize's row-separable forward (`Tensor.linearPlaneFromRows`, Upsample.swift) and backward
/// (`Tensor.resizeLinearBackward`, Resize.swift) against the per-output formula and the serial row-buffer spread they
/// replaced, written out here, 2D and 3D, up by integer and odd factors, and down: the forward bit for bit; the backward
/// bit for bit when downsampling (per-column sums of the row buffer) and within 1e-5 of the gradient's magnitude when
/// upsampling (rows first: the same sums in another order).
@Suite("ResizeSeparable")
struct ResizeSeparableTests {
    static let cases: [([Int], [Int])] = [
        ([2, 3, 16, 16], [256, 256]), ([1, 2, 7, 5], [20, 13]), ([1, 1, 9, 11], [4, 3]), ([2, 2, 1, 1], [6, 5]),
        ([2, 2, 2, 4, 4], [32, 64, 64]), ([1, 1, 3, 5, 6], [7, 4, 13]), ([1, 2, 1, 3, 2], [1, 3, 9]),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesPerOutputFormulaAndSerialSpread(_ index: Int) {
        let (shape, size) = Self.cases[index]
        var rng = RNG(seed: UInt64(120 + index))
        let v = (0..<Shape.count(shape)).map { _ in rng.uniform(-1, 1) }
        let outShape = Array(shape[..<2]) + size
        let seed = (0..<Shape.count(outShape)).map { _ in rng.uniform(-1, 1) }
        let x = Tensor(v, shape: shape, requiresGrad: true)
        let y = x.resized(to: size, mode: .linear)
        y.backward(Tensor(seed, shape: outShape))
        let r = shape.count - 2, planes = shape[0] * shape[1]
        let inS = [Int](repeating: 1, count: 3 - r) + Array(shape[2...]), outS = [Int](repeating: 1, count: 3 - r) + size
        let (tz, ty, tx) = (AxisTaps(input: inS[0], output: outS[0], mode: .linear), AxisTaps(input: inS[1], output: outS[1], mode: .linear),
                            AxisTaps(input: inS[2], output: outS[2], mode: .linear))
        let (ih, iw, oh, ow) = (inS[1], inS[2], outS[1], outS[2]), ivol = inS[0] * ih * iw, ovol = outS[0] * oh * ow
        var yRef = [Float](repeating: 0, count: planes * ovol), gRef = [Float](repeating: 0, count: planes * ivol)
        for p in 0..<planes {
            for z in 0..<outS[0] {
                for yy in 0..<oh {
                    let rows = [(tz.i0[z] * ih + ty.i0[yy]) * iw, (tz.i0[z] * ih + ty.i1[yy]) * iw,
                                (tz.i1[z] * ih + ty.i0[yy]) * iw, (tz.i1[z] * ih + ty.i1[yy]) * iw].map { $0 + p * ivol }
                    let ws = [tz.w0[z] * ty.w0[yy], tz.w0[z] * ty.w1[yy], tz.w1[z] * ty.w0[yy], tz.w1[z] * ty.w1[yy]]
                    let o = p * ovol + (z * oh + yy) * ow
                    var row = [Float](repeating: 0, count: iw)
                    for j in 0..<ow {
                        let i = tx.i0[j], k = tx.i1[j], u = tx.w0[j], w = tx.w1[j]
                        let a = ws[0] * (u * v[rows[0] + i] + w * v[rows[0] + k]) + ws[1] * (u * v[rows[1] + i] + w * v[rows[1] + k])
                        yRef[o + j] = a + ws[2] * (u * v[rows[2] + i] + w * v[rows[2] + k]) + ws[3] * (u * v[rows[3] + i] + w * v[rows[3] + k])
                        row[i] += u * seed[o + j]
                        row[k] += w * seed[o + j]
                    }
                    for t in 0..<4 where ws[t] != 0 { for i in 0..<iw { gRef[rows[t] + i] += ws[t] * row[i] } }
                }
            }
        }
        #expect(y.scalars.map(\.bitPattern) == yRef.map(\.bitPattern), "case \(index) forward")
        let g = x.grad?.scalars ?? []
        if inS[0] * ih <= outS[0] * oh {  // rows first (resizeBackwardRowsFirst): the same sums in another order
            let mag = gRef.reduce(0) { Swift.max($0, abs($1)) }, d = zip(g, gRef).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
            #expect(g.count == gRef.count && d <= 1e-5 * Swift.max(mag, 1), "case \(index) backward: max |diff| \(d), max |ref| \(mag)")
        } else {
            #expect(g.map(\.bitPattern) == gRef.map(\.bitPattern), "case \(index) backward")
        }
    }
}
