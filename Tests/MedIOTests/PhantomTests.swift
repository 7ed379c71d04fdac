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
        #expect(a.info.phase == b.info.phase && a.info.tissueHU == b.info.tissueHU)
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

    /// Contrast phase varies between cases, and with it the order of the spleen's and the liver's HU: the spleen
    /// is clearly darker than the liver in some cases and clearly brighter in others; kidneys likewise.
    @Test func contrastPhaseVariesOrganOrder() {
        let g = PhantomGenerator(kind: .spleen, shape: [16, 16, 1])
        let infos = (0..<60).map { g.generate(seed: 1, index: $0).info }
        #expect(Set(infos.map(\.phase)) == Set(PhantomPhase.allCases))
        let spleenMinusLiver = infos.map { ($0.tissueHU["spleen"] ?? 0) - ($0.tissueHU["liver"] ?? 0) }
        #expect(spleenMinusLiver.contains { $0 < -15 } && spleenMinusLiver.contains { $0 > 25 }, "\(spleenMinusLiver)")
        let kidneyMinusSpleen = infos.map { ($0.tissueHU["kidneyCortex"] ?? 0) - ($0.tissueHU["spleen"] ?? 0) }
        #expect(kidneyMinusSpleen.contains { $0 < -5 } && kidneyMinusSpleen.contains { $0 > 40 }, "\(kidneyMinusSpleen)")
        let spleens = infos.compactMap { $0.tissueHU["spleen"] }
        #expect((spleens.max() ?? 0) - (spleens.min() ?? 0) > 60)
        let noise = infos.map(\.noiseSigma)
        #expect((noise.min() ?? 0) < 8 && (noise.max() ?? 0) > 15)
    }

    /// The image follows the drawn tissue values: the spleen's median HU is near the drawn one (texture, noise
    /// and partial volume at its edge average out; the bias field moves it by at most a few tens of HU), and
    /// lesions are darker than the liver around them.
    @Test func imageMatchesDrawnIntensities() {
        func mean(_ c: PhantomCase, _ l: Float) -> Float {
            let v = zip(c.image.data, c.label.data).filter { $0.1 == l }.map(\.0)
            return v.reduce(0, +) / Float(max(v.count, 1))
        }
        func median(_ c: PhantomCase, _ l: Float) -> Float {
            let v = zip(c.image.data, c.label.data).filter { $0.1 == l }.map(\.0).sorted()
            return v.isEmpty ? .nan : v[v.count / 2]
        }
        for i in 0..<6 {
            let spleen = PhantomGenerator(kind: .spleen, shape: [128, 128, 16]).generate(seed: 5, index: i)
            let drawn = spleen.info.tissueHU["spleen"] ?? 0
            #expect(abs(median(spleen, 1) - drawn) < 40, "case \(i): median \(median(spleen, 1)) drawn \(drawn) (\(spleen.info.phase))")
        }
        let liver = PhantomGenerator(kind: .liver, shape: [96, 96, 32]).generate(seed: 5, index: 0)
        #expect(mean(liver, 2) < mean(liver, 1) - 10)   // lesions are hypodense
    }

    /// Spleen volume varies about 5x between cases (drawn factor and labelled volume in ml agree in order).
    @Test func spleenVolumeVaries() {
        let g = PhantomGenerator(kind: .spleen, shape: [128, 128, 64])
        let factors = (0..<40).map { g.generate(seed: 2, index: $0).info.spleenVolumeFactor }
        #expect((factors.max() ?? 0) / (factors.min() ?? 1) > 3.5, "\(factors)")
        let small = factors.indices.min { factors[$0] < factors[$1] } ?? 0, large = factors.indices.max { factors[$0] < factors[$1] } ?? 0
        func ml(_ c: PhantomCase) -> Float {
            let s = c.label.spacing
            return c.label.data.reduce(0, +) * Float(s[0] * s[1] * s[2]) / 1000
        }
        let vSmall = ml(g.generate(seed: 2, index: small)), vLarge = ml(g.generate(seed: 2, index: large))
        #expect(vSmall > 30 && vLarge > 2.5 * vSmall, "small \(vSmall) ml, large \(vLarge) ml")
    }

    @Test(arguments: PhantomKind.allCases)
    func twoDimensionalSliceHasTarget(_ kind: PhantomKind) {
        for i in 0..<8 {
            let c = PhantomGenerator(kind: kind, dims: 2).generate(seed: 9, index: i)
            #expect(c.image.shape == [128, 128, 1])
            #expect(c.label.data.contains(1), "\(kind) case \(i)")
        }
    }
}
