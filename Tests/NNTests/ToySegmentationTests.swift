import Engine
@testable import NN
import Testing
import TestSupport

extension NNTests {
    /// End-to-end learning: a small 2D U-Net learns to segment bright discs and squares on noise.
    @Suite("Toy segmentation")
    struct ToySegmentationTests {
        /// One 32x32 image `[1, 32, 32]` with 1-2 shapes of random size and position, and its mask.
        static func sample(_ rng: inout RNG) -> ([Float], [Float]) {
            let s = 32
            var img = [Float](repeating: 0, count: s * s), mask = [Float](repeating: 0, count: s * s)
            for _ in 0..<(1 + rng.int(below: 2)) {
                let r = 3 + rng.int(below: 5), cx = r + rng.int(below: s - 2 * r), cy = r + rng.int(below: s - 2 * r)
                let disc = rng.int(below: 2) == 0
                for y in 0..<s {
                    for x in 0..<s {
                        let dx = x - cx, dy = y - cy
                        let inside = disc ? dx * dx + dy * dy <= r * r : (abs(dx) <= r && abs(dy) <= r)
                        if inside { mask[y * s + x] = 1 }
                    }
                }
            }
            for i in 0..<(s * s) { img[i] = mask[i] * 1.0 + 0.35 * rng.normal() }
            return (img, mask)
        }

        static func batch(_ n: Int, _ rng: inout RNG) -> (Tensor, Tensor) {
            var xs: [Float] = [], ys: [Float] = []
            for _ in 0..<n { let (x, y) = sample(&rng); xs += x; ys += y }
            return (Tensor(xs, shape: [n, 1, 32, 32]), Tensor(ys, shape: [n, 32, 32]))
        }

        @Test func smallUNetLearnsToyShapes() {
            let net = UNet(UNetConfig(dims: 2, baseChannels: 8, depth: 2), seed: 1)
            let opt = Adam(net.namedParameters(), learningRate: 3e-3)
            let schedule = LRSchedule.poly(base: 3e-3, totalSteps: 120)
            var rng = RNG(seed: 11)
            for step in 0..<120 {
                let (x, y) = Self.batch(8, &rng)
                opt.learningRate = schedule.learningRate(at: step)
                opt.zeroGrad()
                let logits = net(x)
                let loss = Losses.diceCrossEntropy(logits, y)
                loss.backward()
                opt.step()
            }
            net.eval()
            var testRNG = RNG(seed: 999)
            let (x, y) = Self.batch(16, &testRNG)
            let pred = withNoGrad { net(x) }.argmax(axis: 1).scalars
            var tp: Float = 0, fp: Float = 0, fn: Float = 0
            for (p, t) in zip(pred, y.scalars) {
                if p == 1 && t == 1 { tp += 1 } else if p == 1 { fp += 1 } else if t == 1 { fn += 1 }
            }
            let dice = 2 * tp / (2 * tp + fp + fn)
            print("toy held-out Dice \(dice)")
            #expect(dice > 0.9)
        }
    }
}
