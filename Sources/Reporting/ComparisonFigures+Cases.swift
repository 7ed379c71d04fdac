import Foundation
import MedIO
import Training

/// Everything the case figures need about one test case, reoriented to RAS (anterior up) and sliced once.
struct CaseData {
    var caseID: String
    /// How the case was chosen, for titles ("test case" or "hardest test case (...)").
    var role = "test case"
    var image: Volume
    var truth: Volume?
    /// Per strategy (first seed): the cell, its prediction and its uncertainty maps / extras by name.
    var rows: [(cell: CompareFolder.Cell, prediction: Volume?, maps: [String: Volume])]
    var classes: Int
    /// Axial slice shown (RAS volume index) and whether the data are 2D (a single slice).
    var z: Int
    var is2D: Bool
    var window: (lo: Float, hi: Float)
    /// Integer enlargement so panels are about 220 pixels wide.
    var scale: Int

    /// The uncertainty maps the strategies declare (captions, scales, panel order).
    var catalogue = MapCatalogue()

    init(folder: CompareFolder, caseID: String) throws {
        self.caseID = caseID
        let stem = NiftiFiles.stem(caseID)
        guard let first = folder.strategies.lazy.compactMap({ folder.cells[$0]?.first }).first else {
            throw MedIOError(folder.directory.path, "no cells to read predictions from")
        }
        guard let config = folder.cellConfig(first) else { throw MedIOError(first.directory.appendingPathComponent("config.json").path, "no readable run config (\"data\" folder)") }
        let dataPath = config.data
        let ds = try MSDDataset.load(dataPath)
        guard let c = (ds.test + ds.training).first(where: { $0.id == caseID }) else { throw MedIOError(dataPath, "no case \(caseID)") }
        let (img, lab) = try ds.read(c)
        image = img.channel(0).reorientedToRAS().volume
        truth = lab?.reorientedToRAS().volume
        classes = max(2, config.classes)
        var rows: [(cell: CompareFolder.Cell, prediction: Volume?, maps: [String: Volume])] = []
        let fm = FileManager.default
        for s in folder.strategies {
            guard let cell = folder.cells[s]?.first else { continue }
            let predDir = cell.directory.appendingPathComponent("predictions")
            let predPath = predDir.appendingPathComponent(caseID).path
            let pred = fm.fileExists(atPath: predPath) ? try Nifti.read(predPath).reorientedToRAS().volume : nil
            var maps: [String: Volume] = [:]
            let uDir = predDir.appendingPathComponent("uncertainty")
            for name in (try? fm.contentsOfDirectory(atPath: uDir.path)) ?? [] where name.hasPrefix(stem + "_") {
                let key = NiftiFiles.stem(String(name.dropFirst(stem.count + 1)))
                maps[key] = try Nifti.read(uDir.appendingPathComponent(name).path).reorientedToRAS().volume
            }
            rows.append((cell, pred, maps))
        }
        self.rows = rows
        if let prep = try? Preprocessing.load(first.directory.appendingPathComponent("preprocessing.json")) {
            labelNames = Dictionary(uniqueKeysWithValues: prep.labelNames.compactMap { k, v in Int(k).map { ($0, v) } })
        } else {
            labelNames = ds.labels
        }
        let nz = image.spatialShape[2]
        is2D = nz == 1
        z = truth.map { CaseMontage.slice(withMostForeground: $0) } ?? rows.compactMap(\.prediction).first.map { CaseMontage.slice(withMostForeground: $0) } ?? nz / 2
        window = CaseMontage.window(image.axialSlice(z))
        let s = image.spatialShape
        scale = max(1, Int((240.0 / Double(max(s[0], s[1], 1))).rounded()))
    }

    /// The slice of `v` (on the image grid) at `z`, or nil when `v` does not match the image grid.
    func slice(_ v: Volume?) -> Slice? {
        guard let v, v.spatialShape == image.spatialShape else { return nil }
        return v.axialSlice(z)
    }

    var where_: String { SliceDecorations.sliceText(z: z, slices: image.spatialShape[2], why: "most foreground") }

    /// Label names by value, from the first cell's preprocessing.json (dataset.json's labels).
    var labelNames: [Int: String] = [:]

    /// The legend of label colours, plus the ground-truth line when `boundary`.
    func legend(boundary: Bool) -> PixelImage {
        SliceDecorations.labelLegend(classes: classes, names: labelNames,
                                     extra: boundary ? [(ComparisonFigures.yellow, "ground-truth boundary")] : [])
    }
}

