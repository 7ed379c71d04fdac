import Foundation
@testable import MedIO
import Testing

@Suite("Reorientation to RAS and back (nibabel as_closest_canonical)")
struct OrientationTests {
    @Test func matchesNibabelCanonical() throws {
        for (name, e) in try Fixtures.expected().sorted(by: { $0.key < $1.key }) {
            let v = try Nifti.read(Fixtures.nibabelDir.appendingPathComponent(name).path)
            #expect(v.orientation.codes == e["axcodes"] as? String, "\(name) axcodes")
            guard let canon = e["canonical"] as? [String: Any] else { continue }
            let (ras, original) = v.reorientedToRAS()
            #expect(ras.shape == canon["shape"] as? [Int], "\(name) canonical shape")
            #expect(Affine.maxDifference(ras.affine, matrix(canon["affine"])) < 1e-4, "\(name) canonical affine")
            #expect(ras.orientation.codes == "RAS" || name == "permuted.nii.gz" || ras.orientation == .ras)
            // order-sensitive checksum of channel 0
            let s = ras.spatialShape
            var sum = 0.0
            for k in 0..<s[2] { for j in 0..<s[1] { for i in 0..<s[0] {
                sum += Double(ras.data[(k * s[1] + j) * s[0] + i]) * Double(i + 2 * j + 3 * k)
            } } }
            let ref = (canon["weighted_sum"] as? NSNumber)?.doubleValue ?? .nan
            #expect(abs(sum - ref) <= 1e-5 * max(1, abs(ref)), "\(name) weighted sum \(sum) vs \(ref)")
            // and back
            let back = ras.restoringOrientation(original)
            #expect(back.shape == v.shape && back.data == v.data, "\(name) round trip")
            #expect(Affine.maxDifference(back.affine, v.affine) < 1e-9, "\(name) affine round trip")
        }
    }

    @Test func codesAndInverse() {
        let lps = Orientation(affine: [[-2, 0, 0, 0], [0, -2, 0, 0], [0, 0, 5, 0], [0, 0, 0, 1]])
        #expect(lps.codes == "LPS" && lps.inverse == lps)
        let o = Orientation(axes: [2, 0, 1], flips: [true, false, false])
        #expect(o.codes == "IRA")
        #expect(o.inverse.inverse == o)
    }
}
