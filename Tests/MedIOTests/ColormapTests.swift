@testable import MedIO
import Testing

@Suite("Colormaps and label palette")
struct ColormapTests {
    @Test func endpointsAndClamping() {
        #expect(Colormap.gray.rgb(0) == (0, 0, 0) && Colormap.gray.rgb(1) == (255, 255, 255))
        #expect(Colormap.gray.rgb(-3) == (0, 0, 0) && Colormap.gray.rgb(.nan) == (0, 0, 0))
        #expect(Colormap.viridis.rgb(0) == (68, 1, 84) && Colormap.viridis.rgb(1) == (253, 231, 37))
        #expect(Colormap.viridis.rgb(0.5) == (33, 145, 140))
        #expect(Colormap.inferno.rgb(0) == (0, 0, 4) && Colormap.inferno.rgb(2) == (252, 255, 164))
    }

    @Test func luminanceIncreases() {
        for map in Colormap.allCases {
            var last = -1.0
            for i in 0...32 {
                let (r, g, b) = map.rgb(Float(i) / 32)
                let y = 0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)
                #expect(y >= last - 1e-9, "\(map) at \(i)")
                last = y
            }
        }
    }

    @Test func renderWindow() {
        let img = Colormap.gray.render([-1000, 40, 400, 2000], width: 2, height: 2, window: (lo: -160, hi: 240))
        #expect(img.channels == 3 && img.pixels.count == 12)
        #expect(img[0, 0] == [0, 0, 0] && img[1, 1] == [255, 255, 255] && img[0, 1] == [128, 128, 128])
    }

    @Test func palette() {
        #expect(LabelPalette.rgb(0) == (0, 0, 0))
        let colours = (1...12).map { LabelPalette.rgb($0) }
        #expect(Set(colours.map { "\($0)" }).count == 12)
        #expect(LabelPalette.rgb(13) == LabelPalette.rgb(1))
        #expect(LabelPalette.render([0, 1], width: 2, height: 1).pixels == [0, 0, 0, 230, 25, 75])
    }
}
