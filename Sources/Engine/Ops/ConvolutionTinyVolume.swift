/// Winograd F(4x4, 3x3) on tiny 3D feature maps (docs/ARCHITECTURE.md, "Engine"): DeepLab 3D's layer3, layer4 and ASPP
/// run on 2x4x4 maps (input 32x64x64 at output stride 16), where a plane is one 4x4 tile, each transform-domain GEMM
/// has as many columns as there are planes (4 at batch 2), and training's backward data transforms the whole filter per
/// call into freshly mapped memory (36 x 27 x Cin x Cout floats: 4 MB for 32->32). Measured with `semiseg bench --net
/// deeplabv3 --dims 3 --base 8 --input 2,1,32,64,64 --layers` (CPU ms per call, alternating builds): see the rule below.
extension ConvKernels {
    /// Largest output plane (H x W) on which a 3x3x3 convolution leaves Winograd under `ConvAlgorithm.automatic`.
    static let winogradTinyPlaneMaximum = 16

    /// Whether Winograd pays for a 3x3x3 convolution on the output volume of `g` (`useWinograd`): not on planes of at most
    /// 4x4 (one tile), where im2col + sgemm over the short-row gather table (ConvolutionGatherIm2col.swift) is faster in
    /// every pass. 2D kernels (depth 1) are not affected.
    static func winogradPaysOnVolume(_ g: WindowGeometry) -> Bool {
        !(g.kernel[0] == 3 && g.output[1] * g.output[2] <= winogradTinyPlaneMaximum)
    }
}
