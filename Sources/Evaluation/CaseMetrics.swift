// Per-case, per-class metrics: overlap counts plus surface distances.

/// The metrics reported per class, in report order. Raw values are the JSON keys.
public enum Metric: String, CaseIterable, Codable, Sendable, CodingKey {
    /// Dice coefficient (unitless, 0...1).
    case dice
    /// Intersection over union (unitless, 0...1).
    case iou
    /// 95th-percentile Hausdorff distance, mm.
    case hd95
    /// Average symmetric surface distance, mm.
    case assd
    /// Normalised surface Dice at the configured tolerance (unitless, 0...1).
    case nsd
    /// Precision TP/(TP+FP).
    case precision
    /// Recall TP/(TP+FN).
    case recall
}

/// Metric values of one class (of one case, or a mean); `nil` = undefined, encoded as JSON `null`.
public struct MetricValues: Equatable, Sendable, Codable {
    /// Values keyed by metric; a missing key means undefined.
    public var values: [Metric: Double]

    /// Creates values from a dictionary (absent keys are undefined).
    public init(_ values: [Metric: Double] = [:]) { self.values = values }

    /// The value of `m`, `nil` when undefined.
    public subscript(_ m: Metric) -> Double? {
        get { values[m] }
        set { values[m] = newValue }
    }

    /// Decodes `{"dice": 0.9, "hd95": null, ...}`; unknown keys are ignored.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Metric.self)
        var v: [Metric: Double] = [:]
        for m in Metric.allCases { if let x = try c.decodeIfPresent(Double.self, forKey: m) { v[m] = x } }
        values = v
    }

    /// Encodes every metric of `Metric.allCases`, writing an explicit `null` for undefined ones.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Metric.self)
        for m in Metric.allCases {
            if let x = values[m] { try c.encode(x, forKey: m) } else { try c.encodeNil(forKey: m) }
        }
    }
}

/// Options of the per-case evaluation.
public struct MetricOptions: Sendable {
    /// Tolerance of the normalised surface Dice in mm.
    public var nsdTolerance: Double
    /// Compute HD95 / ASSD / NSD (the expensive part); when `false` they are reported as undefined.
    public var surfaceMetrics: Bool

    /// Default: 1 mm NSD tolerance, surface metrics on.
    public init(nsdTolerance: Double = 1.0, surfaceMetrics: Bool = true) {
        self.nsdTolerance = nsdTolerance
        self.surfaceMetrics = surfaceMetrics
    }
}

/// All metrics of one case, with the case identity carried along.
public struct CaseResult: Sendable {
    /// Case identifier, e.g. the file name `"spleen_2.nii.gz"`.
    public let caseID: String
    /// Metrics per foreground class (key = class index >= 1).
    public let metrics: [Int: MetricValues]
    /// One-vs-rest counts per foreground class.
    public let counts: [Int: BinaryCounts]
    /// Full confusion matrix of the case (for pixel-pooled semantic summaries).
    public let confusion: ConfusionMatrix

    /// Stores precomputed results.
    public init(caseID: String, metrics: [Int: MetricValues], counts: [Int: BinaryCounts], confusion: ConfusionMatrix) {
        self.caseID = caseID; self.metrics = metrics; self.counts = counts; self.confusion = confusion
    }
}

/// Binary (one-vs-rest) metrics of a prediction mask against a reference mask.
///
/// Conventions: Dice/IoU as `BinaryCounts`; HD95/ASSD `nil` when either mask is empty; NSD `nil` when both are
/// empty and 0 when exactly one is (MONAI); precision/recall `nil` on a zero denominator.
public func binaryMetrics(prediction: [Bool], reference: [Bool], geometry: GridGeometry,
                          options: MetricOptions = MetricOptions()) throws -> (MetricValues, BinaryCounts) {
    guard prediction.count == geometry.count else {
        throw EvaluationError.sizeMismatch(expected: geometry.count, got: prediction.count, what: "prediction mask")
    }
    let counts = try BinaryCounts(prediction: prediction, reference: reference)
    var v = MetricValues()
    v[.dice] = counts.dice
    v[.iou] = counts.iou
    v[.precision] = counts.precision
    v[.recall] = counts.recall
    if options.surfaceMetrics {
        let predEmpty = counts.tp + counts.fp == 0, refEmpty = counts.tp + counts.fn == 0
        if let s = try SurfaceDistances.compute(prediction: prediction, reference: reference, geometry: geometry) {
            v[.hd95] = s.hd95
            v[.assd] = s.assd
            v[.nsd] = s.nsd(tolerance: options.nsdTolerance)
        } else if predEmpty != refEmpty {
            v[.nsd] = 0
        }
    }
    return (v, counts)
}

/// Evaluates one case: every foreground class `1..<classes` one-vs-rest.
///
/// - Parameters:
///   - caseID: identity of the case, kept in the result.
///   - prediction, reference: label maps of identical shape (spacing taken from `reference`).
///   - classes: number of classes including background; labels must be `< classes`.
/// - Throws: on shape mismatch or out-of-range labels.
public func evaluateCase(_ caseID: String, prediction: LabelMap, reference: LabelMap, classes: Int,
                         options: MetricOptions = MetricOptions()) throws -> CaseResult {
    guard prediction.shape == reference.shape else {
        throw EvaluationError.shapeMismatch(prediction.shape, reference.shape)
    }
    guard classes >= 2, classes <= 256 else { throw EvaluationError.invalidArgument("need 2...256 classes, got \(classes)") }
    let confusion = try ConfusionMatrix(prediction: prediction.labels, reference: reference.labels, classes: classes)
    var metrics: [Int: MetricValues] = [:], counts: [Int: BinaryCounts] = [:]
    for c in 1..<classes {
        let (v, k) = try binaryMetrics(prediction: prediction.mask(of: UInt8(c)), reference: reference.mask(of: UInt8(c)),
                                       geometry: reference.geometry, options: options)
        metrics[c] = v
        counts[c] = k
    }
    return CaseResult(caseID: caseID, metrics: metrics, counts: counts, confusion: confusion)
}
