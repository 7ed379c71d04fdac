/// Winograd F(4x4, 3x3) in training's forward pass under `ConvAlgorithm.automatic` (docs/ARCHITECTURE.md, "Engine").
///
/// Training's forward ran the direct / im2col kernels at 50-97 % of one core's sgemm rate on the zoo's 2D shapes while
/// the same shapes' Winograd forward in inference ran at 100-220 % (segnet, attention-unet, unetpp at 4,1,128,128; the
/// 8x8 maps of DeepLab at 24 % against 59 %). It had stayed direct for accuracy, not speed: on unet3d-s8's PyTorch
/// fixture (input 1x1x16x32x32, a 1x2x2 bottleneck at batch 1) a Winograd forward moves the gradients by 3e-3 relative
/// (UNetWinogradTrainingTests), above the 1e-4, so 3D convolutions keep the direct forward. Every 2D PyTorch
/// fixture keeps its 1e-4 with it (ZooTests, ZooNetworkParityTests, UNetTests). At the bench's width (base 16, 2x1x128x128;
/// WinogradTrainingForwardTests) a whole step's gradients are sensitive to any rounding of the forward (ReLU masks and
/// max-pool indices flip): the two exact kernels, im2col + sgemm against direct, already differ by 1.5e-3 to 3.8e-3
/// relative over all gradients; the Winograd forward by 4.9e-3 to 2.2e-2 (3-6x that), logits by 7e-6 to 1.1e-4.
extension ConvKernels {
    /// Whether `conv`'s training forward under `.automatic` may run as Winograd (for the shapes `useWinograd` takes,
    /// with its channel and narrow-plane rules): 2D convolutions (a 3x3 kernel on [N, C, H, W]).
    static func winogradTrainingForwardPays(_ g: WindowGeometry) -> Bool {
        g.spatialRank == 2
    }
}
