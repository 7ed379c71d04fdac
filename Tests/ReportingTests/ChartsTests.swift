import MedIO
import Testing
@testable import Reporting

@Suite struct ChartsTests {
    @Test func niceTicksUseRoundSteps() {
        let unit = Charts.niceTicks(0, 1)
        #expect(unit.count == 6 && zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1]).allSatisfy { abs($0 - $1) < 1e-9 })
        let t = Charts.niceTicks(0.13, 0.87)
        #expect(t.first! >= 0.13 && t.last! <= 0.87)
        #expect(Charts.niceTicks(1, 20, target: 4) == [5, 10, 15, 20])
        #expect(Charts.tickLabel(0.2, step: 0.2) == "0.2")
        #expect(Charts.tickLabel(15, step: 5) == "15")
    }

    /// Rows covered by `color` in column `x`.
    func columnRun(_ img: PixelImage, x: Int, color: RGB) -> Int {
        (0..<img.height).filter { y in let p = img[y, x]; return p[0] == color.r && p[1] == color.g && p[2] == color.b }.count
    }

    @Test func barHeightsAreProportionalToValues() throws {
        let red = RGB(200, 0, 0), blue = RGB(0, 0, 200)
        let img = Charts.barChart(title: "t", yLabel: "y", bars: [ChartBar(label: "a", value: 0.25, color: red),
                                                                   ChartBar(label: "b", value: 0.75, color: blue)], plotHeight: 401)
        // Find the colour columns, then compare heights.
        let redCol = try #require((0..<img.width).first { columnRun(img, x: $0, color: red) > 0 })
        let blueCol = try #require((0..<img.width).first { columnRun(img, x: $0, color: blue) > 0 })
        let hr = columnRun(img, x: redCol, color: red), hb = columnRun(img, x: blueCol, color: blue)
        #expect(abs(hr - 101) <= 2, "0.25 of a 401-pixel axis")
        #expect(abs(hb - 301) <= 2, "0.75 of a 401-pixel axis")
    }

    @Test func lineChartDrawsEverySeriesColour() {
        let a = RGB(1, 2, 250), b = RGB(250, 2, 1)
        let img = Charts.lineChart(title: "loss", xLabel: "epoch", yLabel: "loss", series: [
            ChartSeries(name: "one", color: a, points: [(1, 1), (2, 0.5), (3, .nan), (4, 0.2)]),
            ChartSeries(name: "two", color: b, points: [(1, 0.9), (2, 0.7), (3, 0.6), (4, 0.5)]),
        ])
        func count(_ c: RGB) -> Int { stride(from: 0, to: img.pixels.count, by: 3).filter { img.pixels[$0] == c.r && img.pixels[$0 + 1] == c.g && img.pixels[$0 + 2] == c.b }.count }
        #expect(count(a) > 50 && count(b) > 50)
    }

    @Test func colorBarRunsFromDarkToBright() {
        let img = Charts.colorBar(.inferno, lo: 0, hi: 0.69, height: 100, label: "entropy")
        func lum(_ y: Int) -> Int { let p = img[y, 10]; return Int(p[0]) + Int(p[1]) + Int(p[2]) }
        let pad = BitmapFont.height(scale: Charts.textScale) / 2 + 1
        #expect(lum(pad + 2) > lum(pad + 97) + 300, "top is bright (high), bottom dark (low)")
    }
}
