import Engine
import Foundation
import TestSupport
import Testing
@testable import Training

@Suite("Mirrored image border at test time")
struct MirroredBorderTests {
    @Test func padReflectsAndCropUndoesIt() {
        // [C=1, D=1, H=3, W=4], value = 10*y + x.
        let t = Tensor((0..<12).map { Float(10 * ($0 / 4) + $0 % 4) }, shape: [1, 1, 3, 4])
        let p = [(before: 0, after: 0), (before: 2, after: 2), (before: 2, after: 3)]
        let padded = MirroredBorder.pad(t, p)
        #expect(padded.shape == [1, 1, 7, 9])
        // Row y = -1 mirrors row 1, column x = -2 mirrors column 2 (`c b | a b c d | c b a`).
        let s = padded.scalars
        #expect(Array(s[(2 * 9)..<(3 * 9)]) == [2, 1, 0, 1, 2, 3, 2, 1, 0])          // original row 0
        #expect(Array(s[(1 * 9)..<(2 * 9)]) == [12, 11, 10, 11, 12, 13, 12, 11, 10])  // y = -1 -> row 1
        #expect(MirroredBorder.crop(padded, p).scalars == t.scalars)
        #expect(MirroredBorder.crop(Tensor(Array(repeating: 1, count: 2 * 63), shape: [2, 1, 7, 9]), p).shape == [2, 1, 3, 4])
    }

    @Test func paddingSkipsSingleSliceAxesAndKeepsWholeImagesDivisible() {
        let p = MirroredBorder.padding([1, 30, 32], divisor: 16)
        #expect(p[0].before == 0 && p[0].after == 0)
        #expect(p[1].before == MirroredBorder.margin && (30 + p[1].before + p[1].after) % 16 == 0)
        #expect(p[2].before == MirroredBorder.margin && (32 + p[2].before + p[2].after) % 16 == 0)
        #expect(MirroredBorder.padding([5, 40, 40], divisor: 1).map(\.after) == [4, 8, 8])
    }

    @Test func predictionsComeBackOnTheImageGrid() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let cases = toyCases(3, seed: 4)
        let store = CaseStore(labeled: cases, unlabeled: [], validation: [], test: [])
        let s = try CountingStrategy(options: StrategyOptions([:], owner: "counting"))
        let t = try Trainer(config: toyConfig(dir, epochs: 1), strategy: s, data: store,
                            split: DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: []), runDirectory: dir, log: { _ in })
        _ = try t.train()
        let image = cases[0].image
        let p = try MirroredBorder.predict(t, image)
        let plain = try t.predict(image)
        #expect(p.probabilities.shape == plain.probabilities.shape)
        #expect(p.uncertainty["entropy"]?.shape == plain.uncertainty["entropy"]?.shape)
        // Probabilities still sum to one per voxel.
        let k = p.probabilities.shape[0], n = p.probabilities.count / k, v = p.probabilities.scalars
        #expect((0..<n).allSatisfy { i in abs((0..<k).reduce(Float(0)) { $0 + v[$1 * n + i] } - 1) < 1e-4 })
    }
}
