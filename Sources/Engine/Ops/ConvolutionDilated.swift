/// Direct kernels for dilated 3-wide "same" convolutions (docs/ARCHITECTURE.md, "Engine"; C in `CKernels/conv_dilated.c`):
/// the dilated FCN's 3x3 layers at rates 2..6 and dilated residual blocks on maps at least 16 wide. They ran on im2col +
/// sgemm, whose GEMM has only Cout (16-32) rows; the direct kernels read the input rows in place as the undilated direct
/// kernels do: `directConv` and `directWeightGrad` (`ConvolutionDirect.swift`) call them for a dilated geometry.
extension ConvKernels {
    /// Whether the dilated direct kernels support `g`: stride 1, kernel (1|3, 1|3, 3), every 3-wide axis dilated by the
    /// same rate > 1 and padded by it, 1-wide axes unpadded, output size = input size, W % 16 == 0.
    static func dilatedDirectSupports(_ g: WindowGeometry) -> Bool {
        let rate = g.dilation[2]
        guard rate > 1, g.stride == [1, 1, 1], g.kernel[2] == 3, g.output == g.input, g.input[2] % 16 == 0 else { return false }
        for a in 0..<3 {
            switch g.kernel[a] {
            case 1: if g.padding[a] != 0 { return false }
            case 3: if g.dilation[a] != rate || g.padding[a] != rate { return false }
            default: return false
            }
        }
        return true
    }

    /// Whether `conv`'s three passes run on the dilated direct kernels (not under `.gemm`, the reference path).
    static func useDilatedDirect(_ g: WindowGeometry) -> Bool { algorithm != .gemm && dilatedDirectSupports(g) }
}
