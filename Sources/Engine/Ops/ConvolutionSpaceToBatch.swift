/// Dilated 3x3 2D convolutions as undilated ones on polyphase sub-planes (space-to-batch, as TensorFlow's
/// `atrous_conv2d`): with stride 1, dilation r in H and W, padding r and H, W multiples of r,
/// `conv(x, w, dilation r, padding r) == batchToSpace(conv(spaceToBatch(x), w, padding 1))` exactly (up to the order
/// of the sums), where sub-plane (ph, pw) holds `x[r·h' + ph, r·w' + pw]`. The sub-planes are ordinary 3x3 stride-1
/// convolutions, so they run on the Winograd paths of `ConvKernels` (docs/ARCHITECTURE.md, Engine).

extension ConvKernels {
    /// Smallest sub-plane side that takes the polyphase form: measured on DeepLab's layer4 (128->128 rate 2), 8x8
    /// sub-planes of 16x16 maps beat the dilated kernels; in training, 4x4 sub-planes of 8x8 maps do not (the dilated kernels
    /// stay; inference: `spaceToBatchInferenceMinimumSide`).
    static let spaceToBatchMinimumSide = 8

    /// The same for `convInference` (no backward passes; the Winograd filter is cached): DeepLab's layer4 at
    /// 4,1,128,128 (128->128 rate 2 on 8x8 maps) on 16 4x4 sub-planes, F(4x4, 3x3) with one tile each, ran its three
    /// calls in 1.6 ms against the dilated kernels' 2.4 ms (`bench --layers`, 81-84 % against 64-66 % of the one-core
    /// rate per CPU second); the whole inference pass 0.0044-0.0048 -> 0.0036-0.0041 s in three alternating rounds.
    /// Training keeps 8: there the 4x4 form lost in the forward and weight-gradient passes (and transforms the
    /// changing filter twice a step).
    static let spaceToBatchInferenceMinimumSide = 4

    /// The rate r when `conv` of input `[N, Cin, H, W]` with weight `[Cout, Cin, 3, 3]` runs in the polyphase form under
    /// `.automatic`, else nil (other algorithms keep their own kernels, for the tests comparing them). `minimumSide`:
    /// `spaceToBatchMinimumSide` for `conv`, `spaceToBatchInferenceMinimumSide` for `convInference`.
    static func spaceToBatchRate(input: [Int], weight: [Int], stride: [Int]?, padding: [Int]?, dilation: [Int]?,
                                 minimumSide: Int = spaceToBatchMinimumSide) -> Int? {
        guard algorithm == .automatic, input.count == 4, weight.count == 4, weight[2] == 3, weight[3] == 3,
              let dilation, dilation.count == 2, dilation[0] > 1, dilation[0] == dilation[1],
              padding == dilation, (stride ?? [1, 1]) == [1, 1] else { return nil }
        let r = dilation[0], h = input[2], w = input[3]
        guard h % r == 0, w % r == 0, h / r >= minimumSide, w / r >= minimumSide else { return nil }
        return r
    }
}

extension Tensor {
    /// `[N, C, H, W]` -> `[r·r·N, C, H/r, W/r]`, batch index `(ph·r + pw)·N + n` holding `x[n, :, r·h' + ph, r·w' + pw]`
    /// (H and W multiples of r). Differentiable (its backward is `batchToSpace`).
    func spaceToBatch(_ r: Int) -> Tensor {
        let n = shape[0]
        return Tensor.record("space_to_batch", spaceToBatchNoGrad(r), inputs: [self]) { g in [g.batchToSpaceNoGrad(r, batch: n)] }
    }

    /// The inverse of `spaceToBatch(r)` for an original batch of `batch`: `[r·r·N, C, h, w]` -> `[N, C, r·h, r·w]`.
    func batchToSpace(_ r: Int, batch n: Int) -> Tensor {
        Tensor.record("batch_to_space", batchToSpaceNoGrad(r, batch: n), inputs: [self]) { g in [g.spaceToBatchNoGrad(r)] }
    }

    func spaceToBatchNoGrad(_ r: Int) -> Tensor {
        let out = Tensor.empty([r * r * shape[0], shape[1], shape[2] / r, shape[3] / r])
        Tensor.polyphaseCopy(full: storage.pointer, phases: out.storage.pointer, batch: shape[0], channels: shape[1],
                             height: shape[2], width: shape[3], rate: r, toPhases: true)
        return out
    }

    func batchToSpaceNoGrad(_ r: Int, batch n: Int) -> Tensor {
        let out = Tensor.empty([n, shape[1], shape[2] * r, shape[3] * r])
        Tensor.polyphaseCopy(full: out.storage.pointer, phases: storage.pointer, batch: n, channels: shape[1],
                             height: shape[2] * r, width: shape[3] * r, rate: r, toPhases: false)
        return out
    }

    /// Copies between the full layout `[N, C, H, W]` and the phase layout `[r·r·N, C, H/r, W/r]` (either direction).
    static func polyphaseCopy(full: UnsafeMutablePointer<Float>, phases: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                              height: Int, width: Int, rate r: Int, toPhases: Bool) {
        let hp = height / r, wp = width / r, phasePlane = batch * channels * hp * wp
        for plane in 0..<(batch * channels) {
            for h in 0..<height {
                let fullRow = full + (plane * height + h) * width
                let phaseBase = phases + (h % r) * r * phasePlane + (plane * hp + h / r) * wp
                for pw in 0..<r {
                    let phaseRow = phaseBase + pw * phasePlane, f = fullRow + pw
                    if toPhases {
                        for j in 0..<wp { phaseRow[j] = f[j * r] }
                    } else {
                        for j in 0..<wp { f[j * r] = phaseRow[j] }
                    }
                }
            }
        }
    }
}
