import Foundation
import MedIO
import TestSupport
import Testing
@testable import Training

/// `--select ema|best|last`: the EMA arithmetic (nnU-Net's 0.9), which epoch each mode keeps, the `val_dice_ema`
/// column and exact resume of the selection state; `--split-seed`.
@Suite("Checkpoint selection", .serialized)
struct CheckpointSelectionTests {
    /// The jumpy validation Dice of the real 2D MRI run in issue #20.
    static let jumpy = [0.86, 0.30, 0.84, 0.91, 0.88, 0.87]

    func chosen(_ mode: CheckpointSelect, _ values: [Double?]) -> (epochs: [Int], ema: [Double?]) {
        var s = CheckpointSelection(mode: mode)
        var picked: [Int] = [], ema: [Double?] = []
        for (i, v) in values.enumerated() {
            if s.update(validationDice: v) { picked.append(i + 1) }
            ema.append(s.ema)
        }
        return (picked, ema)
    }

    @Test func emaFollowsNNUNetAndSelectsASustainedImprovement() {
        let e = chosen(.ema, Self.jumpy)
        // ema_1 = 0.86; ema_k = 0.9 ema_{k-1} + 0.1 d_k.
        var ref = [0.86]
        for d in Self.jumpy.dropFirst() { ref.append(0.9 * ref.last! + 0.1 * d) }
        for (a, b) in zip(e.ema, ref) { #expect(abs((a ?? 0) - b) < 1e-12) }
        // EMA: 0.86, 0.80, 0.804, 0.8146, 0.82194, 0.826746: epoch 1 stays selected until the average recovers.
        #expect(e.epochs == [1])
        // Raw best: the lucky single epoch 4.
        #expect(chosen(.best, Self.jumpy).epochs == [1, 4])
        // Last: every epoch.
        #expect(chosen(.last, Self.jumpy).epochs == [1, 2, 3, 4, 5, 6])
        // Epochs without validation neither move the EMA nor select (except `last`).
        let gaps = chosen(.ema, [0.5, nil, 0.7])
        #expect(gaps.epochs == [1, 3] && gaps.ema[1] == 0.5 && abs((gaps.ema[2] ?? 0) - 0.52) < 1e-12)
        #expect(chosen(.last, [0.5, nil]).epochs == [1, 2])
    }

    @Test func notesAndDescriptionsNameTheValidationSize() {
        #expect(CheckpointSelection.note(mode: .best, validationCases: 2)?.contains("2 validation case(s)") == true)
        #expect(CheckpointSelection.note(mode: .ema, validationCases: 2) == nil)
        #expect(CheckpointSelection.note(mode: .ema, validationCases: 0)?.contains("final epoch") == true)
        #expect(CheckpointSelection.describe(mode: .ema, validationCases: 8) == "highest EMA (0.9) of the validation Dice on 8 cases")
        #expect(TrainConfig(data: "d", out: "o").select == .ema)
    }

    func store() -> CaseStore {
        CaseStore(labeled: toyCases(4, seed: 1), unlabeled: toyCases(4, seed: 2), validation: toyCases(2, seed: 3), test: [])
    }

    func train(_ dir: URL, select: CheckpointSelect, epochs: Int, resume: Bool = false) throws -> (RunResult, String) {
        var cfg = toyConfig(dir, epochs: epochs)
        cfg.select = select
        cfg.augmentation = .standard
        let t = try Trainer(config: cfg, strategy: try CountingStrategy(options: StrategyOptions([:], owner: "counting")),
                            data: store(), split: DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: []),
                            runDirectory: dir, log: { _ in })
        let r = try t.train(resume: resume)
        return (r, try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8))
    }

    @Test func metricsLogTheEMAAndResumeSelectsExactly() throws {
        let a = tempRunDir(), b = tempRunDir(), c = tempRunDir()
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let (full, csv) = try train(a, select: .ema, epochs: 5)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let col = try #require(rows[0].firstIndex(of: "val_dice_ema")), dcol = try #require(rows[0].firstIndex(of: "val_dice"))
        var ema: Double? = nil, best = -1.0, bestEpoch = 0
        for r in rows.dropFirst() {
            let d = try #require(Double(r[dcol]))
            ema = ema.map { 0.9 * $0 + 0.1 * d } ?? d
            #expect(abs((Double(r[col]) ?? -1) - ema!) < 1e-5)   // csv holds 6 significant digits
            if ema! > best { best = ema!; bestEpoch = Int(r[0])! }
        }
        #expect(full.bestEpoch == bestEpoch)
        // Interrupted after 2 epochs and resumed: same selection and the same csv (apart from timings).
        _ = try train(c, select: .ema, epochs: 2)
        let (resumed, csv2) = try train(c, select: .ema, epochs: 5, resume: true)
        func noSeconds(_ s: String) -> [String] {
            let lines = s.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let drop = lines.first?.firstIndex(of: "seconds") ?? -1
            return lines.map { $0.enumerated().filter { $0.offset != drop }.map(\.element).joined(separator: ",") }
        }
        #expect(noSeconds(csv2) == noSeconds(csv))
        #expect(resumed.bestEpoch == full.bestEpoch && resumed.bestValidationDice == full.bestValidationDice)
        // `last` keeps the final epoch.
        let (last, _) = try train(b, select: .last, epochs: 3)
        #expect(last.bestEpoch == 3)
    }

    @Test func splitSeedFixesTheSplitAcrossTrainingSeeds() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("semiseg-splitseed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try SyntheticDataset.write(to: data.path, kind: .spleen, dims: 2, cases: 10, testCases: 2, seed: 1)
        func split(seed: UInt64, splitSeed: UInt64?) throws -> DataSplit {
            var c = TrainConfig(data: data.path, out: "unused")
            c.model = "unet2d"; c.labeled = 3; c.validation = 2; c.seed = seed; c.splitSeed = splitSeed
            return try DatasetLoader.openAndSplit(c).1
        }
        #expect(try split(seed: 1, splitSeed: 7) == split(seed: 2, splitSeed: 7))
        #expect(try split(seed: 7, splitSeed: nil) == split(seed: 3, splitSeed: 7))
        #expect(try split(seed: 1, splitSeed: nil) != split(seed: 2, splitSeed: nil))
    }
}
