// Tests of Calibration.swift against hand-computed values.

import Testing
@testable import Evaluation

@Suite struct CalibrationTests {
    // 4 voxels, 2 classes, class-major [C, N]: p(class 1) = 0.9, 0.6, 0.2, 0.5.
    let probs: [Float] = [0.1, 0.4, 0.8, 0.5, 0.9, 0.6, 0.2, 0.5]
    let labels: [UInt8] = [1, 0, 0, 1]

    @Test func argmaxFirstMaximumWins() throws {
        #expect(try Calibration.argmax(probs, classes: 2) == [1, 1, 0, 0])
    }

    @Test func expectedCalibrationError() throws {
        // Confidences 0.9 (correct), 0.6 (wrong), 0.8 (correct), 0.5 (argmax 0, label 1: wrong).
        // 15 bins of width 1/15: 0.5 -> bin (7/15, 8/15], 0.9 -> (13/15, 14/15]; Float(0.6) = 0.6000000238 and
        // Float(0.8) = 0.8000000119 lie just above 9/15 and 12/15, so they land in bins (9/15, 10/15] and (12/15, 13/15].
        // ECE = 1/4 (|1-0.9| + |0-0.6| + |1-0.8| + |0-0.5|) = 0.35.
        let ece = try Calibration.expectedCalibrationError(probabilities: probs, classes: 2, labels: labels)
        #expect(abs(ece - 0.35) < 1e-6)
        let bins = try Calibration.reliability(probabilities: probs, classes: 2, labels: labels)
        #expect(bins.count == 15)
        #expect(bins.map(\.count) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0])
        // With 2 bins: (0, .5] holds 0.5 (wrong), (.5, 1] holds the other three (2/3 correct, mean conf 0.7667).
        let ece2 = try Calibration.expectedCalibrationError(probabilities: probs, classes: 2, labels: labels, bins: 2)
        #expect(abs(ece2 - (0.25 * 0.5 + 0.75 * abs(2.0 / 3.0 - 2.3 / 3.0))) < 1e-6)
    }

    @Test func brierScore() throws {
        // Per voxel sum_c (p_c - y_c)^2: 2*0.01, 2*0.36, 2*0.04, 2*0.25 -> mean 0.33.
        let b = try Calibration.brierScore(probabilities: probs, classes: 2, labels: labels)
        #expect(abs(b - 0.33) < 1e-6)
        #expect(try Calibration.brierScore(probabilities: [1, 0, 0, 1], classes: 2, labels: [0, 1]) == 0)
    }

    @Test func uncertaintyErrorOverlap() throws {
        let pred: [UInt8] = [1, 1, 0, 0], ref: [UInt8] = [1, 0, 0, 1]      // errors at 1 and 3
        let u: [Float] = [0.1, 0.9, 0.7, 0.8]                                  // uncertain (> 0.5) at 1, 2, 3
        let d = try Calibration.uncertaintyErrorOverlap(uncertainty: u, threshold: 0.5, prediction: pred, reference: ref)
        #expect(d == 0.8)
        #expect(try Calibration.uncertaintyErrorOverlap(uncertainty: [0, 0], threshold: 0.5, prediction: [1, 1], reference: [1, 1]) == nil)
    }

    @Test func entropyAndValidation() throws {
        let h = try Calibration.entropy([0.5, 1, 0.5, 0], classes: 2)
        #expect(abs(h[0] - 0.693147) < 1e-5 && h[1] == 0)
        #expect(throws: EvaluationError.self) { try Calibration.brierScore(probabilities: [0.5, 0.5, 1], classes: 2, labels: [0]) }
    }
}