extension ComparisonFigures {
    static let yellow = RGB(255, 225, 25)

    /// Grey image with optional label overlay and an optional ground-truth boundary drawn in yellow, framed by the
    /// R/L/A/P orientation letters (radiological view).
    static func labelPanel(_ d: CaseData, labels: Slice?, boundary: Slice?) -> PixelImage {
        let base = d.image.axialSlice(d.z)
        var p = Overlay.render(image: base, labels: labels, window: d.window).scaled(by: d.scale)
        if let b = boundary {
            let l = b.labels, w = b.width, h = b.height, s = d.scale
            for r in 0..<h {
                for c in 0..<w where l[r * w + c] > 0 {
                    let edge = (r > 0 && l[(r - 1) * w + c] == 0) || (r < h - 1 && l[(r + 1) * w + c] == 0)
                        || (c > 0 && l[r * w + c - 1] == 0) || (c < w - 1 && l[r * w + c + 1] == 0)
                    guard edge else { continue }
                    // Draw the boundary pixel's outer rim in the enlarged panel (1 screen pixel wide).
                    for yy in 0..<s { for xx in 0..<s where yy == 0 || xx == 0 || yy == s - 1 || xx == s - 1 {
                        let o = ((r * s + yy) * p.width + c * s + xx) * 3
                        p.pixels[o] = yellow.r; p.pixels[o + 1] = yellow.g; p.pixels[o + 2] = yellow.b
                    } }
                }
            }
        }
        return SliceDecorations.withOrientationMarkers(p)
    }

    /// `image` unchanged: label panels and heat panels both start their slice `SliceDecorations.markerMargin` below
    /// the top, so they line up in one row.
    static func alignedWithHeat(_ image: PixelImage) -> PixelImage { image }

    /// A heat map of `slice` over `0...top` framed by the orientation letters, with its colour bar on the right.
    static func heatPanel(_ d: CaseData, _ slice: Slice, top: Float, colormap: Colormap, barLabel: String) -> PixelImage {
        heatPanel(slice, scale: d.scale, top: top, colormap: colormap, barLabel: barLabel)
    }

    /// A heat map of `slice` (enlarged by `scale`) over `0...top` framed by the orientation letters, with its colour
    /// bar on the right, the bar's scale spanning exactly the slice's rows.
    static func heatPanel(_ slice: Slice, scale: Int, top: Float, colormap: Colormap, barLabel: String) -> PixelImage {
        let m = SliceDecorations.markerMargin
        let heat = SliceDecorations.withOrientationMarkers(
            colormap.render(slice.values, width: slice.width, height: slice.height, window: (0, top)).scaled(by: scale))
        let bar = Charts.colorBar(colormap, lo: 0, hi: Double(top), height: heat.height - 2 * m, label: barLabel)
        let barTop = m - (BitmapFont.height(scale: Charts.textScale) / 2 + 1)
        var c = Canvas(width: heat.width + bar.width, height: max(heat.height, barTop + bar.height))
        c.paste(heat, x: 0, y: 0)
        c.paste(bar, x: heat.width, y: barTop)
        return c.image
    }

    /// Lays out rows of captioned panels under a title: each row has a label line, each panel a caption above it.
    static func grid(title: [String], rows: [(label: String, panels: [(caption: String, image: PixelImage)])], legend: PixelImage? = nil) -> PixelImage {
        let s = Charts.textScale, th = BitmapFont.height(scale: s), gap = 22
        var rowImages: [PixelImage] = []
        for row in rows {
            let panels = row.panels.map { p -> PixelImage in
                let w = max(p.image.width, BitmapFont.width(p.caption, scale: s))
                var c = Canvas(width: w, height: th + 6 + p.image.height)
                c.text(p.caption, x: p.image.width / 2, y: 0, scale: s, anchor: .topCenter)
                c.paste(p.image, x: 0, y: th + 6)
                return c.image
            }
            let body = Canvas.hstack(panels, gap: gap)
            var c = Canvas(width: max(body.width, BitmapFont.width(row.label, scale: s)), height: th + 8 + body.height)
            c.text(row.label, x: 0, y: 0, scale: s, .black)
            c.fill(x: 0, y: th + 3, w: c.width, h: 1, .lightGray)
            c.paste(body, x: 0, y: th + 8)
            rowImages.append(c.image)
        }
        let body = Canvas.vstack(rowImages + (legend.map { [$0] } ?? []), gap: 18)
        var framed = Canvas(width: body.width + 24, height: body.height + 12)
        framed.paste(body, x: 12, y: 0)
        return titledBlock(framed.image, title)
    }

