@testable import MedIO
import Testing

@Suite("Crop and pad")
struct CropPadTests {
    @Test func padToMultipleAndUndo() {
        let v = Volume(shape: [5, 6, 3], data: (0..<90).map(Float.init), geometry: Geometry(spacing: [1, 2, 3], origin: [1, 2, 3]))
        let (p, rec) = v.paddedToMultiple(of: 4, value: -1)
        #expect(p.shape == [8, 8, 4] && rec.offset == [1, 1, 0])
        #expect(p.data.filter { $0 == -1 }.count == 8 * 8 * 4 - 90)
        // voxel (0,0,0) of the original is voxel (1,1,0) of the padded volume, same world point
        #expect(Affine.apply(p.affine, [1, 1, 0]) == Affine.apply(v.affine, [0, 0, 0]))
        let back = p.undoCropPad(rec)
        #expect(back.data == v.data && Affine.maxDifference(back.affine, v.affine) < 1e-12)
    }

    @Test func centredCropKeepsWorldPositions() {
        let v = Volume(shape: [6, 6, 2, 2], data: (0..<144).map(Float.init), geometry: Geometry(spacing: [1, 1, 1]))
        let (c, rec) = v.cropOrPad(to: [4, 2, 2])
        #expect(c.shape == [4, 2, 2, 2] && rec.offset == [-1, -2, 0])
        #expect(c.data[0] == v.data[2 * 6 + 1])
        #expect(Affine.apply(c.affine, [0, 0, 0]) == Affine.apply(v.affine, [1, 2, 0]))
        let back = c.undoCropPad(rec, value: 0)
        #expect(back.shape == v.shape && back.data[2 * 6 + 1] == v.data[2 * 6 + 1] && back.data[0] == 0)
    }
}
