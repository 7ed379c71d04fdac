@testable import Engine
import Testing

/// The convolution bias gradient (`ConvKernels.channelSums`, split across the workers, eight rows at a time) against the
/// serial loop it replaced, bit for bit: training stays bit-identical to earlier builds.
@Suite("ChannelSums")
struct ChannelSumsTests {
    /// (batch, channels, positions): row counts below, at and above the 8-row groups and not multiples of 8; rows long
    /// enough to split across the workers.
    @Test(arguments: [(1, 2, 37), (3, 5, 1000), (2, 16, 70_000), (8, 3, 4096)])
    func matchesTheSerialLoop(_ batch: Int, _ channels: Int, _ positions: Int) {
        var rng = RNG(seed: 31)
        let gy = (0..<(batch * channels * positions)).map { _ in rng.uniform(-1, 1) * 10 }
        var expected = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            var total: Double = 0
            for s in 0..<batch {
                var acc: Float = 0
                for j in 0..<positions { acc += gy[(s * channels + c) * positions + j] }
                total += Double(acc)
            }
            expected[c] = Float(total)
        }
        var got = [Float](repeating: .nan, count: channels)
        gy.withUnsafeBufferPointer { g in
            got.withUnsafeMutableBufferPointer { d in
                ConvKernels.channelSums(g.baseAddress!, batch: batch, channels: channels, positions: positions, into: d.baseAddress!)
            }
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