    /// `image` under title lines, all at the chart text size (first line black, the rest grey).
    static func titledBlock(_ image: PixelImage, _ lines: [String]) -> PixelImage {
        let s = Charts.textScale, th = BitmapFont.height(scale: s)
        let w = max(image.width, (lines.map { BitmapFont.width($0, scale: s) }.max() ?? 0) + 24)
        let head = 12 + lines.count * (th + 8) + 6
        var c = Canvas(width: w, height: head + image.height)
        for (i, l) in lines.enumerated() { c.text(l, x: w / 2, y: 12 + i * (th + 8), scale: s, i == 0 ? .black : .darkGray, anchor: .topCenter) }
        c.paste(image, x: (w - image.width) / 2, y: head)
        return c.image
    }

    // MARK: - Montage

    /// Rows = strategies (first seed): image | ground truth | prediction (with the ground-truth boundary in yellow).
    static func montage(_ f: CompareFolder, _ d: CaseData) -> PixelImage {
        let truth = d.slice(d.truth)
        var rows: [(label: String, panels: [(caption: String, image: PixelImage)])] = []
        for r in d.rows {
            let dice = f.caseDice(r.cell)[d.caseID].map { String(format: "Dice %.3f on this case", $0) } ?? "no Dice recorded"
            let pred = d.slice(r.prediction)
            rows.append(("\(r.cell.strategy) (seed \(r.cell.seed)): \(dice)", [
                ("image", labelPanel(d, labels: nil, boundary: nil)),
                ("ground truth", labelPanel(d, labels: truth, boundary: nil)),
                (pred == nil ? "no prediction file" : "prediction", labelPanel(d, labels: pred, boundary: truth)),
            ]))
        }
        return grid(title: ["\(d.role.prefix(1).uppercased() + d.role.dropFirst()) \(NiftiFiles.stem(d.caseID)): \(d.where_)",
                            "coloured = segmentation; yellow line = ground-truth boundary", SliceDecorations.conventionText],
                    rows: rows, legend: d.legend(boundary: true))
    }

    // MARK: - Uncertainty

    /// Heat maps of every uncertainty map of the strategies that produce more than entropy (all strategies when none
    /// does): entropy-type maps over the fixed range 0...ln K, variance over its largest value in the figure.
    static func uncertainty(_ f: CompareFolder, _ d: CaseData) -> PixelImage? {
        let withMaps = d.rows.filter { r in r.maps.keys.contains { $0 != "entropy" && !d.catalogue.isSampleCount($0) } }
        let chosen = withMaps.isEmpty ? d.rows.filter { $0.maps["entropy"] != nil } : withMaps
        guard !chosen.isEmpty else { return nil }
        let lnK = Float(log(Double(d.classes)))
        var tops: [String: Float] = [:]
        for r in chosen { for (k, v) in r.maps { if let s = d.slice(v) { tops[k] = max(tops[k] ?? 0, s.values.max() ?? 0) } } }
        var rows: [(label: String, panels: [(caption: String, image: PixelImage)])] = []
        for r in chosen {
            var panels: [(caption: String, image: PixelImage)] = [("prediction", alignedWithHeat(labelPanel(d, labels: d.slice(r.prediction), boundary: d.slice(d.truth))))]
            for key in d.catalogue.heatMapOrder(r.maps.keys) {
                guard let s = d.slice(r.maps[key]) else { continue }
                let top = d.catalogue.isNats(key) ? lnK : max(tops[key] ?? 0, 1e-6)
                let cap = d.catalogue.caption(key)
                panels.append((cap.caption, heatPanel(d, s, top: top, colormap: .inferno, barLabel: cap.bar)))
            }
            rows.append(("\(r.cell.strategy) (seed \(r.cell.seed))", panels))
        }
        return grid(title: ["Uncertainty, \(d.role) \(NiftiFiles.stem(d.caseID)): \(d.where_)",
                            "bright = uncertain; entropies run from 0 (sure) to ln \(d.classes) = \(String(format: "%.2f", lnK)) nats (coin flip)",
                            "variance = spread of the class probabilities over MC samples or ensemble members (one scale for all rows)",
                            SliceDecorations.conventionText],
                    rows: rows, legend: d.legend(boundary: true))
    }

