import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

extension NNTests {
    /// The zoo networks against their PyTorch reference modules (scripts/reference/zoo_reference.py): same state dict
    /// names and shapes, forward logits and every parameter gradient within 1e-4 relative.
    @Suite("Network zoo")
    struct ZooTests {
        /// (registry name, dims, options) of each fixture; sizes as in zoo_reference.py.
        static let cases: [(String, Int, [String: String])] = [
            ("vnet", 2, [:]), ("vnet", 3, [:]), ("attention-unet", 2, [:]), ("attention-unet", 3, [:]),
            ("unetpp", 2, ["deep-supervision": "true"]), ("unetpp", 3, [:]),
        ]

        static func spec(_ name: String, _ dims: Int, _ options: [String: String]) -> NetworkSpec {
            dims == 2 ? NetworkSpec(name: name, dims: 2, classes: 3, base: 4, depth: 2, options: options)
                : NetworkSpec(name: name, dims: 3, classes: 2, base: name == "attention-unet" ? 4 : 2, depth: 2, options: options)
        }

        @Test(arguments: 0..<6) func matchesPyTorchForwardAndGradients(_ index: Int) throws {
            let (name, dims, options) = Self.cases[index]
            let file = "zoo_\(name.replacingOccurrences(of: "-", with: "_"))_\(dims)d.safetensors"
            let fx = try SafeTensors.read(contentsOf: Fixtures.url(file))
            let t = fx.tensors
            guard let x = t["input"], let labels = t["labels"], let refLogits = t["logits"], let refLoss = t["loss"] else {
                Issue.record("\(file) incomplete"); return
            }
            let spec = Self.spec(name, dims, options)
            #expect(NetworkRegistry.problems(spec).isEmpty)
            let m = NetworkRegistry.build(spec, seed: 1)
            // The reference's state dict keys, in its order (PyTorch named order = ours).
            #expect(m.namedStates().map(\.name).joined(separator: ",") == fx.metadata["keys"], "\(file): state dict names differ")
            #expect(String(m.parameterCount) == fx.metadata["params"])
            hashInit(m)
            m.train()
            let (logits, aux) = m.forwardWithAuxiliary(x)
            let outs = aux + [logits]
            let loss = outs.dropFirst().reduce(Losses.crossEntropy(outs[0], labels)) { $0 + Losses.crossEntropy($1, labels) } * (1 / Float(outs.count))
            loss.backward()
            let logitErr = relativeError(logits.scalars, refLogits.scalars)
            #expect(logitErr < 1e-4, "\(file): logits relative error \(logitErr)")
            #expect(abs(loss.item - refLoss.item) <= 1e-5 * abs(refLoss.item), "\(file): loss \(loss.item) vs \(refLoss.item)")
            let (worst, _) = expectGradientsMatch(m, t)
            print("\(file): logits rel err \(logitErr), worst grad rel err \(worst.error) (\(worst.name)), \(m.parameterCount) parameters")
        }

        @Test func preluMatchesPyTorch() throws {
            let t = try SafeTensors.load(contentsOf: Fixtures.url("prelu_parity.safetensors"))
            guard let x0 = t["x"], let g = t["g"] else { Issue.record("fixture incomplete"); return }
            for tag in ["channel", "shared"] {
                guard let w0 = t["\(tag).w"], let ry = t["\(tag).y"], let rdx = t["\(tag).dx"], let rdw = t["\(tag).dw"] else {
                    Issue.record("fixture incomplete: \(tag)"); continue
                }
                let x = x0.copy().requiringGrad(), w = w0.copy().requiringGrad()
                let y = x.prelu(w)
                y.backward(g)
                expectClose(y, ry, atol: 1e-6, rtol: 1e-6, "\(tag) y")
                if let dx = x.grad { expectClose(dx, rdx, atol: 1e-6, rtol: 1e-6, "\(tag) dx") } else { Issue.record("no dx") }
                if let dw = w.grad { expectClose(dw, rdw, atol: 1e-5, rtol: 1e-5, "\(tag) dw") } else { Issue.record("no dw") }
            }
        }

        @Test func everyNetworkBuildsInBothRanksWithDropoutAndDivisor() {
            for e in NetworkRegistry.entries {
                for dims in e.dims {
                    var spec = NetworkSpec(name: e.name, dims: dims, inChannels: 2, classes: 3, base: 4, depth: 2)
                    spec.dropout = DropoutPlan(p: 0.3, placement: .both)
                    #expect(NetworkRegistry.problems(spec).isEmpty, "\(e.name) \(dims)D: \(NetworkRegistry.problems(spec))")
                    let m = NetworkRegistry.build(spec, seed: 2)
                    #expect(m.spatialDims == dims && m.inputChannels == 2 && m.classes == 3)
                    let div = NetworkRegistry.divisor(spec)
                    #expect(m.inputDivisor == [Int](repeating: div, count: dims))
                    #expect(!m.dropoutLayers.isEmpty, "\(e.name) \(dims)D has no dropout sites")
                    var rng = RNG(seed: 1)
                    let size = [Int](repeating: 2 * div, count: dims)
                    let y = withNoGrad { m.eval()(Tensor.randn([1, 2] + size, rng: &rng)) }
                    #expect(y.shape == [1, 3] + size, "\(e.name) \(dims)D output \(y.shape)")
                }
            }
        }

        @Test func registryRejectsBadSpecsWithReadableMessages() {
            #expect(NetworkRegistry.problems(NetworkSpec(name: "resnet", dims: 2)).first?.contains("model must be one of") == true)
            #expect(NetworkRegistry.problems(NetworkSpec(name: "unetpp", dims: 2, options: ["deep-supervision": "maybe"])).first?.contains("true or false") == true)
            #expect(NetworkRegistry.problems(NetworkSpec(name: "vnet", dims: 2, options: ["width": "3"])).first?.contains("no option width") == true)
            #expect(NetworkRegistry.problems(NetworkSpec(name: "vnet", dims: 2, inChannels: 3, base: 8)).first?.contains("multiple") == true)
            #expect(NetworkRegistry.problems(NetworkSpec(name: "unet", dims: 4)).contains { $0.contains("not 4D") })
            #expect(NetworkRegistry.lookup("unet2d")?.aliasDims == 2 && NetworkRegistry.storedName("unet", dims: 3) == "unet3d")
            #expect(NetworkRegistry.storedName("vnet", dims: 3) == "vnet")
        }

        @Test func unetSpecBuildsTheSameNetworkAsItsConfig() {
            let spec = NetworkSpec(name: "unet", dims: 2, classes: 3, base: 4, depth: 2, norm: .instance, upsampling: .transposedConv)
            let a = NetworkRegistry.build(spec, seed: 5), b = UNet(UNetConfig(dims: 2, classes: 3, baseChannels: 4, depth: 2, norm: .instance, upsampling: .transposedConv), seed: 5)
            #expect(a.namedStates().map(\.name) == b.namedStates().map(\.name))
            #expect(zip(a.namedStates(), b.namedStates()).allSatisfy { $0.tensor.scalars == $1.tensor.scalars })
        }
    }
}
