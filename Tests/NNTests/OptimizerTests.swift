import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

extension NNTests {
    /// Trajectories against torch.optim (constants: scripts/reference/nn_reference.py, gen_optimizers).
    @Suite("Optimizers")
    struct OptimizerTests {
        func run(_ name: String, make: ([(name: String, tensor: Tensor)]) -> any Optimizer) throws {
            let j = try Fixtures.json("optimizers.json")
            let p0 = floats(j["p0"]), grads = (j["grads"] as? [Any] ?? []).map { floats($0) }
            let c = (j["cases"] as? [String: Any])?[name] as? [String: Any] ?? [:]
            let after = (c["after"] as? [Any] ?? []).map { floats($0) }
            #expect(after.count == grads.count && !grads.isEmpty)
            let p = Tensor(p0, shape: [p0.count]).requiringGrad()
            let opt = make([("w", p)])
            for (g, ref) in zip(grads, after) {
                p.grad = Tensor(g, shape: [g.count])
                opt.step()
                expectClose(p.scalars, ref, atol: 1e-6, rtol: 1e-5, "\(name) step \(opt.stepCount)")
            }
        }

        @Test func sgdMatchesTorch() throws {
            try run("sgd") { SGD($0, learningRate: 0.1) }
            try run("sgd_momentum") { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }
            try run("sgd_nesterov") { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) }
        }

        @Test func adamMatchesTorch() throws {
            try run("adam") { Adam($0, learningRate: 0.01) }
            try run("adam_wd") { Adam($0, learningRate: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.05) }
            try run("adamw") { Adam.adamW($0, learningRate: 0.01, weightDecay: 0.1) }
        }

        @Test func stateDictResumesExactly() throws {
            var rng = RNG(seed: 4)
            let grads = (0..<6).map { _ in Tensor.randn([5], rng: &rng) }
            let p0 = Tensor.randn([5], rng: &rng)
            func make(_ p: Tensor) -> [any Optimizer] {
                [Adam([("w", p)], learningRate: 0.05), SGD([("w", p)], learningRate: 0.1, momentum: 0.9, nesterov: true)]
            }
            for k in 0..<2 {
                let a = p0.copy().requiringGrad()
                let optA = make(a)[k]
                for g in grads { a.grad = g; optA.step() }
                let b = p0.copy().requiringGrad()
                var optB = make(b)[k]
                for g in grads.prefix(3) { b.grad = g; optB.step() }
                let saved = optB.stateDict()
                optB = make(b)[k]
                try optB.load(stateDict: saved)
                #expect(optB.stepCount == 3)
                for g in grads.dropFirst(3) { b.grad = g; optB.step() }
                #expect(a.scalars == b.scalars)
            }
            let sgd = SGD([("w", p0.copy().requiringGrad())], learningRate: 1, momentum: 0.5)
            #expect(throws: OptimizerError.missing("step")) { try sgd.load(stateDict: [:]) }
            #expect(throws: OptimizerError.unexpected(["v.momentum_buffer"])) {
                try sgd.load(stateDict: ["step": Tensor(scalar: 1), "v.momentum_buffer": Tensor(zeros: [5])])
            }
            let adam = Adam([("w", p0.copy().requiringGrad())])
            #expect(throws: OptimizerError.shapeMismatch(key: "w.exp_avg", expected: [5], found: [4])) {
                try adam.load(stateDict: ["step": Tensor(scalar: 1), "w.exp_avg": Tensor(zeros: [4]), "w.exp_avg_sq": Tensor(zeros: [5])])
            }
        }

        @Test func skipsParametersWithoutGradientAndZeroGrads() {
            let a = Tensor([1, 2], shape: [2]).requiringGrad(), b = Tensor([3], shape: [1]).requiringGrad()
            let opt = SGD([("a", a), ("b", b)], learningRate: 0.5)
            a.grad = Tensor([1, 1], shape: [2])
            opt.step()
            #expect(a.scalars == [0.5, 1.5] && b.scalars == [3])
            opt.zeroGrad()
            #expect(a.grad == nil)
        }
    }
}
