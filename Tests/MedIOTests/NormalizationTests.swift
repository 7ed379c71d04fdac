@testable import MedIO
import Testing

@Suite("Intensity normalisation")
struct NormalizationTests {
    /// Reference values: numpy.percentile(np.arange(1, 101), [0.5, 99.5]) = [1.495, 99.505].
    @Test func percentileMatchesNumpy() {
        let v = (1...100).map(Float.init)
        #expect(abs(CTStatistics.percentile(sorted: v, 0.5) - 1.495) < 1e-4)
        #expect(abs(CTStatistics.percentile(sorted: v, 99.5) - 99.505) < 1e-4)
        #expect(CTStatistics.percentile(sorted: [3], 50) == 3)
    }

    @Test func ctForegroundStatisticsAndApply() throws {
        let g = Geometry(spacing: [1, 1, 1])
        let img = Volume(shape: [10, 10, 1], data: (0..<100).map { Float($0) * 10 - 200 }, geometry: g)
        let lab = Volume(shape: [10, 10, 1], data: (0..<100).map { $0 >= 50 ? 1 : 0 }, geometry: g)
        let s = try #require(CTStatistics.collect([(img, lab)]))
        // foreground = 300, 310, ..., 790: mean 545, population std sqrt((50^2-1)/12)*10
        #expect(abs(s.mean - 545) < 1e-3 && abs(s.std - Float(((2500.0 - 1) / 12).squareRoot() * 10)) < 1e-2)
        #expect(abs(s.lower - 302.45) < 1e-3 && abs(s.upper - 787.55) < 1e-3)
        let n = IntensityNormalization.ct(s).apply(img)
        #expect(abs(n.data[0] - (s.lower - s.mean) / s.std) < 1e-5)      // clipped below
        #expect(abs(n.data[99] - (s.upper - s.mean) / s.std) < 1e-5)     // clipped above
        #expect(n.geometry == img.geometry)
        #expect(CTStatistics.collect([(img, Volume(zeros: [10, 10, 1], geometry: g))]) == nil)
    }

    @Test func windowAndZScore() {
        let g = Geometry(spacing: [1, 1, 1])
        let v = Volume(shape: [4, 1, 1], data: [-1000, -160, 40, 500], geometry: g)
        #expect(IntensityNormalization.window(lower: -160, upper: 240).apply(v).data == [0, 0, 0.5, 1])
        let z = IntensityNormalization.zScore(nonzeroMask: false).apply(Volume(shape: [4, 1, 1], data: [1, 2, 3, 4], geometry: g))
        #expect(abs(z.data.reduce(0, +)) < 1e-5 && abs(z.data.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-5)
        let m = IntensityNormalization.zScore(nonzeroMask: true).apply(Volume(shape: [4, 1, 1], data: [0, 2, 4, 0], geometry: g))
        #expect(m.data == [0, -1, 1, 0])
    }
}
