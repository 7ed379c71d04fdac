@testable import MedIO
import Testing

@Suite("Network grid round trip")
struct GridRecordTests {
    /// An LPS label map (like the phantoms) goes to RAS at half resolution and back onto its own grid.
    @Test func predictionOverlaysOriginal() {
        let g = Geometry(affine: [[-0.8, 0, 0, 50], [0, -0.8, 0, 40], [0, 0, 5, -30], [0, 0, 0, 1]])
        var lab = Volume(zeros: [32, 32, 8], geometry: g)
        for z in 2..<6 { for y in 8..<24 { for x in 4..<20 { lab.data[(z * 32 + y) * 32 + x] = 1 } } }
        let (net, rec) = lab.toNetworkGrid(shape: [16, 16, 4], interpolation: .nearest)
        #expect(net.orientation == .ras && rec.orientation.codes == "LPS")
        // world centre of the box is the same in both grids
        func centre(_ v: Volume) -> [Double] {
            var s = [0.0, 0.0, 0.0], n = 0.0
            let sh = v.spatialShape
            for z in 0..<sh[2] { for y in 0..<sh[1] { for x in 0..<sh[0] where v.data[(z * sh[1] + y) * sh[0] + x] > 0 {
                let w = Affine.apply(v.affine, [Double(x), Double(y), Double(z)])
                for d in 0..<3 { s[d] += w[d] }
                n += 1
            } } }
            return s.map { $0 / n }
        }
        let a = centre(lab), b = centre(net)
        #expect((0..<3).allSatisfy { abs(a[$0] - b[$0]) < 1e-6 }, "\(a) vs \(b)")
        let back = net.restored(with: rec, interpolation: .nearest)
        #expect(back.shape == lab.shape && back.geometry == lab.geometry && back.data == lab.data)
    }
}
