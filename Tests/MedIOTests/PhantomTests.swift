import Foundation
@testable import MedIO
import Testing

@Suite("Synthetic phantoms")
struct PhantomTests {
    static let small = [128, 128, 16]

    @Test(arguments: PhantomKind.allCases)
    func deterministicAndLabelled(_ kind: PhantomKind) {
        let g = PhantomGenerator(kind: kind, shape: Self.small)
        let a = g.generate(seed: 3, index: 1), b = g.generate(seed: 3, index: 1), c = g.generate(seed: 3, index: 2)
        #expect(a.image == b.image && a.label == b.label)
        #expect(a.image.data != c.image.data)
        #expect(a.image.affine == a.label.affine)
        let classes = Set(a.label.data)
        #expect(classes == Set((0..<kind.labelNames.count).map(Float.init)), "\(kind): \(classes)")
        let (lo, hi, _) = a.image.statistics
        #expect(lo >= -1024 && hi <= 3071 && a.image.data.allSatisfy { $0 == $0.rounded() })
    }

    @Test func anisotropicSpacingAndPose() {
        let g = PhantomGenerator(kind: .spleen, shape: [128, 128, 24])
        let spacings = (0..<6).map { g.generate(seed: 0, index: $0).image.spacing }
        for s in spacings { #expect(s[2] > s[0] && s[0] == s[1]) }
        #expect(Set(spacings.map { $0[0] }).count == 6)
        let sizes = (0..<6).map { g.generate(seed: 0, index: $0).label.data.reduce(0, +) }
        #expect(Set(sizes).count == 6 && sizes.allSatisfy { $0 > 20 })
    }

    /// The target overlaps distractors in HU: the spleen's mean is within 40 HU of the liver region's.
    @Test func targetIntensityOverlapsDistractors() {
        let spleen = PhantomGenerator(kind: .spleen, shape: [64, 64, 32]).generate(seed: 5, index: 0)
        let liver = PhantomGenerator(kind: .liver, shape: [64, 64, 32]).generate(seed: 5, index: 0)
        func mean(_ c: PhantomCase, _ l: Float) -> Float {
            let v = zip(c.image.data, c.label.data).filter { $0.1 == l }.map(\.0)
            return v.reduce(0, +) / Float(max(v.count, 1))
        }
        #expect(abs(mean(spleen, 1) - mean(liver, 1)) < 40)
        #expect(mean(liver, 2) < mean(liver, 1) - 10)   // lesions are hypodense
    }

    @Test func twoDimensionalSliceHasTarget() {
        for i in 0..<4 {
            let c = PhantomGenerator(kind: .liver, dims: 2).generate(seed: 9, index: i)
            #expect(c.image.shape == [128, 128, 1])
            #expect(c.label.data.contains(1))
        }
    }
}
