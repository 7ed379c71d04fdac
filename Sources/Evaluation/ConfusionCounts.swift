// Voxel counts: binary TP/FP/FN/TN per class and the multi-class confusion matrix.

// MARK: - Binary counts

/// One-vs-rest voxel counts for one class of one case.
///
/// Conventions (nnU-Net / SemiSeg docs/ARCHITECTURE.md §8):
/// - Dice = 2TP/(2TP+FP+FN) and IoU = TP/(TP+FP+FN); both masks empty -> `nil`;
///   reference empty and prediction non-empty -> 0.
/// - precision = TP/(TP+FP) and recall = TP/(TP+FN); a zero denominator -> `nil`
///   (medpy 0.5 returns 0.0 there; `nil` keeps undefined values out of means).
public struct BinaryCounts: Equatable, Sendable, Codable {
    /// Voxels foreground in both prediction and reference.
    public var tp: Int
    /// Voxels foreground in the prediction only.
    public var fp: Int
    /// Voxels foreground in the reference only.
    public var fn: Int
    /// Voxels background in both.
    public var tn: Int

    /// Stores the four counts.
    public init(tp: Int, fp: Int, fn: Int, tn: Int) {
        self.tp = tp; self.fp = fp; self.fn = fn; self.tn = tn
    }

    /// Counts from two equally long boolean masks (`prediction`, `reference`).
    public init(prediction: [Bool], reference: [Bool]) throws {
        guard prediction.count == reference.count else {
            throw EvaluationError.sizeMismatch(expected: reference.count, got: prediction.count, what: "prediction mask")
        }
        var tp = 0, fp = 0, fn = 0
        prediction.withUnsafeBufferPointer { p in
            reference.withUnsafeBufferPointer { r in
                for i in 0..<p.count {
                    let a = p[i], b = r[i]
                    if a && b { tp += 1 } else if a { fp += 1 } else if b { fn += 1 }
                }
            }
        }
        self.init(tp: tp, fp: fp, fn: fn, tn: prediction.count - tp - fp - fn)
    }

    /// Dice coefficient, `nil` when both masks are empty.
    public var dice: Double? {
        let d = 2 * tp + fp + fn
        return d == 0 ? nil : Double(2 * tp) / Double(d)
    }

    /// Intersection over union (Jaccard), `nil` when both masks are empty.
    public var iou: Double? {
        let d = tp + fp + fn
        return d == 0 ? nil : Double(tp) / Double(d)
    }

    /// Precision TP/(TP+FP), `nil` when the prediction is empty.
    public var precision: Double? { tp + fp == 0 ? nil : Double(tp) / Double(tp + fp) }

    /// Recall (sensitivity) TP/(TP+FN), `nil` when the reference is empty.
    public var recall: Double? { tp + fn == 0 ? nil : Double(tp) / Double(tp + fn) }

    /// Element-wise sum (pooling voxels of several cases).
    public static func + (a: BinaryCounts, b: BinaryCounts) -> BinaryCounts {
        BinaryCounts(tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn)
    }
}

// MARK: - Confusion matrix

/// A `classes x classes` voxel confusion matrix; `counts[r * classes + p]` counts voxels with
/// reference class `r` (row) predicted as class `p` (column).
public struct ConfusionMatrix: Equatable, Sendable, Codable {
    /// Number of classes, including background 0.
    public let classes: Int
    /// Row-major counts, rows = reference class, columns = predicted class.
    public private(set) var counts: [Int]

    /// An all-zero matrix for `classes` classes.
    public init(classes: Int) {
        self.classes = max(classes, 1)
        self.counts = [Int](repeating: 0, count: self.classes * self.classes)
    }

    /// Builds the matrix of one case; throws on size mismatch or a label `>= classes`.
    public init(prediction: [UInt8], reference: [UInt8], classes: Int) throws {
        self.init(classes: classes)
        try add(prediction: prediction, reference: reference)
    }

    /// Adds the voxels of one more case.
    public mutating func add(prediction: [UInt8], reference: [UInt8]) throws {
        guard prediction.count == reference.count else {
            throw EvaluationError.sizeMismatch(expected: reference.count, got: prediction.count, what: "prediction")
        }
        let c = classes
        // Histogram over 256x256 first (no range checks in the loop), then fold and validate.
        var hist = [Int](repeating: 0, count: 256 * 256)
        hist.withUnsafeMutableBufferPointer { h in
            prediction.withUnsafeBufferPointer { p in
                reference.withUnsafeBufferPointer { r in
                    for i in 0..<p.count { h[Int(r[i]) &<< 8 | Int(p[i])] += 1 }
                }
            }
        }
        for r in 0..<256 {
            for p in 0..<256 {
                let n = hist[r << 8 | p]
                guard n > 0 else { continue }
                guard r < c, p < c else { throw EvaluationError.labelOutOfRange(label: max(r, p), classes: c) }
                counts[r * c + p] += n
            }
        }
    }

