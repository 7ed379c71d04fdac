import Foundation
import MedIO
@testable import Reporting
import Testing

/// Every slice picture is radiological: the patient's left on the viewer's right, anterior up, with R/L/A/P letters.
/// A volume carries a bright marker at the patient's left-anterior corner and a dark one at the right-posterior
/// corner (placed by world position, so the voxel order differs between the RAS and LPS files); the PNG written
/// from either file must show the bright marker top-right and the dark one bottom-left.
@Suite("Radiological orientation of slice pictures")
struct RadiologicalOrientationTests {
    let nx = 24, ny = 20, nz = 3

    /// RAS: x = 2i - 23 (towards the patient's left as i decreases), y = 2j - 19. LPS: both axes reversed.
    func affine(_ code: String) -> [[Double]] {
        code == "RAS" ? [[2, 0, 0, -23], [0, 2, 0, -19], [0, 0, 3, 0], [0, 0, 0, 1]]
                      : [[-2, 0, 0, 23], [0, -2, 0, 19], [0, 0, 3, 0], [0, 0, 0, 1]]
    }

    /// Image (500 background, 1000 at the patient's left-anterior corner, 0 at the right-posterior corner) and a label
    /// of the bright marker on slice 1, written as NIfTI with the given affine and read back.
    func files(_ code: String, _ dir: URL) throws -> (image: Volume, label: Volume) {
        let a = affine(code)
        var img = [Float](repeating: 500, count: nx * ny * nz), lab = [Float](repeating: 0, count: nx * ny * nz)
        for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
            let x = a[0][0] * Double(i) + a[0][3], y = a[1][1] * Double(j) + a[1][3]  // RAS+ world mm
            let v = (k * ny + j) * nx + i
            if x < -15 && y > 11 { img[v] = 1000; if k == 1 { lab[v] = 1 } }  // patient's left (-x), anterior (+y)
            if x > 15 && y < -11 { img[v] = 0 }                                // patient's right, posterior
        } } }
        let geo = Geometry(affine: a)
        let ip = dir.appendingPathComponent("img_\(code).nii.gz").path, lp = dir.appendingPathComponent("lab_\(code).nii.gz").path
        try Nifti.write(Volume(shape: [nx, ny, nz], data: img, geometry: geo), to: ip, datatype: .int16)
        try Nifti.write(Volume(shape: [nx, ny, nz], data: lab, geometry: geo), to: lp, datatype: .uint8)
        let image = try Nifti.read(ip), label = try Nifti.read(lp)
        #expect(image.orientation.codes == code)
        return (image, label)
    }

    struct Box { var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        mutating func add(_ x: Int, _ y: Int) { x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x); y1 = max(y1, y) }
        var cx: Double { Double(x0 + x1) / 2 }; var cy: Double { Double(y0 + y1) / 2 }
    }

    @Test(arguments: ["RAS", "LPS"]) func markerOnThePatientsLeftIsDrawnOnTheViewersRight(code: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, _) = try files(code, dir)
        let picture = CaseMontage.render(image: image, caseName: "marker_case", overlays: [], heatmaps: [], classes: 2,
                                         labelNames: [1: "marker"], scale: 4)
        let png = dir.appendingPathComponent("m.png").path
        try PNG.write(picture, to: png)
        let p = try PNG.read(png, channels: 3)
        // The slice panel is where the grey background (500 in the window 0...1000) is.
        var panel = Box(), bright = Box(), dark = Box()
        for r in 0..<p.height { for c in 0..<p.width {
            let px = p[r, c]
            if px == [128, 128, 128] { panel.add(c, r) }
        } }
        #expect(panel.x1 - panel.x0 + 1 == nx * 4 && panel.y1 - panel.y0 + 1 == ny * 4, "panel \(panel)")
        for r in panel.y0...panel.y1 { for c in panel.x0...panel.x1 {
            let px = p[r, c]
            if px == [255, 255, 255] { bright.add(c, r) }
            if px == [0, 0, 0] { dark.add(c, r) }
        } }
        let mid = (x: (Double(panel.x0) + Double(panel.x1)) / 2, y: (Double(panel.y0) + Double(panel.y1)) / 2)
        // Patient's left-anterior: viewer's right, top. Patient's right-posterior: viewer's left, bottom.
        #expect(bright.cx > mid.x && bright.cy < mid.y, "\(code): bright marker at \(bright), panel \(panel)")
        #expect(dark.cx < mid.x && dark.cy > mid.y, "\(code): dark marker at \(dark), panel \(panel)")
        #expect(bright.x1 == panel.x1 && bright.y0 == panel.y0 && dark.x0 == panel.x0 && dark.y1 == panel.y1)
        // Orientation letters in the marker colour: "R" left of the panel, "L" right of it, "A" above, "P" below.
        let o = SliceDecorations.markerColour
        var left = 0, right = 0, above = 0, below = 0
        for r in 0..<p.height { for c in 0..<p.width where p[r, c] == [o.r, o.g, o.b] {
            if c < panel.x0 && r > panel.y0 && r < panel.y1 { left += 1 }
            if c > panel.x1 && r > panel.y0 && r < panel.y1 { right += 1 }
            if r < panel.y0 && c > panel.x0 && c < panel.x1 { above += 1 }
            if r > panel.y1 && c > panel.x0 && c < panel.x1 { below += 1 }
        } }
        #expect(left > 0 && right > 0 && above > 0 && below > 0)
        // "R" and "L" differ: the letter on the right is the L glyph.
        let lGlyph = BitmapFont.glyph("L"), rGlyph = BitmapFont.glyph("R")
        #expect(lGlyph != rGlyph && right == lGlyph.map { $0.nonzeroBitCount }.reduce(0, +) * 4 && left == rGlyph.map { $0.nonzeroBitCount }.reduce(0, +) * 4,
                "letter pixel counts left \(left), right \(right)")
    }

    @Test func titleNamesCaseAndSliceAndHeatMapsHaveAColourBar() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, label) = try files("RAS", dir)
        let entropy = image.with(data: image.data.map { $0 / 1000 * Float(log(2.0)) })
        let withHeat = CaseMontage.render(image: image, caseName: "marker_case", overlays: [("prediction", label)],
                                          heatmaps: [CaseMontage.heatMap(named: "entropy", map: entropy, classes: 2)],
                                          classes: 2, labelNames: [1: "marker"], scale: 4)
        let plain = CaseMontage.render(image: image, caseName: "marker_case", overlays: [("prediction", label)], heatmaps: [],
                                       classes: 2, labelNames: [1: "marker"], scale: 4)
        // The colour bar runs up to inferno's top colour (ln 2 nats); the picture without heat maps has none of it.
        let (tr, tg, tb) = Colormap.inferno.rgb(1)
        func hasTop(_ p: PixelImage) -> Bool { (0..<p.height).contains { r in (0..<p.width).contains { p[r, $0] == [tr, tg, tb] } } }
        #expect(hasTop(withHeat) && !hasTop(plain))
        #expect(SliceDecorations.sliceText(z: 1, slices: 3, why: "most foreground") == "axial slice 2 of 3 (most foreground)")
        #expect(SliceDecorations.sliceText(z: 0, slices: 1) == "2D image")
        #expect(CaseMontage.heatMap(named: "entropy", map: entropy, classes: 3).top == Float(log(3.0)))
        #expect(CaseMontage.heatMap(named: "entropy", map: entropy, classes: 3).barLabel == "entropy (nats)")
        #expect(CaseMontage.heatMap(named: "variance", map: entropy, classes: 3).top == nil)
        // The legend has one swatch per foreground label, in the label colour.
        let legend = SliceDecorations.labelLegend(classes: 3, names: [1: "spleen", 2: "liver"])
        var colours = Set<[UInt8]>()
        for r in 0..<legend.height { for c in 0..<legend.width { colours.insert(legend[r, c]) } }
        for k in 1...2 { let (r, g, b) = LabelPalette.rgb(k); #expect(colours.contains([r, g, b])) }
    }
}
