import Engine
import Foundation
import Testing
@testable import Training

/// 3D counterpart of the 2D toy checks: the whole trainer (patches, augmentation, 3D U-Net, sliding-window validation)
/// must learn bright spheres on noise.
@Suite("3D toy learning", .serialized)
struct Toy3DLearningTests {
    static func spheres(_ n: Int, seed: UInt64, shape: [Int] = [16, 32, 32]) -> [TrainingCase] {
        var rng = RNG(seed: seed)
        let (D, H, W) = (shape[0], shape[1], shape[2])
        return (0..<n).map { i in
            var img = [Float](repeating: 0, count: D * H * W), lab = img
            let cz = rng.uniform(5, Float(D - 5)), cy = rng.uniform(8, Float(H - 8)), cx = rng.uniform(8, Float(W - 8)), r = rng.uniform(3.5, 6)
            for z in 0..<D { for y in 0..<H { for x in 0..<W {
                let d = (Float(z) - cz) * (Float(z) - cz) + (Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx)
                let i = (z * H + y) * W + x
                lab[i] = d < r * r ? 1 : 0
                img[i] = lab[i] + 0.3 * rng.normal()
            } } }
            return TrainingCase(id: "sphere_\(seed)_\(i)", image: Tensor(img, shape: [1] + shape), label: Tensor(lab, shape: shape))
        }
    }

    @Test(arguments: [false, true])
    func learnsSpheres(patches: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("toy3d-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = TrainConfig(data: "(memory)", out: dir.path)
        c.model = "unet3d"; c.base = 4; c.depth = 2; c.epochs = 10; c.iterationsPerEpoch = 10; c.batchSize = 2
        c.augmentation = .none; c.normalization = .none; c.learningRate = 3e-3
        if patches { c.patch = [8, 16, 16] }
        let store = CaseStore(labeled: Self.spheres(6, seed: 1), unlabeled: [], validation: Self.spheres(3, seed: 2), test: [])
        let s = try CountingStrategy(options: StrategyOptions([:], owner: "counting"))
        let t = try Trainer(config: c, strategy: s, data: store, split: DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: []),
                            runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect((r.bestValidationDice ?? 0) > 0.8, "3D toy validation Dice \(r.bestValidationDice ?? -1) (patches: \(patches))")
    }
}
