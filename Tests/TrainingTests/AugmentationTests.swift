import Engine
import TestSupport
import Testing
@testable import Training

@Suite("Augmentation")
struct AugmentationTests {
    /// A label volume with two blobs, and an image that is a smooth function of it.
    func phantom(_ shape: [Int]) -> (Tensor, Tensor) {
        let (D, H, W) = (shape[0], shape[1], shape[2])
        var lab = [Float](repeating: 0, count: D * H * W)
        for z in 0..<D { for y in 0..<H { for x in 0..<W {
            let dz = D == 1 ? 0 : Float(z - D / 2) / Float(D), dy = Float(y - H / 3) / Float(H), dx = Float(x - W / 2) / Float(W)
            if dz * dz + dy * dy + dx * dx < 0.05 { lab[(z * H + y) * W + x] = 1 }
            let ey = Float(y - 3 * H / 4) / Float(H), ex = Float(x - W / 4) / Float(W)
            if ey * ey + ex * ex < 0.01 { lab[(z * H + y) * W + x] = 2 }
        } } }
        let img = lab.map { $0 * 100 }
        return (Tensor(img, shape: [1] + shape), Tensor(lab, shape: shape))
    }

    @Test func identityWarpIsExact() {
        let (img, _) = phantom([4, 10, 12])
        let g = SamplingGrid.identity(shape: [4, 10, 12])
        #expect(g.apply(img, interpolation: .linear).scalars == img.scalars)
        #expect(g.apply(img, interpolation: .nearest).scalars == img.scalars)
    }

    @Test func flipTwiceAndAffineInverse() {
        let shape = [5, 9, 11]
        var rng = RNG(seed: 3)
        let img = Tensor.uniform([2] + shape, 0, 1, rng: &rng)
        let flip = SamplingGrid(affine: Affine3.aboutCenter([1, 0, 0, 0, 1, 0, 0, 0, -1], shape: shape), shape: shape, displacement: nil)
        #expect(flip.apply(flip.apply(img, interpolation: .nearest), interpolation: .nearest).scalars == img.scalars)
        var cfg = AugmentationConfig()
        cfg.rotationProbability = 1; cfg.rotationDegrees = 20; cfg.scaleProbability = 1; cfg.scaleRange = [0.8, 1.2]
        cfg.translationProbability = 1; cfg.translationVoxels = 2
        let g = RandomSpatial.draw(cfg, shape: shape, rng: &rng)
        #expect(!g.isIdentity())
        #expect(g.then(g.inverted()).isIdentity(tolerance: 1e-3))
    }

    @Test func elasticInverseIsCloseToExact() {
        let shape = [1, 40, 40]
        var rng = RNG(seed: 11)
        var cfg = AugmentationConfig()
        cfg.elasticProbability = 1; cfg.elasticAlpha = 3; cfg.elasticSigma = 5; cfg.rotationProbability = 1; cfg.rotationDegrees = 10
        let g = RandomSpatial.draw(cfg, shape: shape, rng: &rng)
        let c = g.then(g.inverted())
        // Interior points come back to themselves within a tenth of a voxel.
        var worst: Float = 0
        let n = 1600
        for y in 8..<32 { for x in 8..<32 {
            let i = y * 40 + x
            worst = max(worst, abs(c.coords[n + i] - Float(y)), abs(c.coords[2 * n + i] - Float(x)))
        } }
        #expect(worst < 0.1, "inverse residual \(worst) voxels")
        #expect(c.coords[0..<n].allSatisfy { $0 == 0 }, "2D warps keep z = 0")
    }

    @Test(arguments: [[1, 48, 48], [16, 32, 32]])
    func labelsStayAlignedWithImages(shape: [Int]) throws {
        // Every spatial transform at once; the image is 100 * label, so a warped image voxel far from a boundary
        // must carry exactly the warped label's value.
        var cfg = AugmentationConfig()
        cfg.flipProbability = 0.5; cfg.rotationProbability = 1; cfg.rotationDegrees = 15; cfg.translationProbability = 1; cfg.translationVoxels = 3
        cfg.shearProbability = 1; cfg.shearDegrees = 10; cfg.scaleProbability = 1; cfg.scaleRange = [0.85, 1.2]
        cfg.elasticProbability = 1; cfg.elasticAlpha = 3; cfg.elasticSigma = 4
        let aug = try Augmenter(cfg)
        let (img, lab) = phantom(shape)
        var rng = RNG(seed: 5)
        for _ in 0..<4 {
            let s = aug(image: img, label: lab, rng: &rng)
            let li = s.image.scalars, ll = try #require(s.label).scalars
            var agree = 0, interior = 0
            for i in 0..<li.count where li[i] == 0 || li[i] == 100 || li[i] == 200 {
                interior += 1
                if li[i] == ll[i] * 100 { agree += 1 }
            }
            #expect(interior > li.count / 2)
            #expect(agree == interior, "label/image disagree on \(interior - agree) of \(interior) uniform voxels")
            #expect(Set(ll).isSubset(of: [0, 1, 2]), "nearest interpolation keeps label values")
        }
    }

    @Test func sameSeedSameAugmentation() throws {
        let aug = try Augmenter(.standard)
        let (img, lab) = phantom([8, 24, 24])
        var a = RNG(seed: 9), b = RNG(seed: 9)
        let x = aug(image: img, label: lab, rng: &a), y = aug(image: img, label: lab, rng: &b)
        #expect(x.image.scalars == y.image.scalars && x.label?.scalars == y.label?.scalars)
    }

    @Test func invalidConfigListsEveryProblem() {
        var cfg = AugmentationConfig()
        cfg.flipProbability = 2; cfg.scaleRange = [1.2, 0.8]; cfg.elasticSigma = 0
        #expect(throws: ConfigError.self) { try Augmenter(cfg) }
        #expect(cfg.problems().count == 3)
    }

    @Test func intensityTransformsKeepShapeAndRange() {
        var cfg = AugmentationConfig()
        cfg.contrastProbability = 1; cfg.contrastRange = [0.5, 0.5]
        let v = Tensor([0, 1, 2, 3, 4], shape: [1, 1, 1, 5])
        var rng = RNG(seed: 1)
        let out = IntensityAugment.apply(v, cfg, spatialShape: [1, 1, 5], rng: &rng)
        expectClose(out.scalars, [1, 1.5, 2, 2.5, 3])
        var g = AugmentationConfig(); g.gammaProbability = 1; g.gammaRange = [2, 2]
        let gOut = IntensityAugment.apply(v, g, spatialShape: [1, 1, 5], rng: &rng)
        expectClose(gOut.scalars, [0, 0.25, 1, 2.25, 4])
    }
}
