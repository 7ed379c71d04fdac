import Engine
import Foundation
import NN

/// A deterministic partition of a dataset's cases into labeled / unlabeled / validation / test, by case id.
///
/// Saved as `RUN/split.json` and reusable with `--split FILE`, so every strategy of a comparison sees the same cases.
public struct DataSplit: Codable, Sendable, Equatable {
    /// Seed used to shuffle.
    public var seed: UInt64
    /// Training cases whose labels are used.
    public var labeled: [String]
    /// Training cases used without labels (semi-supervised strategies).
    public var unlabeled: [String]
    /// Cases for model selection during training.
    public var validation: [String]
    /// Held-out cases for the final evaluation.
    public var test: [String]

    public init(seed: UInt64, labeled: [String], unlabeled: [String], validation: [String], test: [String]) {
        self.seed = seed; self.labeled = labeled; self.unlabeled = unlabeled; self.validation = validation; self.test = test
    }

    /// Splits deterministically: a function of (sorted case ids, counts, seed) only.
    ///
    /// - Parameters:
    ///   - training: ids of cases with labels available for training (MSD `training`).
    ///   - labeledTest: ids of cases with test labels (MSD `labelsTs`); when empty, `testCount` cases are held out of `training`.
    ///   - labeled: number of labeled cases (the rest of training, after validation and test, is unlabeled).
    ///   - validation: number of validation cases.
    public static func make(training: [String], labeledTest: [String], labeled: Int, validation: Int, testCount: Int = 0, seed: UInt64) throws -> DataSplit {
        var pool = Array(Set(training)).sorted()
        guard pool.count == training.count else { throw SplitError("duplicate case ids in the training list") }
        var rng = RNG(seed: seed ^ 0x5EED_5EED)
        for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, rng.int(below: i + 1)) }
        var test = labeledTest.sorted()
        let holdOut = labeledTest.isEmpty ? testCount : 0
        guard labeled >= 1 else { throw SplitError("labeled count must be at least 1, got \(labeled)") }
        guard validation >= 0, testCount >= 0 else { throw SplitError("validation and test counts must be >= 0") }
        let need = labeled + validation + holdOut
        guard need <= pool.count else {
            throw SplitError("\(labeled) labeled + \(validation) validation + \(holdOut) test cases need \(need) training cases, the dataset has \(pool.count)")
        }
        if holdOut > 0 { test = Array(pool[0..<holdOut]).sorted() }
        let val = Array(pool[holdOut..<(holdOut + validation)]).sorted()
        let lab = Array(pool[(holdOut + validation)..<need]).sorted()
        let unl = Array(pool[need...]).sorted()
        return DataSplit(seed: seed, labeled: lab, unlabeled: unl, validation: val, test: test)
    }

    /// Reads a split file, checking that no case is in two partitions.
    public static func load(_ url: URL) throws -> DataSplit {
        let data: Data
        do { data = try FileBytes.read(url, maxBytes: 64 << 20) } catch { throw SplitError("\(url.path): cannot read split file (\(error))") }
        let s: DataSplit
        do { s = try JSONDecoder().decode(DataSplit.self, from: data) } catch { throw SplitError("\(url.path): not a valid split file (\(error))") }
        let all = s.labeled + s.unlabeled + s.validation + s.test
        if Set(all).count != all.count { throw SplitError("\(url.path): a case appears in more than one partition") }
        if s.labeled.isEmpty { throw SplitError("\(url.path): no labeled cases") }
        return s
    }

    /// Writes the split as pretty JSON with sorted keys.
    public func save(_ url: URL) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try e.encode(self), to: url)
    }
}

/// A problem with a split request or file.
public struct SplitError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
