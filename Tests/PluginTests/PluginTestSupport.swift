import Engine
import Foundation
import Training

/// Tiny 2D toy cases for plugin tests: bright discs on noise (`[1, 1, size, size]`), label = disc.
func toyCases(_ n: Int, size: Int = 32, seed: UInt64, labeled: Bool = true) -> [TrainingCase] {
    var rng = RNG(seed: seed)
    return (0..<n).map { i in
        var img = [Float](repeating: 0, count: size * size), lab = img
        let cx = rng.uniform(10, Float(size - 10)), cy = rng.uniform(10, Float(size - 10)), r = rng.uniform(4, 8)
        for y in 0..<size { for x in 0..<size {
            let inside = (Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy) < r * r
            lab[y * size + x] = inside ? 1 : 0
            img[y * size + x] = (inside ? 1 : 0) + 0.3 * rng.normal()
        } }
        return TrainingCase(id: "toy_\(seed)_\(i)", image: Tensor(img, shape: [1, 1, size, size]),
                            label: labeled ? Tensor(lab, shape: [1, size, size]) : nil)
    }
}

/// 4 labeled, 4 unlabeled, 2 validation toy cases.
func toyStore() -> CaseStore {
    CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(4, seed: 2, labeled: false), validation: toyCases(2, seed: 3), test: [])
}

/// A small, fast 2D configuration (base 4, depth 2) writing to `dir`.
func toyConfig(_ dir: URL, epochs: Int = 2) -> TrainConfig {
    var c = TrainConfig(data: "(memory)", out: dir.path)
    c.model = "unet2d"; c.base = 4; c.depth = 2; c.epochs = epochs; c.iterationsPerEpoch = 3; c.batchSize = 2
    c.unlabeledBatchSize = 2; c.augmentation = "none"; c.normalization = "none"; c.learningRate = 3e-3
    return c
}

/// A fresh temporary run folder.
func tempRunDir() -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("semiseg-plugin-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

/// An empty split (in-memory tests do not use it).
let emptySplit = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])
