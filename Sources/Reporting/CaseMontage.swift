import Foundation
import MedIO

/// Side-by-side PNG panels of one case: image, label overlays, uncertainty heat maps, on one axial slice, radiologically.
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

    /// A heat map to show next to the label panels: `map` on the image grid, drawn with `colormap` over `0...top` (nil:
    /// the map's own maximum on the shown slice), with a colour bar labelled `barLabel` (name and unit, e.g.
    /// "entropy (nats)").
    public struct HeatMap {
        public var caption: String
        public var map: Volume
        public var top: Float?
        public var barLabel: String
        public var colormap: Colormap
        public init(caption: String, map: Volume, top: Float?, barLabel: String, colormap: Colormap = .inferno) {
            self.caption = caption; self.map = map; self.top = top; self.barLabel = barLabel; self.colormap = colormap
        }
    }

    /// The heat map of an uncertainty map called `name` (as the strategies declare them in `catalogue`): maps in nats
    /// over their fixed range `0...ln K` (`classes` = K), others (variance) over their own maximum.
    public static func heatMap(named name: String, map: Volume, classes: Int, catalogue: MapCatalogue = MapCatalogue()) -> HeatMap {
        let lnK = Float(log(Double(max(classes, 2))))
        let (caption, bar) = catalogue.caption(name)
        return HeatMap(caption: caption, map: map, top: catalogue.isNats(name) ? lnK : nil, barLabel: bar)
    }

    /// Integer enlargement so that a slice of `shape` (`[x, y, ...]`) is about 240 pixels wide.
    public static func displayScale(_ shape: [Int]) -> Int { max(1, Int((240.0 / Double(max(shape[0], shape[1], 1))).rounded())) }

    /// One case on one axial slice, left to right: image | image + each label map of `overlays` | each heat map with
    /// its colour bar. Every panel is drawn radiologically (patient's right on the viewer's left, anterior up) with
    /// R/L/A/P letters around it; the title names the case and the slice, a legend below names the label colours.
    ///
    /// All volumes share the image's grid (`[x, y, z]`, any orientation); they are reoriented to RAS first. `z` indexes
    /// the RAS volume's axial slices; nil picks the slice with most foreground in the first overlay. `labelNames` maps
    /// label values to names (from dataset.json); `classes` includes background.
    public static func render(image rawImage: Volume, caseName: String, z zIn: Int? = nil,
                              overlays rawOverlays: [(caption: String, labels: Volume)], heatmaps rawHeat: [HeatMap],
                              classes: Int, labelNames: [Int: String], scale scaleIn: Int? = nil) -> PixelImage {
        let image = rawImage.reorientedToRAS().volume
        let overlays = rawOverlays.map { (caption: $0.caption, labels: $0.labels.reorientedToRAS().volume) }
        let nz = image.spatialShape[2]
        let z = zIn ?? overlays.first.map { slice(withMostForeground: $0.labels) } ?? nz / 2
        let scale = scaleIn ?? displayScale(image.spatialShape)
        let base = image.axialSlice(z)
        let win = window(base)
        func framed(_ p: PixelImage) -> PixelImage { SliceDecorations.withOrientationMarkers(rgb(p).scaled(by: scale)) }
        var panels: [(caption: String, image: PixelImage)] = [("image", framed(Overlay.render(image: base, labels: nil, window: win)))]
        for o in overlays { panels.append((o.caption, framed(Overlay.render(image: base, labels: o.labels.axialSlice(z), window: win)))) }
        for h in rawHeat {
            let s = h.map.reorientedToRAS().volume.axialSlice(z)
            let top = max(h.top ?? s.values.filter { $0.isFinite }.max() ?? 0, 1e-6)
            panels.append((h.caption, ComparisonFigures.heatPanel(s, scale: scale, top: top, colormap: h.colormap, barLabel: h.barLabel)))
        }
        let ts = Charts.textScale, th = BitmapFont.height(scale: ts)
        let captioned = panels.map { p -> PixelImage in
            var c = Canvas(width: max(p.image.width, BitmapFont.width(p.caption, scale: ts)), height: th + 4 + p.image.height)
            c.text(p.caption, x: min(p.image.width, c.width) / 2, y: 0, scale: ts, .black, anchor: .topCenter)
            c.paste(p.image, x: 0, y: th + 4)
            return c.image
        }
        var rows = [Canvas.hstack(captioned, gap: 12)]
        if !overlays.isEmpty { rows.append(SliceDecorations.labelLegend(classes: classes, names: labelNames)) }
        let body = Canvas.vstack(rows, gap: 10)
        var framedBody = Canvas(width: body.width + 24, height: body.height + 12)
        framedBody.paste(body, x: 12, y: 0)
        return ComparisonFigures.titledBlock(framedBody.image, [
            "\(caseName): \(SliceDecorations.sliceText(z: z, slices: nz, why: zIn == nil && !overlays.isEmpty ? "most foreground" : nil))",
            SliceDecorations.conventionText,
        ])
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
