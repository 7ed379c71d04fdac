@testable import MedIO
import Testing

@Suite("Slices and overlays")
struct OverlayTests {
    @Test func axialSliceIsRadiological() {
        // 2x3x2 volume, value = x + 10*y + 100*z
        var data = [Float]()
        for z in 0..<2 { for y in 0..<3 { for x in 0..<2 { data.append(Float(x + 10 * y + 100 * z)) } } }
        let v = Volume(shape: [2, 3, 2], data: data, geometry: Geometry(spacing: [1, 1, 1]))
        let s = v.axialSlice(1)
        #expect(s.width == 2 && s.height == 3)
        // Top row = largest y (anterior), left column = largest x (patient's right).
        #expect(s.values == [121, 120, 111, 110, 101, 100])
    }

    @Test func blendAndContours() {
        let base = PixelImage(width: 5, height: 5, channels: 3, pixels: [UInt8](repeating: 100, count: 75))
        var labels = [Int](repeating: 0, count: 25)
        for r in 1...3 { for c in 1...3 { labels[r * 5 + c] = 1 } }
        let out = Overlay.blend(base: base, labels: labels, alpha: 0.5, contours: true)
        #expect(out[0, 0] == [100, 100, 100])          // background untouched
        #expect(out[1, 1] == [230, 25, 75])            // contour: opaque label colour
        #expect(out[2, 2] == [165, 63, 88])            // interior: half-way blend
        let noContour = Overlay.blend(base: base, labels: labels, alpha: 0.5, contours: false)
        #expect(noContour[1, 1] == [165, 63, 88])
    }

    @Test func renderSliceWithLabels() {
        let img = Slice(width: 2, height: 1, values: [0, 100])
        let lab = Slice(width: 2, height: 1, values: [0, 2])
        let out = Overlay.render(image: img, labels: lab, window: (lo: 0, hi: 100), alpha: 0, contours: true)
        #expect(out[0, 0] == [0, 0, 0] && out[0, 1] == [60, 180, 75])
    }
}
