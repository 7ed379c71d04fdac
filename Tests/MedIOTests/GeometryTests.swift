@testable import MedIO
import Testing

@Suite("Geometry and affines")
struct GeometryTests {
    /// nibabel: Nifti1Header with shape (4, 3, 2), zooms (2, 3, 4) and no q/sform -> get_best_affine()
    /// = [[-2, 0, 0, 3], [0, 3, 0, -3], [0, 0, 4, -2], [0, 0, 0, 1]].
    @Test func pixdimAffineMatchesNibabel() {
        let a = Geometry.pixdimAffine(shape: [4, 3, 2], zooms: [2, 3, 4])
        #expect(a == [[-2, 0, 0, 3], [0, 3, 0, -3], [0, 0, 4, -2], [0, 0, 0, 1]])
    }

    @Test func inverseAndApply() throws {
        let a: [[Double]] = [[0, -1.5, 0.1, 20], [2, 0, 0, -30], [0, 0.2, 3, 5], [0, 0, 0, 1]]
        let inv = try #require(Affine.inverse(a))
        #expect(Affine.maxDifference(Affine.multiply(a, inv), Affine.identity) < 1e-12)
        #expect(Affine.apply(a, [1, 1, 1]) == [18.6, -28, 8.2])
        #expect(Affine.inverse([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]) == nil)
    }

    @Test func newGeometryFromAffineAndScaling() {
        let g = Geometry(affine: [[0, -1.5, 0, 20], [2, 0, 0, -30], [0, 0, 3, 5], [0, 0, 0, 1]])
        #expect(g.spacing == [2, 1.5, 3] && g.qformCode == 1 && g.sformCode == 1)
        let s = Geometry(spacing: [1, 2, 3], origin: [10, 0, 0]).scaled(by: [2, 2, 2], offset: [0.5, 0.5, 0.5])
        #expect(s.spacing == [2, 4, 6] && Affine.apply(s.affine, [0, 0, 0]) == [10.5, 1, 1.5])
    }
}
