import Engine
import Foundation
import TestSupport
import Training

/// 4 labeled, 4 unlabeled, 2 validation toy cases.
func toyStore() -> CaseStore {
    CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(4, seed: 2, labeled: false), validation: toyCases(2, seed: 3), test: [])
}

/// A small, fast 2D configuration (base 4, depth 2) writing to `dir`.
func toyConfig(_ dir: URL, epochs: Int = 2) -> TrainConfig {
    var c = TrainConfig(data: "(memory)", out: dir.path)
    c.model = "unet2d"; c.base = 4; c.depth = 2; c.epochs = epochs; c.iterationsPerEpoch = 3; c.batchSize = 2
    c.unlabeledBatchSize = 2; c.augmentation = .none; c.normalization = .none; c.learningRate = 3e-3
    c.loss = .ce  // plain CE, so strategies that anneal or replace the CE (UDA's TSA) run on the defaults here
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
