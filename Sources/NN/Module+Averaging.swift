import Engine

extension Module {
    /// Mean-teacher style exponential moving average: for every parameter p ← decay·p + (1 − decay)·source's p;
    /// buffers (BatchNorm running statistics and counters) are copied from `source`. Both modules must have the
    /// same state-dict keys and shapes (e.g. two `UNet`s with one config); runs without recording.
    public func updateEMA(from source: Module, decay: Float) {
        precondition(decay >= 0 && decay <= 1, "updateEMA: decay must be in [0, 1], got \(decay)")
        let theirs = source.stateDict()
        let params = Set(namedParameters().map { $0.name })
        for (name, t) in namedStates() {
            guard let s = theirs[name], s.shape == t.shape else {
                preconditionFailure("updateEMA: source has no state \(name) of shape \(t.shape)")
            }
            let keep = params.contains(name) ? decay : 0
            s.withData { src in
                t.withMutableData { dst in for i in 0..<dst.count { dst[i] = keep * dst[i] + (1 - keep) * src[i] } }
            }
        }
    }

    /// Copies every parameter and buffer value from `source` (same keys and shapes), e.g. to start a teacher.
    public func copyState(from source: Module) { updateEMA(from: source, decay: 0) }
}
