/// A small deterministic generator (SplitMix64) for phantoms: the same seed gives the same dataset on
/// every machine and thread count.
struct PhantomRNG {
    private var state: UInt64

    /// A generator for case `index` of a dataset with `seed` (streams of different cases are independent).
    init(seed: UInt64, stream: UInt64 = 0) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 &+ stream &* 0xD1B5_4A32_D192_ED03 &+ 0x1234_5678
        _ = next(); _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }

    /// Standard normal pair (Box-Muller).
    mutating func normalPair() -> (Float, Float) {
        let u1 = max(unit(), 1e-7), u2 = unit()
        let r = (-2 * logf(u1)).squareRoot()
        let t = 2 * Float.pi * u2
        return (r * cosf(t), r * sinf(t))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