    // MARK: - Sampled-mask sums

    /// Per map that counts sampled foreground masks (`UncertaintyScale.sampleCount`, e.g. MC dropout's sum of its T
    /// masks; the seed report's view): the number of the T sampled masks that call each pixel foreground. T is the
    /// cell's strategy option the map names, else its declared default.
    static func sampleCounts(_ f: CompareFolder, _ d: CaseData) -> [(name: String, image: PixelImage)] {
        d.catalogue.maps.compactMap { map in
            guard case .sampleCount(let option, let defaultT) = map.scale else { return nil }
            return sampleCount(f, d, map, option: option, defaultT: defaultT).map { (map.name, $0) }
        }
    }

    static func sampleCount(_ f: CompareFolder, _ d: CaseData, _ map: UncertaintyMap, option: String, defaultT: Int) -> PixelImage? {
        var rows: [(label: String, panels: [(caption: String, image: PixelImage)])] = []
        var ts = Set<Int>()
        for r in d.rows {
            guard let s = d.slice(r.maps[map.name]) else { continue }
            let t = f.cellConfig(r.cell)?.strategyOptions[option].flatMap { Int($0) } ?? defaultT
            ts.insert(t)
            rows.append(("\(r.cell.strategy) (seed \(r.cell.seed)), T = \(t) samples", [
                ("image", alignedWithHeat(labelPanel(d, labels: nil, boundary: nil))),
                ("ground truth", alignedWithHeat(labelPanel(d, labels: d.slice(d.truth), boundary: nil))),
                (map.caption, heatPanel(d, s, top: Float(max(t, 1)), colormap: .gray, barLabel: map.unit)),
            ]))
        }
        guard !rows.isEmpty else { return nil }
        let tText = ts.count == 1 ? "T = \(ts.first ?? 0)" : "T"
        return grid(title: ["MC dropout: sum of the \(tText) sampled masks, \(d.role) \(NiftiFiles.stem(d.caseID)): \(d.where_)",
                            "white = all samples say foreground (certain centre), grey = samples disagree (uncertain border), black = none",
                            SliceDecorations.conventionText],
                    rows: rows, legend: d.legend(boundary: false))
    }
}

// MARK: - Slice flip-book

extension ComparisonFigures {
    /// An animated GIF through every axial slice of a 3D case with the prediction of the best strategy (highest
    /// mean foreground Dice; first seed) overlaid, and a caption strip naming strategy and slice. nil for 2D data.
    static func flipBook(_ f: CompareFolder, _ d: CaseData) -> Data? {
        guard !d.is2D else { return nil }
        let ranked = d.rows.filter { $0.prediction != nil }
        guard let best = ranked.max(by: { (f.foregroundDice($0.cell.strategy).mean ?? -1) < (f.foregroundDice($1.cell.strategy).mean ?? -1) }),
              let pred = best.prediction, pred.spatialShape == d.image.spatialShape else { return nil }
        let s = d.image.spatialShape, nz = s[2], sc = d.scale
        let w = s[0] * sc, strip = BitmapFont.height(scale: 1) * 2 + 8, h = s[1] * sc + strip
        var frames: [[UInt8]] = []
        for z in 0..<nz {
            let small = GIF.overlayFrame(image: d.image.axialSlice(z), labels: pred.axialSlice(z), window: d.window)
            var frame = [UInt8](repeating: 0, count: w * h)
            var caption = Canvas(width: w, height: strip, background: .black)
            caption.text("\(best.cell.strategy) (seed \(best.cell.seed))", x: 4, y: 3, scale: 1, .white)
            caption.text("slice \(z + 1) of \(nz), radiological (R left)", x: 4, y: 4 + BitmapFont.height(scale: 1), scale: 1, .white)
            for i in 0..<(w * strip) where caption.image.pixels[3 * i] > 127 { frame[i] = 127 }
            for r in 0..<(s[1] * sc) {
                for c in 0..<w { frame[(strip + r) * w + c] = small[(r / sc) * s[0] + c / sc] }
            }
            frames.append(frame)
        }
        let (r, g, b) = LabelPalette.rgb(1)
        return GIF.encode(frames: frames, width: w, height: h, palette: GIF.overlayPalette(label: RGB(r, g, b)), delay: 12)
    }
}
