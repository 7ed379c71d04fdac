/// Dilated 3x3 2D convolutions as undilated ones on polyphase sub-planes (space-to-batch, as TensorFlow's
/// `atrous_conv2d`): with stride 1, dilation r in H and W, padding r and H, W multiples of r,
/// `conv(x, w, dilation r, padding r) == batchToSpace(conv(spaceToBatch(x), w, padding 1))` exactly (up to the order
/// of the sums), where sub-plane (ph, pw) holds `x[r·h' + ph, r·w' + pw]`. The sub-planes are ordinary 3x3 stride-1
/// convolutions, so they run on the Winograd paths of `ConvKernels` (docs/ARCHITECTURE.md, Engine).

extension ConvKernels {
    /// Smallest sub-plane side that takes the polyphase form: measured on DeepLab's layer4 (128->128 rate 2), 8x8
    /// sub-planes of 16x16 maps beat the dilated kernels; 4x4 sub-planes of 8x8 maps do not (the dilated kernels stay).
    static let spaceToBatchMinimumSide = 8

    /// The rate r when `conv` of input `[N, Cin, H, W]` with weight `[Cout, Cin, 3, 3]` runs in the polyphase form under
    /// `.automatic`, else nil (other algorithms keep their own kernels, for the tests comparing them).
    static func spaceToBatchRate(input: [Int], weight: [Int], stride: [Int]?, padding: [Int]?, dilation: [Int]?) -> Int? {
        guard algorithm == .automatic, input.count == 4, weight.count == 4, weight[2] == 3, weight[3] == 3,
              let dilation, dilation.count == 2, dilation[0] > 1, dilation[0] == dilation[1],
              padding == dilation, (stride ?? [1, 1]) == [1, 1] else { return nil }
        let r = dilation[0], h = input[2], w = input[3]
        guard h % r == 0, w % r == 0, h / r >= spaceToBatchMinimumSide, w / r >= spaceToBatchMinimumSide else { return nil }
        return r
    }
}

extension Tensor {
    /// `[N, C, H, W]` -> `[r·r·N, C, H/r, W/r]`, batch index `(ph·r + pw)·N + n` holding `x[n, :, r·h' + ph, r·w' + pw]`
    /// (H and W multiples of r). Differentiable (reshape and permute).
    func spaceToBatch(_ r: Int) -> Tensor {
        let n = shape[0], c = shape[1], h = shape[2] / r, w = shape[3] / r
        return reshaped([n, c, h, r, w, r]).permuted([3, 5, 0, 1, 2, 4]).reshaped([r * r * n, c, h, w])
    }

    /// The inverse of `spaceToBatch(r)` for an original batch of `batch`: `[r·r·N, C, h, w]` -> `[N, C, r·h, r·w]`.
    func batchToSpace(_ r: Int, batch n: Int) -> Tensor {
        let c = shape[1], h = shape[2], w = shape[3]
        return reshaped([r, r, n, c, h, w]).permuted([2, 3, 4, 0, 5, 1]).reshaped([n, c, h * r, w * r])
    }

    /// No-grad `spaceToBatch` / `batchToSpace` for the inference op (which records nothing).
    func spaceToBatchNoGrad(_ r: Int) -> Tensor {
        let n = shape[0], c = shape[1], h = shape[2] / r, w = shape[3] / r
        return reshapedNoGrad([n, c, h, r, w, r]).permuteNoGrad([3, 5, 0, 1, 2, 4]).reshapedNoGrad([r * r * n, c, h, w])
    }

    func batchToSpaceNoGrad(_ r: Int, batch n: Int) -> Tensor {
        let c = shape[1], h = shape[2], w = shape[3]
        return reshapedNoGrad([r, r, n, c, h, w]).permuteNoGrad([2, 3, 4, 0, 5, 1]).reshapedNoGrad([n, c, h * r, w * r])
    }
}
