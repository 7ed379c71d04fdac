import Engine

/// Weight initialisers matching PyTorch's defaults, drawn from a seeded `RNG`.
public enum Initializers {
    /// PyTorch's default for conv/linear weights: `kaiming_uniform_(a: sqrt(5))`, i.e. U(-b, b) with
    /// b = 1/sqrt(fanIn). Also the default bias distribution (with the weight's fan-in).
    public static func kaimingUniform(_ shape: [Int], fanIn: Int, rng: inout RNG) -> Tensor {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return Tensor.uniform(shape, -bound, bound, rng: &rng)
    }
}
