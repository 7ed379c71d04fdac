import Foundation
import Testing
@testable import Evaluation

/// The crossed seeds × cases t-test (the verdict of `compare`): calibration at 3 and 5 seeds on synthetic studies with
/// known seed noise, against the bootstrap's over-confidence at 3 seeds; Student t values; edge cases.
@Suite("Crossed t-test")
struct CrossedTTestTests {
    typealias Study = HierarchicalBootstrapTests

    /// Coverage of the true `effect` by the 95 % interval and the share of p < 0.05 over `draws` synthetic studies.
    static func calibration(seeds: Int, cases: Int, effect: Double, seedNoise: Double, caseEffect: Double, residual: Double,
                            draws: Int, seed: UInt64) -> (covered: Double, rejected: Double, bootstrapRejected: Double) {
        var rng = SplitMix64(seed)
        var covered = 0, rejected = 0, bootRejected = 0
        for i in 0..<draws {
            let d = Study.study(seeds: seeds, cases: cases, effect: effect, seedNoise: seedNoise, caseEffect: caseEffect,
                                residual: residual, rng: &rng)
            guard let r = CrossedTTest.test(d) else { continue }
            if r.ciLow <= effect && effect <= r.ciHigh { covered += 1 }
            if r.pValue < 0.05 { rejected += 1 }
            if i < draws / 4, let b = HierarchicalBootstrap.test(d, resamples: 400, seed: UInt64(i)), b.pValue < 0.05 { bootRejected += 1 }
        }
        return (Double(covered) / Double(draws), Double(rejected) / Double(draws), Double(bootRejected) / Double(draws / 4))
    }

    @Test func falsePositiveRateIsNominalAtThreeSeedsWhereTheBootstrapIsOverConfident() {
        // Seed noise dominates (std 0.03 per seed, as the real-CT runs: seed std of Δ 0.01-0.09), 56 test cases.
        let three = Self.calibration(seeds: 3, cases: 56, effect: 0, seedNoise: 0.03, caseEffect: 0.01, residual: 0.05,
                                     draws: 2000, seed: 11)
        #expect(three.rejected >= 0.025 && three.rejected <= 0.075, "t-test false positives \(three.rejected) at 3 seeds")
        #expect(three.covered >= 0.925 && three.covered <= 0.975, "t-test coverage \(three.covered) at 3 seeds")
        // The control that makes the test above able to fail: the bootstrap on the same studies rejects a true null
        // far more often than 5 % (the weight-0 Mean Teacher control's p = 0.002 on the real CT).
        #expect(three.bootstrapRejected > 0.10, "bootstrap false positives \(three.bootstrapRejected) at 3 seeds")
        let five = Self.calibration(seeds: 5, cases: 56, effect: 0.02, seedNoise: 0.03, caseEffect: 0.01, residual: 0.05,
                                    draws: 2000, seed: 12)
        #expect(five.covered >= 0.925 && five.covered <= 0.975, "t-test coverage \(five.covered) at 5 seeds")
        print("crossed t-test, seed noise 0.03, 56 cases, 2000 studies: 3 seeds false-positive rate \(three.rejected) "
              + "(bootstrap \(three.bootstrapRejected)), coverage \(three.covered); 5 seeds coverage \(five.covered)")
    }

    @Test func calibratedWhenCaseVarianceDominatesToo() {
        // Little seed noise, a large case effect shared by all seeds: the case level must carry the interval (a seed-only
        // t-test on per-seed means would ignore the shared case effect and reject far too often).
        let r = Self.calibration(seeds: 3, cases: 20, effect: 0, seedNoise: 0.002, caseEffect: 0.05, residual: 0.01,
                                 draws: 2000, seed: 13)
        #expect(r.rejected >= 0.025 && r.rejected <= 0.075, "false positives \(r.rejected) with dominant case variance")
        let mixed = Self.calibration(seeds: 4, cases: 30, effect: 0.01, seedNoise: 0.02, caseEffect: 0.02, residual: 0.03,
                                     draws: 2000, seed: 14)
        #expect(mixed.covered >= 0.925 && mixed.covered <= 0.975, "coverage \(mixed.covered) with mixed variance")
    }

