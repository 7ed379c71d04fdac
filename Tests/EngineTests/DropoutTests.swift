import Engine
import TestSupport
import Testing

@Suite("Dropout")
struct DropoutTests {
    @Test func identityWhenOffOrZero() {
        var rng = RNG(seed: 1)
        let x = Tensor.randn([2, 3, 4], rng: &rng)
        let before = rng
        #expect(x.dropout(p: 0, training: true, rng: &rng) === x)
        #expect(x.dropout(p: 0.5, training: false, rng: &rng) === x)
        #expect(rng == before, "no random draws when dropout is off")
    }

    @Test func maskStatisticsAndScale() {
        let x = Tensor(repeating: 1, shape: [1, 1, 100, 200])
        var rng = RNG(seed: 3)
        let y = x.dropout(p: 0.3, training: true, rng: &rng).scalars
        let kept = y.filter { $0 != 0 }
        let rate = Double(kept.count) / Double(y.count)
        #expect(abs(rate - 0.7) < 0.02, "keep rate \(rate)")
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-5 })
        let mean = y.reduce(0, +) / Float(y.count)
        #expect(abs(mean - 1) < 0.04, "inverted dropout keeps the mean, got \(mean)")
        var r1 = RNG(seed: 5)
        #expect(x.dropout(p: 1, training: true, rng: &r1).scalars.allSatisfy { $0 == 0 })
    }

    @Test func channelwiseZeroesWholeChannels() {
        let x = Tensor(repeating: 1, shape: [4, 16, 3, 5])
        var rng = RNG(seed: 11)
        let y = x.dropout(p: 0.5, channelwise: true, training: true, rng: &rng).scalars
        var zeroed = 0
        for slice in 0..<64 {
            let values = Set(y[(slice * 15)..<((slice + 1) * 15)])
            #expect(values == [0] || values == [2], "slice \(slice) mixes values \(values)")
            if values == [0] { zeroed += 1 }
        }
        #expect(zeroed > 10 && zeroed < 54)
    }

    @Test func deterministicForASeed() {
        let x = Tensor(repeating: 1, shape: [2, 3, 8])
        var a = RNG(seed: 7), b = RNG(seed: 7), c = RNG(seed: 8)
        let ya = x.dropout(p: 0.5, training: true, rng: &a).scalars
        #expect(ya == x.dropout(p: 0.5, training: true, rng: &b).scalars)
        #expect(ya != x.dropout(p: 0.5, training: true, rng: &c).scalars)
        #expect(a == b)
    }

    @Test(arguments: [false, true])
    func gradientIsMaskTimesScale(channelwise: Bool) {
        var rng = RNG(seed: 21)
        let x = Tensor.randn([2, 3, 4, 4], rng: &rng).requiringGrad()
        let y = x.dropout(p: 0.4, channelwise: channelwise, training: true, rng: &rng)
        let g = Tensor.randn(y.shape, rng: &rng)
        y.backward(g)
        // Kept elements are exactly x / 0.6; dropped ones are 0 (x is never exactly 0 here).
        let ys = y.scalars, gs = g.scalars
        let expected = ys.indices.map { ys[$0] == 0 ? Float(0) : gs[$0] / 0.6 }
        guard let grad = x.grad else { Issue.record("no gradient"); return }
        expectClose(grad.scalars, expected, atol: 1e-5)
    }
}
