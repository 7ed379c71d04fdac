import Foundation
import MedIO

/// What every slice picture carries besides the pixels: orientation letters around the panel, a legend of label
/// colours, and the wording of titles. Panels come from `Volume.axialSlice` of a RAS-reoriented volume, i.e. in the
/// radiological convention (anterior up, the patient's right on the viewer's left).
public enum SliceDecorations {
    /// Text size of the orientation letters and legends (the chart text size).
    static var textScale: Int { Charts.textScale }

    /// Blank pixels around a panel that hold the orientation letters.
    public static var markerMargin: Int { BitmapFont.height(scale: textScale) + 4 }

    /// The orientation letter colour (a saturated orange that reads on white and is not a label colour's twin).
    public static let markerColour = RGB(200, 90, 0)

    /// `panel` (an axial slice drawn radiologically) framed by a white margin with "R" centred on the left edge, "L"
    /// on the right, "A" above and "P" below: the patient's right, left, anterior and posterior.
    public static func withOrientationMarkers(_ panel: PixelImage) -> PixelImage {
        let m = markerMargin, s = textScale
        var c = Canvas(width: panel.width + 2 * m, height: panel.height + 2 * m)
        c.paste(panel, x: m, y: m)
        let cy = m + panel.height / 2, cx = m + panel.width / 2
        c.text("R", x: m / 2, y: cy, scale: s, markerColour, anchor: .center)
        c.text("L", x: m + panel.width + m / 2, y: cy, scale: s, markerColour, anchor: .center)
        c.text("A", x: cx, y: m / 2, scale: s, markerColour, anchor: .center)
        c.text("P", x: cx, y: m + panel.height + m / 2, scale: s, markerColour, anchor: .center)
        return c.image
    }

    /// A one-line legend: a colour swatch and the name of every foreground label (`names` by label value, 0 =
    /// background is skipped; a missing name reads "label N"), then `extra` entries (e.g. the ground-truth line).
    public static func labelLegend(classes: Int, names: [Int: String], extra: [(colour: RGB, text: String)] = []) -> PixelImage {
        let s = textScale, th = BitmapFont.height(scale: s), sw = th
        var entries: [(RGB, String)] = []
        for k in 1..<max(classes, 2) {
            let (r, g, b) = LabelPalette.rgb(k)
            entries.append((RGB(r, g, b), "\(k) \(names[k] ?? "label \(k)")"))
        }
        entries += extra.map { ($0.colour, $0.text) }
        let widths = entries.map { sw + 6 + BitmapFont.width($0.1, scale: s) }
        let gap = 18
        var c = Canvas(width: widths.reduce(0, +) + gap * max(entries.count - 1, 0) + 2, height: th + 4)
        var x = 1
        for ((colour, text), w) in zip(entries, widths) {
            c.fill(x: x, y: 2, w: sw, h: th - 2, colour)
            c.stroke(x: x, y: 2, w: sw, h: th - 2, .darkGray)
            c.text(text, x: x + sw + 6, y: 2, scale: s, .black)
            x += w + gap
        }
        return c.image
    }

    /// Where the shown slice is, for titles: "2D image" or "axial slice 13 of 40" (1-based), plus `why` when given.
    public static func sliceText(z: Int, slices: Int, why: String? = nil) -> String {
        slices <= 1 ? "2D image" : "axial slice \(z + 1) of \(slices)" + (why.map { " (\($0))" } ?? "")
    }

    /// The convention line under every slice figure's title.
    public static let conventionText = "radiological view: patient's right on the left (R), anterior up (A)"
}
