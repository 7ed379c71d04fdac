import MedIO

/// Side-by-side PNG panels of one case: image, label overlays, uncertainty heat maps, on one axial slice.
public enum CaseMontage {
    /// The axial slice index with the most voxels of `labels > 0` (the middle slice when there are none).
    ///
    /// `labels` is a volume on the image grid (`[x, y, z]` NIfTI order, x fastest).
    public static func slice(withMostForeground labels: Volume) -> Int {
        let s = labels.spatialShape
        let n = s[0] * s[1]
        var best = s[2] / 2, bestCount = 0
        for z in 0..<s[2] {
            var c = 0
            for i in 0..<n where labels.data[z * n + i] > 0 { c += 1 }
            if c > bestCount { bestCount = c; best = z }
        }
        return best
    }

    /// Intensity display window: the 1st-99th percentile of the slice (robust for CT and MRI alike).
    public static func window(_ s: Slice) -> (lo: Float, hi: Float) {
        let v = s.values.sorted()
        guard let first = v.first, let last = v.last else { return (0, 1) }
        let lo = v[min(v.count - 1, v.count / 100)], hi = v[max(0, v.count - 1 - v.count / 100)]
        return hi > lo ? (lo, hi) : (first, max(last, first + 1))
    }

    /// Panels left to right: image, image + each label map in `overlays`, each heat map in `heatmaps`
    /// (inferno over `[0, top]`: the given top, e.g. ln K for entropy, or the map's own maximum when nil);
    /// every panel enlarged by `scale`, separated by 4 white pixels.
    ///
    /// All volumes share the image's grid; they are reoriented to RAS first so the slice is shown radiologically
    /// consistent (anterior up) whatever the stored voxel order. `z` indexes the RAS volume's axial slices; nil picks
    /// the slice with most foreground in the first overlay.
    public static func render(image rawImage: Volume, z zIn: Int? = nil, overlays rawOverlays: [Volume],
                              heatmaps rawHeat: [(map: Volume, top: Float?)], scale: Int = 2) -> PixelImage {
        let image = rawImage.reorientedToRAS().volume
        let overlays = rawOverlays.map { $0.reorientedToRAS().volume }
        let heatmaps = rawHeat.map { (map: $0.map.reorientedToRAS().volume, top: $0.top) }
        let z = zIn ?? overlays.first.map { slice(withMostForeground: $0) } ?? image.spatialShape[2] / 2
        let base = image.axialSlice(z)
        let win = window(base)
        var panels = [Overlay.render(image: base, labels: nil, window: win)]
        for o in overlays { panels.append(Overlay.render(image: base, labels: o.axialSlice(z), window: win)) }
        for (h, fixedTop) in heatmaps {
            let s = h.axialSlice(z)
            let top = max(fixedTop ?? s.values.max() ?? 0, 1e-6)
            panels.append(Colormap.inferno.render(s.values, width: s.width, height: s.height, window: (0, top)))
        }
        let scaled = panels.map { $0.channels == 3 ? $0 : rgb($0) }.map { $0.scaled(by: scale) }
        let gap = 4
        let w = scaled.reduce(0) { $0 + $1.width } + gap * (scaled.count - 1), h = scaled.map(\.height).max() ?? 0
        var out = PixelImage(width: w, height: h, channels: 3)
        for i in 0..<out.pixels.count { out.pixels[i] = 255 }
        var col = 0
        for p in scaled { out.paste(p, row: 0, col: col); col += p.width + gap }
        return out
    }

    /// Grey or RGBA to RGB.
    static func rgb(_ p: PixelImage) -> PixelImage {
        var out = PixelImage(width: p.width, height: p.height, channels: 3)
        for i in 0..<(p.width * p.height) {
            for k in 0..<3 { out.pixels[i * 3 + k] = p.pixels[i * p.channels + (p.channels >= 3 ? k : 0)] }
        }
        return out
    }
}