    /// Matrix sum (pooling cases); throws if the class counts differ.
    public mutating func add(_ other: ConfusionMatrix) throws {
        guard other.classes == classes else {
            throw EvaluationError.invalidArgument("confusion matrices with \(classes) and \(other.classes) classes")
        }
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// Voxels with reference class `r` predicted as `p`.
    public subscript(reference r: Int, predicted p: Int) -> Int { counts[r * classes + p] }

    /// All voxels counted.
    public var total: Int { counts.reduce(0, +) }

    /// One-vs-rest counts of class `c`.
    public func binary(_ c: Int) -> BinaryCounts {
        var rowSum = 0, colSum = 0
        for k in 0..<classes { rowSum += self[reference: c, predicted: k]; colSum += self[reference: k, predicted: c] }
        let tp = self[reference: c, predicted: c]
        let fp = colSum - tp, fn = rowSum - tp
        return BinaryCounts(tp: tp, fp: fp, fn: fn, tn: total - tp - fp - fn)
    }

    /// The semantic-segmentation summary of this matrix.
    public var summary: SemanticSummary { SemanticSummary(self) }
}

// MARK: - Semantic summary

/// Pixel-pooled summary metrics from a confusion matrix over all voxels of all cases, as printed by the
/// FCN / DeepLab evaluation scripts (`label_accuracy_score`): classes absent from both reference and
/// prediction give `nil` per-class values and are skipped by the means (numpy `nanmean`).
public struct SemanticSummary: Equatable, Sendable, Codable {
    /// Correct voxels / all voxels.
    public let overallAccuracy: Double?
    /// Mean over classes of per-class recall TP/(TP+FN) ("Mean Acc"), classes without reference voxels skipped.
    public let meanAccuracy: Double?
    /// Mean over classes of IoU.
    public let meanIoU: Double?
    /// Mean over classes of Dice.
    public let meanDice: Double?
    /// Frequency-weighted IoU, `sum_c freq_c * IoU_c` with `freq_c` = reference voxels of class c / all voxels
    /// (the FCN definition; DeepLab reports call it "FreqW Acc"). Classes with `freq_c = 0` are skipped.
    public let frequencyWeightedIoU: Double?
    /// IoU per class (index = class), `nil` when the class is absent from reference and prediction.
    public let iou: [Double?]
    /// Dice per class, `nil` when the class is absent from reference and prediction.
    public let dice: [Double?]
    /// Recall per class, `nil` when the class has no reference voxels.
    public let accuracy: [Double?]

    /// Computes the summary of `m`.
    public init(_ m: ConfusionMatrix) {
        let total = m.total
        var diag = 0
        var iou: [Double?] = [], dice: [Double?] = [], acc: [Double?] = []
        var fw = 0.0, fwAny = false
        for c in 0..<m.classes {
            let b = m.binary(c)
            diag += b.tp
            iou.append(b.iou); dice.append(b.dice); acc.append(b.recall)
            let ref = b.tp + b.fn
            if ref > 0, total > 0, let i = b.iou { fw += Double(ref) / Double(total) * i; fwAny = true }
        }
        func mean(_ xs: [Double?]) -> Double? {
            let v = xs.compactMap { $0 }
            return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        }
        overallAccuracy = total > 0 ? Double(diag) / Double(total) : nil
        meanAccuracy = mean(acc)
        meanIoU = mean(iou)
        meanDice = mean(dice)
        frequencyWeightedIoU = fwAny ? fw : nil
        self.iou = iou; self.dice = dice; self.accuracy = acc
    }

    private enum CodingKeys: String, CodingKey {
        case overallAccuracy = "overall_accuracy", meanAccuracy = "mean_accuracy", meanIoU = "mean_iou"
        case meanDice = "mean_dice", frequencyWeightedIoU = "frequency_weighted_iou", iou, dice, accuracy
    }

    /// Encodes every field, writing `null` for undefined values.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(overallAccuracy, forKey: .overallAccuracy)
        try c.encode(meanAccuracy, forKey: .meanAccuracy)
        try c.encode(meanIoU, forKey: .meanIoU)
        try c.encode(meanDice, forKey: .meanDice)
        try c.encode(frequencyWeightedIoU, forKey: .frequencyWeightedIoU)
        try c.encode(iou, forKey: .iou)
        try c.encode(dice, forKey: .dice)
        try c.encode(accuracy, forKey: .accuracy)
    }
}
