import Engine
import Foundation
import MedIO

/// Loads an MSD dataset for a run: validates every case up front, splits, computes normalisation statistics on
/// the labeled training cases, and preprocesses every case of the split into memory.
public enum DatasetLoader {
    /// Everything a run needs from the dataset.
    public struct Loaded {
        public let dataset: MSDDataset
        public let split: DataSplit
        public let preprocessing: Preprocessing
        public let store: CaseStore
        /// Raw volumes of the test cases (for export in their original geometry), by case id.
        public let testSources: [String: MSDCase]
    }

    /// Opens and validates `config.data` (throws `MSDValidationError` listing every problem) and chooses the split.
    public static func openAndSplit(_ config: TrainConfig) throws -> (MSDDataset, DataSplit) {
        let ds = try MSDDataset.open(config.data)
        let split: DataSplit
        if let path = config.split {
            split = try DataSplit.load(URL(fileURLWithPath: path))
            let known = Set((ds.training + ds.test).map(\.id))
            let missing = (split.labeled + split.unlabeled + split.validation + split.test).filter { !known.contains($0) }
            if !missing.isEmpty { throw SplitError("\(path): cases not in \(config.data): \(missing.joined(separator: ", "))") }
        } else {
            split = try DataSplit.make(training: ds.training.map(\.id), labeledTest: ds.test.filter { $0.label != nil }.map(\.id),
                                       labeled: config.labeled, validation: config.validation, testCount: config.testCount, seed: config.splitSeed ?? config.seed)
        }
        return (ds, split)
    }

    /// Loads and preprocesses every case of the split. `preprocessing` reuses saved statistics (resume, predict).
    public static func load(_ config: TrainConfig, dataset ds: MSDDataset, split: DataSplit, preprocessing saved: Preprocessing? = nil) throws -> Loaded {
        let byID = Dictionary((ds.training + ds.test).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func cases(_ ids: [String]) throws -> [MSDCase] {
            try ids.map { id in guard let c = byID[id] else { throw SplitError("case \(id) is not in the dataset") }; return c }
        }
        let labeledCases = try cases(split.labeled)
        var prep: Preprocessing
        if let saved { prep = saved } else {
            let classes = max(config.classes, (ds.labels.keys.max() ?? 1) + 1)
            prep = Preprocessing(resize: config.resize, spacing: config.spacing, normalization: config.normalization, ct: nil,
                                 huWindow: config.huWindow, classes: classes, channels: max(ds.modalities.count, 1),
                                 labelNames: Dictionary(uniqueKeysWithValues: ds.labels.map { (String($0.key), $0.value) }))
            if config.normalization == .ct {
                // nnU-Net: statistics of foreground voxels of the (labeled) training cases, on the training grid.
                var pairs: [(image: Volume, label: Volume)] = []
                for c in labeledCases {
                    let (img, lab) = try ds.read(c)
                    guard let lab else { continue }
                    pairs.append((prep.toGrid(img, interpolation: .linear), prep.toGrid(lab, interpolation: .nearest)))
                }
                guard let stats = CTStatistics.collect(pairs) else {
                    throw TrainingError("\(config.data): labeled cases have no foreground voxels to compute CT statistics from")
                }
                prep.ct = stats
            }
        }
        let p = prep
        func loadAll(_ list: [MSDCase], withLabels: Bool) throws -> [TrainingCase] {
            var out = [TrainingCase?](repeating: nil, count: list.count)
            var errors = [Error?](repeating: nil, count: list.count)
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: list.count) { i in
                do {
                    let (img, lab) = try ds.read(list[i])
                    let t = TrainingCase(id: list[i].id, image: p.imageTensor(img), label: withLabels ? lab.map { p.labelTensor($0) } : nil)
                    lock.lock(); out[i] = t; lock.unlock()
                } catch { lock.lock(); errors[i] = error; lock.unlock() }
            }
            if let e = errors.compactMap({ $0 }).first { throw e }
            return out.compactMap { $0 }
        }
        let store = CaseStore(labeled: try loadAll(labeledCases, withLabels: true),
                              unlabeled: try loadAll(try cases(split.unlabeled), withLabels: false),
                              validation: try loadAll(try cases(split.validation), withLabels: true),
                              test: try loadAll(try cases(split.test), withLabels: true))
        let testSources = Dictionary(uniqueKeysWithValues: try cases(split.test).map { ($0.id, $0) })
        return Loaded(dataset: ds, split: split, preprocessing: p, store: store, testSources: testSources)
    }
}
