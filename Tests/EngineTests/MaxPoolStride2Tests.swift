@testable import Engine
import Testing

/// `maxPool3Stride2` (the DeepLab stem's pooling) against the generic `maxPool(kernel: 3, stride: 2, padding: 1)`:
/// values, argmax (through the gradient) and the tie and NaN rules, 2D and 3D, odd and even sizes.
@Suite("MaxPoolStride2")
struct MaxPoolStride2Tests {
    static let shapes: [[Int]] = [[2, 3, 9, 16], [1, 2, 8, 7], [1, 1, 1, 1], [2, 2, 5, 6, 7], [1, 3, 4, 9, 8]]

    @Test(arguments: 0..<shapes.count)
    func matchesGenericMaxPool(_ index: Int) {
        let shape = Self.shapes[index], r = shape.count - 2
        var rng = RNG(seed: UInt64(index))
        // Values from a few levels, so windows hold ties (and -0 next to +0); a NaN and an infinity in the larger inputs.
        var v = (0..<Shape.count(shape)).map { _ in Float(rng.int(below: 5) - 2) * 0.5 }
        for i in v.indices where v[i] == 0 && rng.int(below: 2) == 0 { v[i] = -0.0 }
        if v.count > 40 { v[17] = .nan; v[33] = -.infinity }
        let gyValues = (0..<Shape.count([shape[0], shape[1]] + shape[2...].map { ($0 - 1) / 2 + 1 })).map { _ in rng.uniform(-1, 1) }
        func run(_ fast: Bool) -> ([Float], [Float]) {
            let x = Tensor(v, shape: shape).requiringGrad()
            let y = fast ? x.maxPool3Stride2()
                : x.maxPool(kernel: [Int](repeating: 3, count: r), stride: [Int](repeating: 2, count: r), padding: [Int](repeating: 1, count: r))
            y.backward(Tensor(gyValues, shape: y.shape))
            let inference = withNoGrad { fast ? Tensor(v, shape: shape).maxPool3Stride2() : y.detached() }
            #expect(inference.shape == y.shape)
            #expect(zip(inference.scalars, y.scalars).allSatisfy { $0.bitPattern == $1.bitPattern })
            return (y.scalars, x.grad?.scalars ?? [])
        }
        let (yFast, gFast) = run(true), (yRef, gRef) = run(false)
        #expect(yFast.count == yRef.count && zip(yFast, yRef).allSatisfy { $0.bitPattern == $1.bitPattern }, "values differ")
        #expect(gFast == gRef, "gradients differ")
    }
}
