import Engine
import MedIO
import Training

/// A picture of what an augmentation does: the case and `count` augmented draws with their label overlays (top row),
/// and a regular grid pushed through each draw's spatial warp (bottom row), on the axial slice with most foreground.
public enum AugmentationPreview {
    /// Renders the preview. `image` and `label` are volumes on one grid (`[x, y, z]`); draws come from `seed`.
    /// Both are reoriented to RAS first (display convention: anterior up).
    /// Every panel is radiological (patient's right on the viewer's left, anterior up) with R/L/A/P letters; the title
    /// names `caseName` (when given) and the slice.
    public static func render(image rawImage: Volume, label rawLabel: Volume, augmenter: Augmenter, count: Int, seed: UInt64, scale: Int = 2,
                              caseName: String? = nil) -> PixelImage {
        let image = rawImage.reorientedToRAS().volume, label = rawLabel.reorientedToRAS().volume
        let s = image.spatialShape
        let spatial = [s[2], s[1], s[0]]
        let img = Tensor(image.channel(0).data, shape: [1] + spatial)
        let lab = Tensor(label.data, shape: spatial)
        let grid = Tensor(gridLines(spatial), shape: [1] + spatial)
        let z = CaseMontage.slice(withMostForeground: label)
        var rng = RNG(seed: seed)
        var top: [PixelImage] = [], bottom: [PixelImage] = []
        func volume(_ t: Tensor) -> Volume { Volume(shape: s, data: t.scalars, geometry: image.geometry) }
        func panel(_ i: Tensor, _ l: Tensor) -> PixelImage {
            let iv = volume(i)
            let sl = iv.axialSlice(z)
            return SliceDecorations.withOrientationMarkers(CaseMontage.rgb(
                Overlay.render(image: sl, labels: volume(l).axialSlice(z), window: CaseMontage.window(image.axialSlice(z))).scaled(by: scale)))
        }
        func gridPanel(_ g: Tensor) -> PixelImage {
            let sl = volume(g).axialSlice(z)
            return SliceDecorations.withOrientationMarkers(Colormap.gray.render(sl.values, width: sl.width, height: sl.height, window: (0, 1)).scaled(by: scale))
        }
        top.append(panel(img, lab))
        bottom.append(gridPanel(grid))
        for _ in 0..<count {
            let a = augmenter(image: img, label: lab, rng: &rng)
            top.append(panel(a.image, a.label ?? lab))
            bottom.append(gridPanel(a.grid.apply(grid, interpolation: .linear)))
        }
        let rows = Canvas.vstack([Canvas.hstack(top, gap: 4), Canvas.hstack(bottom, gap: 4)], gap: 4)
        let name = caseName.map { "\($0): " } ?? ""
        var framed = Canvas(width: rows.width + 24, height: rows.height + 12)
        framed.paste(rows, x: 12, y: 0)
        return ComparisonFigures.titledBlock(framed.image, [
            "\(name)\(SliceDecorations.sliceText(z: z, slices: s[2])): the case, then \(count) augmented draws",
            "top: image + label; bottom: a regular grid through the same warp", SliceDecorations.conventionText])
    }

    /// A `[D, H, W]` volume of thin bright lines every 8 voxels in-plane, offset from the border so edge clamping adds no lines.
    static func gridLines(_ shape: [Int]) -> [Float] {
        let (D, H, W) = (shape[0], shape[1], shape[2])
        var g = [Float](repeating: 0.15, count: D * H * W)
        for z in 0..<D { for y in 0..<H { for x in 0..<W where y % 8 == 4 || x % 8 == 4 { g[(z * H + y) * W + x] = 1 } } }
        return g
    }
}
