import Engine
import Training

/// Tiny 2D toy cases for trainer and plugin tests: bright discs on noise (`[1, 1, size, size]`), label = disc.
public func toyCases(_ n: Int, size: Int = 32, seed: UInt64, labeled: Bool = true) -> [TrainingCase] {
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

/// The toy store of the resume and checkpoint tests: 4 labeled, 2 unlabeled and 2 validation 32x32 cases.
public func toyResumeStore() -> CaseStore {
    CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(2, seed: 2), validation: toyCases(2, seed: 3), test: [])
}
