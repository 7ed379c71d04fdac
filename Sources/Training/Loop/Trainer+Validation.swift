import Engine
import Evaluation
import Foundation

extension Trainer {
    /// Validates the current model on every labeled validation case: mean foreground and per-class Dice, the training
    /// loss on the predictions, and a snapshot of the first case for progress pictures. Nil without validation labels.
    ///
    /// The loss is `TrainConfig.loss` applied to `log p` of the (sliding-window, strategy) probabilities `p`
    /// (clamped at 1e-8): softmax(log p) = p, so with a whole-image window this is exactly the training loss of the
    /// validation image; with sliding windows or test-time mirroring it is the loss of the combined prediction.
    /// Mean over cases; 2D models see a volume's slices as one batch, as in training.
    public func validateDetailed() throws -> ValidationResult? {
        var results: [CaseResult] = []
        var lossSum = 0.0, lossCount = 0
        var snapshot: ValidationSnapshot?
        for c in run.data.validation {
            guard let label = c.label else { continue }
            let probs = try strategy.predict(c.image, run)?.probabilities ?? run.plainProbabilities(c.image)
            let pred = probs.argmax(axis: 0)
            let shape = c.spatialShape
            let p = try LabelMap(labels: pred.scalars.map { UInt8($0) }, shape: shape)
            let r = try LabelMap(labels: label.scalars.map { UInt8($0) }, shape: shape)
            results.append(try evaluateCase(c.id, prediction: p, reference: r, classes: config.classes, options: MetricOptions(surfaceMetrics: false)))
            let l = validationLoss(probabilities: probs, label: label, mask: c.mask)
            if l.isFinite { lossSum += l; lossCount += 1 }
            if snapshot == nil { snapshot = ValidationSnapshot.make(id: c.id, image: c.image, reference: label, prediction: pred) }
        }
        guard !results.isEmpty else { return nil }
        let agg = try aggregate(results)
        var classDice: [Int: Double] = [:]
        for k in 1..<config.classes { if let d = agg.mean[k]?[.dice] { classDice[k] = d } }
        return ValidationResult(dice: agg.foregroundMean[.dice], classDice: classDice,
                                loss: lossCount > 0 ? lossSum / Double(lossCount) : nil, snapshot: snapshot)
    }

    /// `TrainConfig.loss` of probabilities `[K, D, H, W]` against `label` `[D, H, W]` (see `validateDetailed`).
    func validationLoss(probabilities probs: Tensor, label: Tensor, mask: Tensor?) -> Double {
        withNoGrad {
            let K = probs.shape[0], sp = Array(probs.shape.dropFirst())
            let logp = probs.clamped(min: 1e-8, max: 1).log()
            let logits: Tensor, y: Tensor, m: Tensor?
            if config.dims == 2 {
                logits = logp.permuted([1, 0, 2, 3])
                y = label; m = mask
            } else {
                logits = logp.reshaped([1, K] + sp)
                y = label.reshaped([1] + sp); m = mask?.reshaped([1] + sp)
            }
            return Double(defaultLoss(logits, y, mask: m).item)
        }
    }
}
