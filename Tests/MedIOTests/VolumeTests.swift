@testable import MedIO
import Testing

@Suite("Volume layout")
struct VolumeTests {
    @Test func layoutChannelsAndStatistics() {
        let g = Geometry(spacing: [1, 1, 1])
        let v = Volume(shape: [2, 3, 4, 2], data: (0..<48).map(Float.init), geometry: g)
        #expect(v.channels == 2 && v.voxelsPerChannel == 24 && v.spatialShape == [2, 3, 4])
        // x fastest: value at (x=1, y=2, z=3, c=1) is index 1 + 2*(2 + 3*(3 + 4*1))
        #expect(v.data[1 + 2 * (2 + 3 * (3 + 4 * 1))] == 47)
        #expect(v.channel(1).data.first == 24 && v.channel(1).shape == [2, 3, 4])
        let s = v.statistics
        #expect(s.min == 0 && s.max == 47 && s.mean == 23.5)
        let l = v.channel(0).with(data: [Float](repeating: 1, count: 24))
        #expect(l.geometry == g && l.shape == [2, 3, 4])
    }

    @Test func errorDescription() {
        #expect(MedIOError("a.nii", "empty file").description == "a.nii: empty file")
        #expect(NiftiDatatype(name: "int16") == .int16 && NiftiDatatype(name: "complex64") == nil && NiftiDatatype.float64.bytes == 8)
    }
}
