import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

/// The zoo networks of issue #14 built from a fixture's `config` metadata (the constructor arguments of the PyTorch
/// reference modules in scripts/reference/zoo_deeplab.py, zoo_dilated_fcn.py, zoo_segnet.py), dropout off.
enum ZooFixtureNetwork {
    struct Arguments: Decodable {
        var nd: Int, classes: Int, base: Int
        var blocks: [Int]?, output_stride: Int?, stages: Int?
    }

    static func build(_ name: String, _ a: Arguments) -> Module? {
        let stride: DeepLabOutputStride = a.output_stride == 8 ? .eight : .sixteen
        let off = DropoutPlan.off
        let deeplab = DeepLabConfig(dims: a.nd, classes: a.classes, baseChannels: a.base, blocks: a.blocks ?? [2, 2, 2, 2],
                                    outputStride: stride, dropout: off)
        switch name.split(separator: "_").first {
        case "deeplabv3": return DeepLabV3(deeplab, seed: 9)
        case "deeplabv3plus": return DeepLabV3Plus(deeplab, seed: 9)
        case "dilatedfcn": return DilatedFCN(DilatedFCNConfig(dims: a.nd, classes: a.classes, baseChannels: a.base, dropout: off), seed: 9)
        case "segnet": return SegNet(SegNetConfig(dims: a.nd, classes: a.classes, baseChannels: a.base, stages: a.stages ?? 5), seed: 9)
        default: return nil
        }
    }
}

extension NNTests {
    @Suite("Zoo network parity (DeepLabv3, DeepLabv3+, dilated FCN, SegNet)")
    struct ZooNetworkParityTests {
        static let fixtures = ["deeplabv3_2d", "deeplabv3_3d", "deeplabv3plus_2d", "deeplabv3plus_3d",
                               "dilatedfcn_2d", "dilatedfcn_3d", "segnet_2d", "segnet_3d"]

        /// Forward logits, cross-entropy and every parameter gradient equal the float64 PyTorch reference (weights from
        /// the fixture, training mode) within 1e-4 relative (fixtures: scripts/reference/zoo_b_parity.py).
        @Test(arguments: fixtures)
        func matchesPyTorch(_ name: String) throws {
            let fx = try SafeTensors.read(contentsOf: Fixtures.url("zoo_\(name).safetensors"))
            let t = fx.tensors
            let config = try #require(fx.metadata["config"]?.data(using: .utf8))
            let args = try JSONDecoder().decode(ZooFixtureNetwork.Arguments.self, from: config)
            let m = try #require(ZooFixtureNetwork.build(name, args))
            guard let x = t["input"], let labels = t["labels"], let refLogits = t["logits"], let refLoss = t["loss"] else {
                Issue.record("\(name): fixture incomplete"); return
            }
            var state: [String: Tensor] = [:]
            for (k, v) in t where k.hasPrefix("state.") { state[String(k.dropFirst(6))] = v }
            try m.load(stateDict: state)
            let names = Set(m.namedParameters().map(\.name))
            let refNames = Set(t.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
            #expect(names == refNames, "\(name): parameter names differ from the PyTorch reference")
            let logits = m(x)
            #expect(logits.shape == refLogits.shape)
            let loss = Losses.crossEntropy(logits, labels)
            loss.backward()
            let logitErr = relativeError(logits.scalars, refLogits.scalars)
            #expect(logitErr < 1e-4, "\(name): logits relative error \(logitErr)")
            #expect(abs(loss.item - refLoss.item) <= 1e-4 * abs(refLoss.item), "\(name): loss \(loss.item) vs \(refLoss.item)")
            let (worst, _) = expectGradientsMatch(m, t)
            print("\(name) parity: logits rel err \(logitErr), worst grad rel err \(worst.error) (\(worst.name))")
        }

        @Test func defaultNetworksMapShapesIn2DAnd3D() {
            withNoGrad {
                for dims in [2, 3] {
                    let size = dims == 2 ? [32, 32] : [32, 32, 32]
                    var rng = RNG(seed: 1)
                    let x = Tensor.uniform([2, 1] + size, -1, 1, rng: &rng)
                    let nets: [Module] = [DeepLabV3(DeepLabConfig(dims: dims, baseChannels: 4)),
                                          DeepLabV3Plus(DeepLabConfig(dims: dims, baseChannels: 4, outputStride: .eight)),
                                          DilatedFCN(DilatedFCNConfig(dims: dims, classes: 3, baseChannels: 4)),
                                          SegNet(SegNetConfig(dims: dims, baseChannels: 2))]
                    for m in nets {
                        let y = m.eval()(x)
                        #expect(y.shape[0] == 2 && Array(y.shape[2...]) == size, "\(type(of: m)) \(dims)D: output \(y.shape)")
                        #expect(y.isFinite)
                    }
                }
            }
        }

        @Test func deepLabHandlesOddSizesAndASingleTrainingSample() {
            var rng = RNG(seed: 2)
            let x = Tensor.uniform([1, 1, 37, 29], -1, 1, rng: &rng)
            for m in [DeepLabV3(DeepLabConfig(dims: 2, baseChannels: 2)), DeepLabV3Plus(DeepLabConfig(dims: 2, baseChannels: 2)) as Module] {
                let y = m.train()(x)
                #expect(y.shape == [1, 2, 37, 29])
                #expect(y.isFinite)
            }
        }

        /// `.none` keeps the reference architectures' own dropout (DeepLab ASPP 0.5 and v3+ decoder 0.5 / 0.1, dilated FCN
        /// head 0.5; SegNet none); `.off` removes it; MC dropout's plans add encoder / decoder sites on every network.
        @Test func dropoutSitesFollowThePlan() {
            func rates(_ name: String, _ plan: DropoutPlan) -> [Float] {
                NetworkRegistry.build(NetworkSpec(name: name, dims: 2, base: 4, dropout: plan)).dropoutLayers.map(\.p)
            }
            #expect(rates("deeplabv3", .none) == [0.5])
            #expect(rates("deeplabv3plus", .none) == [0.5, 0.5, 0.1])
            #expect(rates("dilated-fcn", .none) == [0.5, 0.5])
            #expect(rates("segnet", .none).isEmpty)
            for name in ["deeplabv3", "deeplabv3plus", "dilated-fcn", "segnet"] {
                #expect(rates(name, .off).isEmpty, "\(name)")
                let ramp = rates(name, DropoutPlan(p: 0.5, placement: .encoderRamp))
                #expect(ramp.count >= 4 && ramp.allSatisfy { $0 > 0 && $0 <= 0.5 } && ramp.contains(0.5), "\(name): \(ramp)")
                #expect(!rates(name, DropoutPlan(p: 0.2, placement: .decoder)).isEmpty, "\(name)")
            }
        }

        @Test func invalidConfigurationsAreNamed() {
            #expect(DeepLabConfig(dims: 4, blocks: [1, 1]).problems.count == 2)
            #expect(DilatedFCNConfig(dims: 2, dilations: [1, 0]).problems.count == 1)
            #expect(SegNetConfig(dims: 2, stages: 6, dropout: DropoutPlan(p: 1, placement: .both)).problems.count == 2)
            #expect(NetworkRegistry.problems(NetworkSpec(name: "deeplabv3", dims: 2, options: ["output-stride": "4"])).count == 1)
            #expect(NetworkRegistry.problems(NetworkSpec(name: "segnet", dims: 3, options: ["stages": "x"])).count == 1)
        }
    }
}
