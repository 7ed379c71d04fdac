@testable import Engine
import Testing

/// The separable adjoint of the linear resize (`Tensor.resizeLinearBackward`, Resize.swift) against the direct spread of
/// `interpolated`'s own backward rule: up and down, by integer and odd factors, 2D and 3D.
@Suite("ResizeBackward")
struct ResizeBackwardTests {
    static let cases: [([Int], [Int])] = [
        ([2, 3, 16, 16], [256, 256]), ([1, 2, 7, 5], [20, 13]), ([1, 1, 9, 11], [4, 3]), ([2, 2, 1, 1], [6, 5]),
        ([1, 2, 4, 8, 8], [32, 64, 64]), ([1, 1, 3, 5, 6], [7, 4, 13]),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesDirectSpread(_ index: Int) {
        let (shape, size) = Self.cases[index]
        var rng = RNG(seed: UInt64(80 + index))
        let v = (0..<Shape.count(shape)).map { _ in rng.uniform(-1, 1) }
        let outShape = Array(shape[..<2]) + size
        let seed = Tensor((0..<Shape.count(outShape)).map { _ in rng.uniform(-1, 1) }, shape: outShape)
        let x1 = Tensor(v, shape: shape, requiresGrad: true), x2 = Tensor(v, shape: shape, requiresGrad: true)
        let y1 = x1.resized(to: size, mode: .linear)
        y1.backward(seed)
        let r = shape.count - 2
        let inS = [Int](repeating: 1, count: 3 - r) + Array(shape[2...]), outS = [Int](repeating: 1, count: 3 - r) + size
        let taps = (AxisTaps(input: inS[0], output: outS[0], mode: .linear), AxisTaps(input: inS[1], output: outS[1], mode: .linear),
                    AxisTaps(input: inS[2], output: outS[2], mode: .linear))
        let y2 = x2.interpolated("resize", taps: taps, output: outS, mode: .linear, nearest2xDepth: nil)
        y2.backward(seed)
        #expect(y1.scalars == y2.scalars)
        let g1 = x1.grad?.scalars ?? [], g2 = x2.grad?.scalars ?? []
        let mag = g2.reduce(0) { Swift.max($0, abs($1)) }, d = zip(g1, g2).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(g1.count == g2.count && d <= 1e-5 * Swift.max(mag, 1), "case \(index): max |diff| \(d), max |ref| \(mag)")
    }
}
