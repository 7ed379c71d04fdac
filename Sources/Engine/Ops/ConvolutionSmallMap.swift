/// Winograd F(4x4, 3x3) on small feature maps (docs/ARCHITECTURE.md, "Engine"): the deep layers of DeepLab (8x8 and 16x16
/// maps at output stride 16), SegNet and the attention U-Net, where a 4x4-output tile is largely padding and the
/// transforms cost as much as the products. Measured with `semiseg bench --net deeplabv3 --dims 2 --base 16 --input
/// 4,1,128,128 --layers` (percent of the one-core sgemm rate per CPU second, alternating runs):
///
/// - 32->32 at 16x16: inference 67 % as Winograd against 86 % on the direct kernel; backward data 42 % against 92 %.
/// - 64->64 and 64->128 at 8x8: backward data 20-24 % as Winograd against 33-36 % on im2col + sgemm (no direct kernel:
///   W is not a multiple of 16); inference 40-48 % against 35-36 %, so inference keeps Winograd there.
///
/// The rules apply under `ConvAlgorithm.automatic` only (`.winogradTraining` and `.winograd` opt in everywhere). The
/// U-Net benchmark presets keep every Winograd layer: their smallest maps are 16x16 (unet2d-s16) and 8x16x16
/// (unet3d-s8) with 128-256 channels.
extension ConvKernels {
    /// Smallest input and output channel count for Winograd on a plane whose smaller side is 16 to 31.
    static let winogradNarrowPlaneMinimumChannels = 64

    /// Whether Winograd pays for `conv`'s forward pass on the output plane of `g` (`useWinograd`): not on a plane whose
    /// smaller side is 16 to 31 when it has fewer than 64 input or output channels and the direct kernel takes it (faster there).
    static func winogradPaysOnMap(cin: Int, cout: Int, _ g: WindowGeometry) -> Bool {
        let side = Swift.min(g.output[1], g.output[2])
        return !(side >= 16 && side < 32 && Swift.min(cin, cout) < winogradNarrowPlaneMinimumChannels && directSupports(g))
    }

    /// Whether Winograd pays for `conv`'s backward-data pass (besides `useWinograd`): not under `.automatic` on a plane
    /// whose smaller side is below 16, unless its width takes the packed transforms (ConvolutionWinogradSmall.swift:
    /// 4 or 8 wide). Measured on attention-unet at 4,1,128,128 (`semiseg bench --layers`, CPU ms per step, loaded
    /// machine): backward data of 256->256 and 128->256 at 8x8 took 6.5 and 3.0 on im2col + sgemm, 10.6 and 5.5 as
    /// Winograd with the row-wise transforms (a serial filter transform into a page-faulted buffer), 4.8 and 2.8 with the
    /// packed transforms, the filter transform on all workers and huge pages.
    static func winogradBackwardDataPays(_ g: WindowGeometry) -> Bool {
        algorithm != .automatic || Swift.min(g.output[1], g.output[2]) >= 16 || winogradPackedRows(g.output[2]) > 0
    }
}
