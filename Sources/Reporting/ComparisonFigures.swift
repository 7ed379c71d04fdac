import Foundation
import MedIO
import Training

/// The figures of a `semiseg compare` folder, written to `RUN/figures/`:
/// - `dice_bars.png`: test foreground Dice per strategy, mean ± std over seeds, single seeds as dots;
/// - `curves.png`: training loss and validation Dice per epoch, one line per strategy (lowest seed);
/// - `montage_<case>.png`: per strategy, image | ground truth | prediction on the slice with most foreground;
/// - `uncertainty_<case>.png`: uncertainty heat maps (MC dropout, ensembles) with colour bars;
/// - `<map>_<case>.png` for a map counting sampled masks (`UncertaintyScale.sampleCount`, e.g. MC dropout's
///   `mc_mask_sum`): the sum of the T sampled masks (bright = certain);
/// - `slices_<case>.gif` (3D data): an animation through the axial slices with the best strategy's prediction.
public enum ComparisonFigures {
    /// Renders every figure the folder has data for and returns the written files. `log` receives one line per
    /// figure that had to be skipped (e.g. a dataset that is no longer on disk). `maps`: the uncertainty maps the
    /// strategies declare (`Strategy.uncertaintyMaps`).
    @discardableResult
    public static func renderAll(compareDirectory: URL, maps: [UncertaintyMap] = [], log: (String) -> Void = { _ in }) throws -> [URL] {
        let folder = try CompareFolder(compareDirectory)
        let out = compareDirectory.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var written: [URL] = []
        func save(_ image: PixelImage, _ name: String) throws {
            let url = out.appendingPathComponent(name)
            try PNG.write(image, to: url.path)
            written.append(url)
        }
        if let bars = diceBars(folder) { try save(bars, "dice_bars.png") } else { log("dice_bars.png: no Dice values in summary.json or the cells") }
        if let curves = curves(folder) { try save(curves, "curves.png") } else { log("curves.png: no metrics.csv in the cells") }
        for (i, id) in selectedCases(folder).enumerated() {
            let stem = NiftiFiles.stem(id)
            do {
                var data = try CaseData(folder: folder, caseID: id)
                data.catalogue = MapCatalogue(declared: maps)
                if i > 0 { data.role = "hardest test case (lowest mean Dice)" }
                try save(montage(folder, data), "montage_\(stem).png")
                if let u = uncertainty(folder, data) { try save(u, "uncertainty_\(stem).png") }
                for (name, m) in sampleCounts(folder, data) { try save(m, "\(name)_\(stem).png") }
                if let gif = flipBook(folder, data) {
                    let url = out.appendingPathComponent("slices_\(stem).gif")
                    do { try writeAtomically(gif, to: url) } catch { throw MedIOError(url.path, "could not write the GIF: \(error)") }
                    written.append(url)
                }
            } catch let e as MedIOError {
                log("case figures for \(id) skipped: \(e.file): \(e.problem)")
            }
        }
        return written
    }

    // MARK: - Dice bars

    /// Foreground Dice per strategy as bars (mean over seeds) with ±1 std error bars and one dot per seed.
    static func diceBars(_ f: CompareFolder) -> PixelImage? {
        var bars: [ChartBar] = [], seedCounts = Set<Int>()
        for (i, s) in f.strategies.enumerated() {
            let d = f.foregroundDice(s)
            guard let m = d.mean else { continue }
            seedCounts.insert(d.seeds.count)
            bars.append(ChartBar(label: s, value: m, error: d.std, points: d.seeds.count > 1 ? d.seeds : [], color: RGB.series(i)))
        }
        guard !bars.isEmpty else { return nil }
        let nCases = f.testCases.count
        let subtitle: String
        if seedCounts == [1] || seedCounts == [0] {
            subtitle = "one seed per strategy (no spread over seeds to show); \(nCases) test cases"
        } else {
            let seeds = seedCounts.count == 1 ? "\(seedCounts.first ?? 0) seeds" : "seeds"
            subtitle = "bar = mean over \(seeds), whisker = ± 1 std, dots = single seeds; \(nCases) test cases"
        }
        return Charts.barChart(title: "Test foreground Dice per strategy", subtitle: subtitle,
                               yLabel: "Dice (higher is better)", bars: bars, yRange: 0...1)
    }

    // MARK: - Curves

    /// Training loss and validation Dice against epoch, one line per strategy (its lowest seed).
    static func curves(_ f: CompareFolder) -> PixelImage? {
        var loss: [ChartSeries] = [], dice: [ChartSeries] = []
        var seedsUsed = Set<Int>()
        for (i, s) in f.strategies.enumerated() {
            guard let cell = f.cells[s]?.first else { continue }
            let m = f.metrics(cell)
            guard let epochs = m["epoch"], !epochs.isEmpty else { continue }
            seedsUsed.insert(cell.seed)
            let col = RGB.series(i)
            if let l = m["loss"] { loss.append(ChartSeries(name: s, color: col, points: Array(zip(epochs, l)).map { (x: $0.0, y: $0.1) })) }
            if let v = m["val_dice"] { dice.append(ChartSeries(name: s, color: col, points: Array(zip(epochs, v)).map { (x: $0.0, y: $0.1) })) }
        }
        guard !loss.isEmpty else { return nil }
        // A curve identical to an earlier one (an ensemble trains exactly like supervised) would hide it: say so.
        func markDuplicates(_ series: inout [ChartSeries]) {
            for j in series.indices {
                if let i = series[..<j].firstIndex(where: { same($0.points, series[j].points) }) { series[j].name += " (= \(series[i].name))" }
            }
        }
        func same(_ a: [(x: Double, y: Double)], _ b: [(x: Double, y: Double)]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.x == $1.x && ($0.y == $1.y || ($0.y.isNaN && $1.y.isNaN)) }
        }
        markDuplicates(&loss)
        markDuplicates(&dice)
        let seedText = seedsUsed.count == 1 ? "seed \(seedsUsed.first ?? 0)" : "first seed of each strategy"
        let left = Charts.lineChart(title: "Training loss (\(seedText))", xLabel: "epoch", yLabel: "loss (lower is better)", series: loss)
        guard dice.contains(where: { $0.points.contains { $0.y.isFinite } }) else { return left }
        let right = Charts.lineChart(title: "Validation Dice (\(seedText))", xLabel: "epoch", yLabel: "Dice (higher is better)",
                                     series: dice, yRange: 0...1)
        return Canvas.hstack([left, right], gap: 16)
    }

    // MARK: - Case selection

    /// Up to two test cases: the first, and the hardest (lowest Dice averaged over strategies) when different.
    static func selectedCases(_ f: CompareFolder) -> [String] {
        let cases = f.testCases
        guard let first = cases.first else { return [] }
        var sums: [String: (Double, Int)] = [:]
        for s in f.strategies { if let c = f.cells[s]?.first { for (id, d) in f.caseDice(c) { let p = sums[id] ?? (0, 0); sums[id] = (p.0 + d, p.1 + 1) } } }
        let hardest = sums.min { $0.value.0 / Double($0.value.1) < $1.value.0 / Double($1.value.1) || ($0.value.0 / Double($0.value.1) == $1.value.0 / Double($1.value.1) && $0.key < $1.key) }?.key
        if let h = hardest, h != first, cases.contains(h) { return [first, h] }
        return [first]
    }

}