    @Test func aClearEffectIsFoundWithThreeSeeds() throws {
        var rng = SplitMix64(15)
        let d = Study.study(seeds: 3, cases: 56, effect: 0.1, seedNoise: 0.01, caseEffect: 0.01, residual: 0.05, rng: &rng)
        let r = try #require(CrossedTTest.test(d))
        #expect(r.pValue < 0.01 && r.ciLow > 0)
    }

    @Test func studentTMatchesClosedFormsAndTables() {
        // df = 1 (Cauchy): P(T > 1) = 1/4; df = 2: P(T > t) = 1/2 − t / (2 sqrt(2 + t²)).
        #expect(abs(StudentT.survival(1, df: 1) - 0.25) < 1e-12)
        #expect(abs(StudentT.survival(2, df: 2) - (0.5 - 2 / (2 * 6.0.squareRoot()))) < 1e-12)
        #expect(abs(StudentT.survival(-2, df: 2) - (0.5 + 2 / (2 * 6.0.squareRoot()))) < 1e-12)
        // 97.5 % quantiles (scipy.stats.t.ppf(0.975, df)).
        for (df, q) in [(1.0, 12.706204736174698), (2, 4.302652729749464), (3, 3.182446305284263), (4, 2.7764451051977987),
                        (10, 2.2281388519649385), (30, 2.0422724563012373)] {
            #expect(abs(StudentT.quantile(0.975, df: df) - q) < 1e-8 * q, "df \(df)")
        }
        #expect(abs(StudentT.quantile(0.025, df: 4) + 2.7764451051977987) < 1e-8)
        #expect(StudentT.quantile(0.5, df: 3) == 0)
    }

    @Test func reducesToThePairedTTestOnSeedMeansWithoutCaseStructure() throws {
        // Every case of a seed equal: the case and residual mean squares are 0, df = S − 1, se = std(seed means)/sqrt(S).
        let d = [[0.1, 0.1, 0.1], [0.3, 0.3, 0.3], [0.2, 0.2, 0.2]]
        let r = try #require(CrossedTTest.test(d))
        #expect(abs(r.estimate - 0.2) < 1e-12 && abs(r.degreesOfFreedom - 2) < 1e-9)
        #expect(abs(r.standardError - 0.1 / 3.0.squareRoot()) < 1e-12)
        // t = 0.2 / (0.1/sqrt 3) = 3.4641 on 2 df: p = 2·(1/2 − t/(2 sqrt(2 + t²))).
        let t = 0.2 / (0.1 / 3.0.squareRoot())
        #expect(abs(r.pValue - (1 - t / (2 + t * t).squareRoot())) < 1e-10)
        #expect(abs(r.ciHigh - 0.2 - 4.302652729749464 * r.standardError) < 1e-8)
    }

    @Test func edgeCases() throws {
        #expect(CrossedTTest.test([]) == nil)
        #expect(CrossedTTest.test([[0.1, 0.2]]) == nil)  // one seed: no training variance
        #expect(CrossedTTest.test([[0.1], [0.2]]) == nil)  // one case
        #expect(CrossedTTest.test([[0.1, 0.2], [0.1]]) == nil)
        // Identical strategies (the weight-0 control trained bit-identically): no difference, p = 1.
        let zero = try #require(CrossedTTest.test([[0, 0, 0], [0, 0, 0], [0, 0, 0]]))
        #expect(zero.pValue == 1 && zero.estimate == 0 && zero.ciLow == 0 && zero.ciHigh == 0)
        // A case undefined in any seed is left out.
        let nan = try #require(CrossedTTest.test([[0.1, .nan, 0.3, 0.2], [0.0, 0.1, 0.2, 0.1]]))
        #expect(nan.cases == 3 && nan.seeds == 2)
        #expect(CrossedTTest.test([[0.1, .nan], [0.2, 0.3]]) == nil)
    }
}
