@testable import MedIO
import Testing

@Suite("Resampling and resizing")
struct ResampleTests {
    static func ramp(_ shape: [Int], spacing: [Double] = [1, 1, 1]) -> Volume {
        var d = [Float]()
        for z in 0..<shape[2] { for y in 0..<shape[1] { for x in 0..<shape[0] { d.append(Float(x) + 10 * Float(y) + 100 * Float(z)) } } }
        return Volume(shape: shape, data: d, geometry: Geometry(spacing: spacing, origin: [5, -3, 2]))
    }

    @Test func identityResizeIsExact() {
        let v = Self.ramp([5, 4, 3])
        let r = v.resized(to: [5, 4, 3], interpolation: .linear)
        #expect(r.data == v.data && Affine.maxDifference(r.affine, v.affine) < 1e-12)
    }

    /// Linear interpolation reproduces a linear ramp at the new voxel centres (away from clamped borders),
    /// and the new affine puts each new voxel at the world point it sampled.
    @Test func linearRampAndGeometry() {
        let v = Self.ramp([8, 8, 8], spacing: [1, 2, 3])
        let r = v.resized(to: [4, 16, 8], interpolation: .linear)
        #expect(r.spacing.map { ($0 * 1e9).rounded() / 1e9 } == [2, 1, 3])
        let inv = Affine.inverse(v.affine) ?? Affine.identity
        for (x, y, z) in [(1, 3, 2), (2, 10, 5), (1, 7, 7)] {
            let w = Affine.apply(r.affine, [Double(x), Double(y), Double(z)])
            let o = Affine.apply(inv, w)
            let expected = o[0] + 10 * o[1] + 100 * o[2]
            let got = r.data[(z * 16 + y) * 4 + x]
            #expect(abs(Double(got) - expected) < 1e-3, "(\(x),\(y),\(z)) \(got) vs \(expected)")
        }
    }

    @Test func nearestKeepsLabelsAndRestores() {
        var lab = Volume(zeros: [64, 64, 32], geometry: Geometry(spacing: [0.8, 0.8, 5]))
        for i in 0..<lab.data.count where i % 7 == 0 { lab.data[i] = Float(i % 3) }
        let small = lab.resized(to: [32, 32, 16], interpolation: .nearest)
        #expect(Set(small.data).isSubset(of: [0, 1, 2]))
        let back = small.restored(toShape: lab.shape, geometry: lab.geometry, interpolation: .nearest)
        #expect(back.shape == lab.shape && back.geometry == lab.geometry)
        // upsampling by 2 then downsampling by 2 with nearest is the identity
        let up = lab.resized(to: [128, 128, 64], interpolation: .nearest)
        #expect(up.resized(to: [64, 64, 32], interpolation: .nearest).data == lab.data)
    }

    @Test func resampleToSpacingAndChannels() {
        let v = Volume(shape: [10, 10, 4, 2], data: (0..<800).map(Float.init), geometry: Geometry(spacing: [1, 1, 5]))
        let r = v.resampled(toSpacing: [2, 2, 2.5], interpolation: .linear)
        #expect(r.shape == [5, 5, 8, 2])
        #expect(r.channel(1).data.allSatisfy { $0 >= 400 } && r.channel(0).data.allSatisfy { $0 < 400 })
    }
}
