import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

extension NNTests {
    /// One training step of the zoo's 2D networks at the bench's width (base 16, input 2x1x128x128) under
    /// `ConvAlgorithm.automatic`, whose training forward runs as Winograd on 2D planes
    /// (`ConvKernels.winogradTrainingForwardPays`, docs/ARCHITECTURE.md, Engine), against the same step on the direct
    /// kernels (`.direct`: no Winograd in any pass). At this size a step's gradients are sensitive to any rounding of the
    /// forward (ReLU masks and max-pool indices flip): two exact kernels, im2col + sgemm and direct, already differ by
    /// 1.5e-3 to 3.8e-3 over all gradients (worst parameter 4e-3 to 6.5e-3), so the bound is relative to that
    /// disagreement (measured: Winograd forward 3.2x to 5.7x of it; 4.9e-3 to 2.2e-2 over all gradients, worst parameter
    /// 1.5e-2 to 9.8e-2, a batch-norm or conv bias; logits 7e-6 to 1.1e-4). The Winograd backward passes alone stay
    /// at 2.6e-6 to 8.3e-6. The PyTorch fixtures (tiny inputs) keep their 1e-4 (ZooTests, ZooNetworkParityTests).
    @Suite("Winograd training forward (2D zoo networks)")
    struct WinogradTrainingForwardTests {
        /// (logits, loss, gradient per parameter name) of one step from the same weights and batch.
        static func step(_ name: String, _ algorithm: ConvAlgorithm, passes: ConvKernels.TrainingPasses = .all, input: [Int])
            -> ([Float], Float, [String: [Float]]) {
            ConvKernels.$scopedAlgorithm.withValue(algorithm) {
                ConvKernels.$winogradTrainingPasses.withValue(passes) {
                    let m = NetworkRegistry.build(NetworkSpec(name: name, dims: 2, classes: 2, base: 16), seed: 3)
                    m.train()
                    var rng = RNG(seed: 7)
                    let x = Tensor.uniform(input, -1, 1, rng: &rng)
                    let labelShape = [input[0]] + input.dropFirst(2)
                    let labels = Tensor((0..<Shape.count(labelShape)).map { _ in rng.uniform(0, 1) < 0.3 ? Float(1) : 0 }, shape: labelShape)
                    let logits = m(x)
                    let loss = Losses.crossEntropy(logits, labels)
                    loss.backward()
                    var grads: [String: [Float]] = [:]
                    for (n, p) in m.namedParameters() { if let g = p.grad { grads[n] = g.scalars } }
                    return (logits.scalars, loss.item, grads)
                }
            }
        }

        /// Worst relative error over the parameters (those with a gradient norm >= 1e-6 of the largest: conv biases in
        /// front of a batch norm have a rounding-only gradient), and its name.
        static func worstGradient(_ a: [String: [Float]], _ ref: [String: [Float]]) -> (Double, String) {
            let scale = ref.values.map(norm).max() ?? 1
            var worst = 0.0, name = ""
            for (n, r) in ref where norm(r) >= 1e-6 * scale {
                let e = relativeError(a[n] ?? [], r)
                if e > worst { worst = e; name = n }
            }
            return (worst, name)
        }

        @Test(arguments: ["segnet", "attention-unet", "unetpp"])
        func stepStaysCloseToTheDirectKernels(_ name: String) {
            let input = [2, 1, 128, 128]
            let direct = Self.step(name, .direct, input: input)
            let auto = Self.step(name, .automatic, input: input)
            let backwardOnly = Self.step(name, .winogradTraining, passes: [.backwardData, .backwardWeight], input: input)
            let gemm = Self.step(name, .gemm, input: input)
            let keys = direct.2.keys.sorted()
            func global(_ a: [String: [Float]]) -> Double {
                relativeError(keys.flatMap { a[$0] ?? [] }, keys.flatMap { direct.2[$0] ?? [] })
            }
            let (worst, worstName) = Self.worstGradient(auto.2, direct.2)
            let (worstGemm, gemmName) = Self.worstGradient(gemm.2, direct.2)
            let logitErr = relativeError(auto.0, direct.0)
            let (all, allGemm, allBackward) = (global(auto.2), global(gemm.2), global(backwardOnly.2))
            print("\(name) 2D base 16 \(input) vs the direct kernels: .automatic (Winograd forward + backward) logits \(logitErr), "
                  + "all gradients \(all), worst \(worst) (\(worstName)); im2col + sgemm logits \(relativeError(gemm.0, direct.0)), "
                  + "all gradients \(allGemm), worst \(worstGemm) (\(gemmName)); Winograd backward only: all gradients \(allBackward)")
            #expect(auto.0 != direct.0, "\(name): the training forward should run as Winograd")
            #expect(logitErr < 1e-3, "\(name): logits relative error \(logitErr)")
            #expect(abs(auto.1 - direct.1) <= 1e-5 * abs(direct.1), "\(name): loss \(auto.1) vs \(direct.1)")
            #expect(all < 10 * Swift.max(allGemm, 1e-4), "\(name): all gradients \(all) vs im2col's \(allGemm)")
            #expect(allBackward < 1e-4, "\(name): Winograd backward passes alone \(allBackward)")
        }
    }
}
