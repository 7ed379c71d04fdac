import Engine
import Foundation
import MedIO

/// One validation slice for pictures of training progress: the image, the reference labels and the prediction of the
/// current model, row-major `height x width`, top row first (the tensor's `H` axis downwards, `W` rightwards).
public struct ValidationSnapshot: Sendable {
    /// Case id and slice index along `D` of the training grid (0 for 2D cases).
    public var caseID: String
    public var slice: Int
    public var width: Int
    public var height: Int
    /// Intensities after normalisation (first channel) and the grey window to show them in (0.5 / 99.5 percentiles).
    public var image: [Float]
    public var window: (lo: Float, hi: Float)
    /// Reference and predicted class indices.
    public var reference: [Int]
    public var prediction: [Int]

    /// The image in grey with the reference contour in green and the prediction contour in red (4-neighbourhood
    /// boundaries of every foreground class), RGB.
    public func overlay() -> PixelImage {
        var img = Colormap.gray.render(image, width: width, height: height, window: window)
        for (labels, colour) in [(reference, ValidationSnapshot.referenceColour), (prediction, ValidationSnapshot.predictionColour)] {
            for i in 0..<(width * height) where ValidationSnapshot.isBoundary(labels, i, width: width, height: height) {
                img.pixels[3 * i] = colour.0; img.pixels[3 * i + 1] = colour.1; img.pixels[3 * i + 2] = colour.2
            }
        }
        return img
    }

    public static let referenceColour: (UInt8, UInt8, UInt8) = (0, 230, 0)
    public static let predictionColour: (UInt8, UInt8, UInt8) = (255, 40, 40)

    /// Whether pixel `i` is foreground with a 4-neighbour of another class (the image border does not count).
    public static func isBoundary(_ l: [Int], _ i: Int, width w: Int, height h: Int) -> Bool {
        let v = l[i]
        guard v > 0 else { return false }
        let r = i / w, c = i % w
        return (r > 0 && l[i - w] != v) || (r < h - 1 && l[i + w] != v) || (c > 0 && l[i - 1] != v) || (c < w - 1 && l[i + 1] != v)
    }

    /// The slice of case `id` with the most reference foreground (the middle slice when there is none).
    /// `image` `[C, D, H, W]`, `reference` and `prediction` `[D, H, W]`.
    static func make(id: String, image: Tensor, reference: Tensor, prediction: Tensor) -> ValidationSnapshot {
        let (D, H, W) = (reference.shape[0], reference.shape[1], reference.shape[2])
        let ref = reference.scalars, pred = prediction.scalars, img = image.scalars
        var best = D / 2, bestCount = 0
        for z in 0..<D {
            var n = 0
            for i in 0..<(H * W) where ref[z * H * W + i] > 0 { n += 1 }
            if n > bestCount { bestCount = n; best = z }
        }
        let range = (best * H * W)..<((best + 1) * H * W)
        let values = Array(img[range])
        let sorted = values.filter { $0.isFinite }.sorted()
        func q(_ p: Double) -> Float { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(p * Double(sorted.count - 1)))] }
        var lo = q(0.005), hi = q(0.995)
        if hi <= lo { lo = sorted.first ?? 0; hi = max(sorted.last ?? 1, lo + 1e-6) }
        return ValidationSnapshot(caseID: id, slice: best, width: W, height: H, image: values, window: (lo, hi),
                                  reference: ref[range].map { Int($0) }, prediction: pred[range].map { Int($0) })
    }
}

/// What one validation measured.
public struct ValidationResult: Sendable {
    /// Mean foreground Dice over the validation cases.
    public var dice: Double?
    /// Mean Dice per foreground class over the validation cases (class index -> Dice; classes undefined in every case
    /// are absent).
    public var classDice: [Int: Double]
    /// The training loss function (`TrainConfig.loss`) on the validation predictions, mean over cases.
    public var loss: Double?
    /// The first validation case's most-foreground slice, for progress pictures.
    public var snapshot: ValidationSnapshot?
}

/// One epoch's numbers, as logged in `metrics.csv`.
public struct EpochMetrics: Sendable {
    /// 1-based epoch.
    public var epoch: Int
    /// Mean training loss (total) and its supervised part.
    public var loss: Double
    public var supervisedLoss: Double
    public var learningRate: Double
    public var validationDice: Double?
    public var validationLoss: Double?
    /// Strategy values (`RunContext.record`).
    public var strategyValues: [String: Double]
}

/// Watches a training run (TensorBoard logs, progress pictures). Defined here so that training does not depend on
/// the layers that render; the CLI installs renderers through `Trainer.observers` / `RunPipeline.run(observers:)`.
public protocol TrainingObserver: AnyObject {
    /// Called once per `train` invocation before the first new epoch; `epochsDone` > 0 after a resume. Anything the
    /// observer logged for epochs after `epochsDone` (a killed invocation) must be dropped here.
    func trainingWillStart(_ run: RunContext, epochsDone: Int) throws
    /// Called after each epoch with its numbers, the whole history so far (this epoch last), and the validation result
    /// when the epoch validated. Called before the epoch's checkpoint is written.
    func epochDidEnd(_ run: RunContext, epoch: EpochMetrics, history: [EpochMetrics], validation: ValidationResult?) throws
}
