import Engine
import Testing
@testable import Training

@Suite("Patch sampler")
struct PatchSamplerTests {
    @Test func foregroundOversamplingHitsSmallObjects() {
        let shape = [16, 64, 64]
        var lab = [Float](repeating: 0, count: 16 * 64 * 64)
        lab[(8 * 64 + 50) * 64 + 50] = 1  // one voxel of foreground
        let label = Tensor(lab, shape: shape)
        let image = Tensor(lab.map { $0 * 5 }, shape: [1] + shape)
        let fg = PatchSampler.foregroundIndex(label)
        var rng = RNG(seed: 0)
        let sampler = PatchSampler(patch: [8, 16, 16], foregroundProbability: 1)
        for _ in 0..<10 {
            let s = sampler.sample(image: image, label: label, foregroundVoxels: fg, rng: &rng)
            #expect(s.image.shape == [1, 8, 16, 16] && s.label?.shape == [8, 16, 16])
            #expect(s.label?.sum().item == 1, "patch contains the foreground voxel")
            #expect(s.image.sum().item == 5, "image and label crops are aligned")
        }
    }

    @Test func smallVolumesArePadded() {
        let image = Tensor(repeating: 3, shape: [1, 2, 5, 5])
        let label = Tensor(repeating: 1, shape: [2, 5, 5])
        var rng = RNG(seed: 0)
        let s = PatchSampler(patch: [4, 8, 8]).sample(image: image, label: label, foregroundVoxels: nil, rng: &rng)
        #expect(s.image.shape == [1, 4, 8, 8])
        #expect(s.label?.sum().item == 50)
    }

    @Test func classBalancedIndex() {
        var lab = [Float](repeating: 0, count: 100)
        for i in 0..<40 { lab[i] = 1 }
        lab[99] = 2
        let idx = PatchSampler.foregroundIndex(Tensor(lab, shape: [1, 10, 10]))
        #expect(idx.filter { $0 == 99 }.count == 40)
        #expect(idx.count == 80)
    }
}

@Suite("Patch sampler placement")
struct PatchSamplerPlacementTests {
    @Test func foregroundVoxelIsNotAlwaysAtThePatchCentre() {
        let sampler = PatchSampler(patch: [8, 16, 16], foregroundProbability: 1)
        let size = [32, 64, 64]
        let v = (16 * 64 + 30) * 64 + 30
        var rng = RNG(seed: 1)
        var offsets = Set<[Int]>()
        for _ in 0..<50 {
            let s = sampler.drawStart(spatialShape: size, foregroundVoxels: [v], rng: &rng)
            let off = [16 - s[0], 30 - s[1], 30 - s[2]]
            #expect(zip(off, [8, 16, 16]).allSatisfy { $0 >= 0 && $0 < $1 }, "voxel inside the patch")
            offsets.insert(off)
        }
        #expect(offsets.count > 20, "the voxel's position within the patch varies (\(offsets.count) distinct)")
    }
}
