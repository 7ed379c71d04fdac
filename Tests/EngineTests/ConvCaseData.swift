@testable import Engine

/// Random operands of one convolution test case (the direct-kernel tests compare against im2col + sgemm with them):
/// x `[batch, cin, *input]`, w `[cout, cin, *kernel]`, bias, an eval batch norm's scale and shift per output channel and an
/// upstream gradient `[batch, cout, *output]`, drawn in that order from `RNG(seed:)`.
struct ConvCaseData {
    let x: [Float], w: [Float], b: [Float], scale: [Float], shift: [Float], gy: [Float]

    init(batch: Int, cin: Int, cout: Int, _ g: WindowGeometry, seed: UInt64) {
        var rng = RNG(seed: seed)
        x = (0..<(batch * cin * g.inputVolume)).map { _ in rng.uniform(-1, 1) }
        w = (0..<(cout * cin * g.kernelVolume)).map { _ in rng.uniform(-0.3, 0.3) }
        b = (0..<cout).map { _ in rng.uniform(-0.3, 0.3) }
        scale = (0..<cout).map { _ in rng.uniform(0.5, 2) }
        shift = (0..<cout).map { _ in rng.uniform(-0.5, 0.5) }
        gy = (0..<(batch * cout * g.outputVolume)).map { _ in rng.uniform(-1, 1) }
    }
}
