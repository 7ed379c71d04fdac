import Foundation
import MedIO

/// One line of a line chart: a name for the legend, a colour, and `(x, y)` points (non-finite `y` leaves a gap).
public struct ChartSeries: Sendable {
    public var name: String
    public var color: RGB
    public var points: [(x: Double, y: Double)]
    public init(name: String, color: RGB, points: [(x: Double, y: Double)]) { self.name = name; self.color = color; self.points = points }
}

/// One bar of a bar chart: category label, height, optional error half-width and the individual values behind it.
public struct ChartBar: Sendable {
    public var label: String
    public var value: Double
    public var error: Double?
    public var points: [Double]
    public var color: RGB
    public init(label: String, value: Double, error: Double? = nil, points: [Double] = [], color: RGB) {
        self.label = label; self.value = value; self.error = error; self.points = points; self.color = color
    }
}

/// Line charts, bar charts with error bars and colour bars, drawn on a `Canvas` with titles, axis labels, ticks and legends.
public enum Charts {
    /// Text size (font pixel scale) used for titles, labels and ticks.
    public static let textScale = 2

    // MARK: - Ticks

    /// "Nice" tick values (steps of 1, 2 or 5 times a power of ten) covering `lo...hi` with about `target` ticks.
    public static func niceTicks(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(max(target, 1))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var v = ceil(lo / step - 1e-9) * step
        while v <= hi + step * 1e-9 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }

    /// A tick label with as many decimals as the tick spacing needs.
    public static func tickLabel(_ v: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int(ceil(-log10(step) - 1e-9)))
        return String(format: "%.\(decimals)f", v)
    }

    /// A compact value label: 3 significant digits, scientific notation for very small or large magnitudes.
    public static func valueLabel(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) < 1e-3 || abs(v) >= 1e5 { return String(format: "%.1e", v) }
        return String(format: "%.3g", v)
    }

    // MARK: - Line chart

    /// A line chart: title on top, y label rotated on the left, x label and legend below, light grid at the ticks.
    /// `yRange` fixes the y axis (default: the data range padded by 5%).
    public static func lineChart(title: String, xLabel: String, yLabel: String, series: [ChartSeries],
                                 width: Int = 560, plotHeight: Int = 300, yRange: ClosedRange<Double>? = nil) -> PixelImage {
        let s = textScale, th = BitmapFont.height(scale: s)
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        var xlo = xs.min() ?? 0, xhi = xs.max() ?? 1
        if xhi <= xlo { xlo -= 1; xhi += 1 }
        var ylo = yRange?.lowerBound ?? (ys.min() ?? 0), yhi = yRange?.upperBound ?? (ys.max() ?? 1)
        if yRange == nil { let pad = max((yhi - ylo) * 0.05, 1e-6); ylo -= pad; yhi += pad }
        if yhi <= ylo { ylo -= 0.5; yhi += 0.5 }
        let yt = niceTicks(ylo, yhi), xt = niceTicks(xlo, xhi, target: min(8, max(1, Int(xhi - xlo))))
        let ystep = yt.count > 1 ? yt[1] - yt[0] : 1, xstep = xt.count > 1 ? xt[1] - xt[0] : 1
        let yLabels = yt.map { tickLabel($0, step: ystep) }
        let tickW = yLabels.map { BitmapFont.width($0, scale: s) }.max() ?? 0
        let left = 10 + th + 10 + tickW + 8, right = 20, top = 10 + th + 14
        let plotW = width - left - right
        // Legend rows below the x label.
        let legend = legendRows(series.enumerated().map { ($0.element.name, $0.element.color, dashes[$0.offset % dashes.count]) }, maxWidth: width - 20)
        let bottom = 8 + th + 10 + th + 12 + legend.count * (th + 8) + 6
        var c = Canvas(width: width, height: top + plotHeight + bottom)
        c.text(title, x: width / 2, y: 10, scale: s, .black, anchor: .topCenter)
        func px(_ x: Double) -> Int { left + Int(((x - xlo) / (xhi - xlo) * Double(plotW - 1)).rounded()) }
        func py(_ y: Double) -> Int { top + plotHeight - 1 - Int(((min(max(y, ylo), yhi) - ylo) / (yhi - ylo) * Double(plotHeight - 1)).rounded()) }
        for (v, l) in zip(yt, yLabels) {
            c.fill(x: left, y: py(v), w: plotW, h: 1, .lightGray)
            c.fill(x: left - 5, y: py(v), w: 5, h: 1, .darkGray)
            c.text(l, x: left - 8, y: py(v), scale: s, anchor: .centerRight)
        }
        for v in xt {
            c.fill(x: px(v), y: top, w: 1, h: plotHeight, .lightGray)
            c.fill(x: px(v), y: top + plotHeight, w: 1, h: 5, .darkGray)
            c.text(tickLabel(v, step: xstep), x: px(v), y: top + plotHeight + 8, scale: s, anchor: .topCenter)
        }
        // Solid, dashed, dotted, ...: identical curves (e.g. an ensemble trains exactly like supervised) stay visible.
        for (si, sr) in series.enumerated() {
            var prev: (Int, Int)?
            for p in sr.points {
                guard p.x.isFinite, p.y.isFinite else { prev = nil; continue }
                let q = (px(p.x), py(p.y))
                if let a = prev { c.line(a.0, a.1, q.0, q.1, sr.color, thickness: 2, dash: dashes[si % dashes.count]) }
                c.dot(q.0, q.1, radius: 2, sr.color)
                prev = q
            }
        }
        c.stroke(x: left, y: top, w: plotW, h: plotHeight, .darkGray)
        c.verticalText(yLabel, cx: 10 + th / 2, cy: top + plotHeight / 2, scale: s)
        let xLabelY = top + plotHeight + 8 + th + 10
        c.text(xLabel, x: left + plotW / 2, y: xLabelY, scale: s, anchor: .topCenter)
        drawLegend(&c, legend, top: xLabelY + th + 12, width: width)
        return c.image
    }

    /// Dash lengths of series 0, 1, 2, ... (0 = solid).
    static let dashes = [0, 7, 3, 12, 5]

    /// Legend entries packed into rows no wider than `maxWidth`.
    static func legendRows(_ entries: [(String, RGB, Int)], maxWidth: Int) -> [[(String, RGB, Int)]] {
        var rows: [[(String, RGB, Int)]] = [], row: [(String, RGB, Int)] = [], w = 0
        for e in entries {
            let ew = legendEntryWidth(e.0)
            if !row.isEmpty && w + ew > maxWidth { rows.append(row); row = []; w = 0 }
            row.append(e); w += ew
        }
        if !row.isEmpty { rows.append(row) }
        return rows
    }

    static func legendEntryWidth(_ name: String) -> Int { 30 + 6 + BitmapFont.width(name, scale: textScale) + 20 }

    static func drawLegend(_ c: inout Canvas, _ rows: [[(String, RGB, Int)]], top: Int, width: Int) {
        let th = BitmapFont.height(scale: textScale)
        for (i, row) in rows.enumerated() {
            let rw = row.reduce(0) { $0 + legendEntryWidth($1.0) } - 20
            var x = (width - rw) / 2
            let y = top + i * (th + 8)
            for (name, col, dash) in row {
                c.line(x, y + th / 2, x + 29, y + th / 2, col, thickness: 2, dash: dash)
                c.dot(x + 15, y + th / 2, radius: 2, col)
                c.text(name, x: x + 36, y: y, scale: textScale)
                x += legendEntryWidth(name)
            }
        }
    }

    // MARK: - Bar chart

    /// Vertical bars with error bars (±`error`), individual values as dots and the value printed above each bar.
    public static func barChart(title: String, subtitle: String? = nil, yLabel: String, bars: [ChartBar],
                                yRange: ClosedRange<Double> = 0...1, plotHeight: Int = 300) -> PixelImage {
        let s = textScale, th = BitmapFont.height(scale: s)
        let yt = niceTicks(yRange.lowerBound, yRange.upperBound)
        let ystep = yt.count > 1 ? yt[1] - yt[0] : 1
        let yLabels = yt.map { tickLabel($0, step: ystep) }
        let tickW = yLabels.map { BitmapFont.width($0, scale: s) }.max() ?? 0
        let valueTexts = bars.map { b in b.error.map { "\(fmt3(b.value)) ± \(fmt3($0))" } ?? fmt3(b.value) }
        let slot = max(90, (zip(bars, valueTexts).map { max(BitmapFont.width($0.label, scale: s), BitmapFont.width($1, scale: s)) }.max() ?? 0) + 16)
        let axisRoom = 10 + th + 10 + tickW + 8, right = 16
        let top = 10 + th + 8 + (subtitle == nil ? 0 : th + 6) + 6
        let plotW = slot * max(bars.count, 1)
        let width = max(axisRoom + plotW + right, BitmapFont.width(title, scale: s) + 20, BitmapFont.width(subtitle ?? "", scale: s) + 20)
        // Centre the axes under a wider title.
        let shift = (width - (axisRoom + plotW + right)) / 2, left = axisRoom + shift
        let bottom = 8 + th + 6 + th + 10
        var c = Canvas(width: width, height: top + plotHeight + bottom)
        c.text(title, x: width / 2, y: 10, scale: s, .black, anchor: .topCenter)
        if let subtitle { c.text(subtitle, x: width / 2, y: 10 + th + 6, scale: s, anchor: .topCenter) }
        let (ylo, yhi) = (yRange.lowerBound, yRange.upperBound)
        func py(_ y: Double) -> Int { top + plotHeight - 1 - Int(((min(max(y, ylo), yhi) - ylo) / (yhi - ylo) * Double(plotHeight - 1)).rounded()) }
        for (v, l) in zip(yt, yLabels) {
            c.fill(x: left, y: py(v), w: plotW, h: 1, .lightGray)
            c.fill(x: left - 5, y: py(v), w: 5, h: 1, .darkGray)
            c.text(l, x: left - 8, y: py(v), scale: s, anchor: .centerRight)
        }
        for (i, (b, vt)) in zip(bars, valueTexts).enumerated() {
            let cx = left + i * slot + slot / 2, bw = Int(Double(slot) * 0.5)
            let y0 = py(max(ylo, 0)), y1 = py(b.value)
            if b.value.isFinite { c.fill(x: cx - bw / 2, y: min(y0, y1), w: bw, h: abs(y0 - y1) + 1, b.color) }
            if let e = b.error, e.isFinite, b.value.isFinite {
                let ea = py(b.value + e), eb = py(b.value - e)
                c.line(cx, ea, cx, eb, .black, thickness: 2)
                c.fill(x: cx - 8, y: ea - 1, w: 17, h: 2, .black)
                c.fill(x: cx - 8, y: eb - 1, w: 17, h: 2, .black)
            }
            for (k, v) in b.points.enumerated() where v.isFinite {
                let dx = b.points.count > 1 ? (k * 2 - (b.points.count - 1)) * 5 : 0
                c.dot(cx + dx, py(v), radius: 3, .black)
                c.dot(cx + dx, py(v), radius: 2, .white)
            }
            // Category name, and the value under it (never collides with whiskers near the top of the axis).
            c.fill(x: cx, y: top + plotHeight, w: 1, h: 5, .darkGray)
            c.text(b.label, x: cx, y: top + plotHeight + 8, scale: s, .black, anchor: .topCenter)
            c.text(b.value.isFinite ? vt : "n/a", x: cx, y: top + plotHeight + 8 + th + 6, scale: s, anchor: .topCenter)
        }
        c.stroke(x: left, y: top, w: plotW, h: plotHeight, .darkGray)
        c.verticalText(yLabel, cx: shift + 10 + th / 2, cy: top + plotHeight / 2, scale: s)
        return c.image
    }

    static func fmt3(_ v: Double) -> String { String(format: "%.3f", v) }

    // MARK: - Colour bar

    /// A vertical colour bar for `colormap` over `lo...hi` (`height` pixels), with tick values on its right and a
    /// rotated `label` beyond them.
    public static func colorBar(_ colormap: Colormap, lo: Double, hi: Double, height: Int, label: String) -> PixelImage {
        let s = textScale, th = BitmapFont.height(scale: s), barW = 16
        var ticks = niceTicks(lo, hi, target: 4).filter { $0 >= lo - 1e-12 && $0 <= hi + 1e-12 }
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : max(hi - lo, 1e-9)
        var labels = ticks.map { step < 1e-3 ? valueLabel($0) : tickLabel($0, step: step) }
        // Always label the top of the scale (e.g. T of T masks) unless a tick sits close to it.
        if let last = ticks.last, hi - last > 0.3 * step { ticks.append(hi); labels.append(valueLabel(hi)) }
        let tickW = labels.map { BitmapFont.width($0, scale: s) }.max() ?? 0
        // The rotated label at full size when it fits beside the bar, else at half size.
        let ls = BitmapFont.width(label, scale: s) <= height ? s : 1
        let labelRoom = BitmapFont.width(label, scale: ls) <= height ? BitmapFont.height(scale: ls) + 8 : 0
        let width = 4 + barW + 6 + tickW + 8 + labelRoom
        let pad = th / 2 + 1
        var c = Canvas(width: width, height: height + 2 * pad)
        for r in 0..<height {
            let t = Float(height - 1 - r) / Float(max(height - 1, 1))
            let (cr, cg, cb) = colormap.rgb(t)
            c.fill(x: 4, y: pad + r, w: barW, h: 1, RGB(cr, cg, cb))
        }
        c.stroke(x: 4, y: pad, w: barW, h: height, .darkGray)
        for (v, l) in zip(ticks, labels) {
            let y = pad + height - 1 - Int(((v - lo) / max(hi - lo, 1e-12) * Double(height - 1)).rounded())
            // Tick marks inside the bar, so they never read as a minus sign in front of the value.
            c.fill(x: 4 + barW - 5, y: y, w: 5, h: 1, .darkGray)
            c.text(l, x: 4 + barW + 6, y: y, scale: s, anchor: .centerLeft)
        }
        if labelRoom > 0 { c.verticalText(label, cx: width - BitmapFont.height(scale: ls) / 2 - 2, cy: pad + height / 2, scale: ls) }
        return c.image
    }
}
