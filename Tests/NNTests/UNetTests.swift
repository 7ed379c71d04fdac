import Engine
import Foundation
@testable import NN
import Testing
import TestSupport

/// splitmix64-based values in [-1, 1), identical to `hash_uniform` in scripts/reference/nn_reference.py.
func hashUniform(_ k: Int, _ n: Int) -> [Double] {
    (0..<n).map { i in
        var z = (UInt64(k) << 32) &+ UInt64(i) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 40) / 16_777_216.0 * 2.0 - 1.0
    }
}

/// The deterministic parameter init of `hash_init` in scripts/reference/nn_reference.py.
func hashInit(_ model: Module) {
    let states = model.stateDict()
    for (k, (name, p)) in model.namedParameters().enumerated() {
        let prefix = String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
        let u = hashUniform(k, p.count)
        let values: [Double]
        if states[prefix + ".running_mean"] != nil {
            values = name.hasSuffix("weight") ? u.map { 1 + 0.2 * $0 } : u.map { 0.2 * $0 }
        } else {
            let w = states[prefix + ".weight"]?.shape ?? p.shape
            let fanIn = w.dropFirst().reduce(1, *)
            let bound = 1.0 / Double(fanIn).squareRoot()
            values = u.map { $0 * bound }
        }
        p.withMutableData { d in for i in 0..<d.count { d[i] = Float(values[i]) } }
    }
}

extension NNTests {
    @Suite("UNet")
    struct UNetTests {
        @Test func benchmarkPresetsHaveReferenceParameterCounts() {
            // Counts from PyTorch: scripts/reference/nn_reference.py (unet_reference_keys.json) and bench/torch_unet_step.py.
            #expect(UNet(.unet3dS8).parameterCount == 1_619_970)
            #expect(UNet(.unet2dS16).parameterCount == 2_161_378)
            #expect(UNetConfig.preset(named: "unet3d-s8") == .unet3dS8)
            #expect(UNetConfig.preset(named: "nope") == nil)
        }

        @Test func stateDictKeysAndShapesEqualTheReference() throws {
            // Reference: scripts/reference/nn_reference.py -> Fixtures/unet_reference_keys.json.
            let ref = try Fixtures.json("unet_reference_keys.json")
            for (name, config) in [("unet3d-s8", UNetConfig.unet3dS8), ("unet2d-s16", .unet2dS16)] {
                let entry = ref[name] as? [String: Any] ?? [:]
                let state = (entry["state"] as? [[Any]] ?? []).map { e in
                    (e[0] as? String ?? "", (e[1] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue }, e[2] as? String ?? "")
                }
                let m = UNet(config)
                let mine = m.namedStates()
                #expect(mine.map { $0.name } == state.map { $0.0 }, "key order of \(name)")
                #expect(mine.map { $0.tensor.shape } == state.map { $0.1 }, "shapes of \(name)")
                #expect(m.integerStateNames() == Set(state.filter { $0.2 == "int64" }.map { $0.0 }))
                #expect(m.parameterCount == (entry["params"] as? NSNumber)?.intValue)
            }
        }

        @Test func variantsNameTheirLayers() {
            let cfg = UNetConfig(dims: 2, baseChannels: 4, depth: 2, norm: .none, encoderDropout: [0, 0.1, 0.2], decoderDropout: [0.3, 0.4],
                                 upsampling: .transposedConv)
            let m = UNet(cfg)
            let names = Set(m.namedParameters().map { $0.name })
            #expect(names.contains("inc.b.2.weight") && !names.contains("inc.b.4.weight"))   // conv, relu, conv, relu
            #expect(m.upc.allSatisfy { $0 is ConvTranspose })
            #expect(m.stateDict()["upc.0.weight"]?.shape == [16, 8, 2, 2])
            #expect(m.inc.b.layers.count == 4 && m.down[0].b.layers.last is Dropout && m.dec[1].b.layers.count == 5)
            let bn = UNet(UNetConfig(dims: 3, baseChannels: 2, depth: 1, encoderDropout: [0.1, 0.1], decoderDropout: [0.5]))
            #expect(bn.dec[0].b.layers.count == 7 && bn.dec[0].b.layers[6] is Dropout)
            let inst = UNet(UNetConfig(dims: 2, baseChannels: 2, depth: 1, norm: .instance))
            #expect(inst.stateDict()["inc.b.1.weight"]?.shape == [2] && inst.namedBuffers().isEmpty)
        }

        @Test func forwardShapes() {
            var rng = RNG(seed: 5)
            for cfg in [UNetConfig(dims: 2, inChannels: 2, classes: 3, baseChannels: 4, depth: 2, upsampling: .transposedConv),
                        UNetConfig(dims: 3, baseChannels: 2, depth: 2, norm: .instance)] {
                let m = UNet(cfg)
                let x = Tensor.randn([2, cfg.inChannels] + [Int](repeating: 8, count: cfg.dims), rng: &rng)
                #expect(m(x).shape == [2, cfg.classes] + [Int](repeating: 8, count: cfg.dims))
            }
        }

        /// The decisive parity test against PyTorch (fixture: scripts/reference/nn_reference.py, gen_unet).
        @Test func matchesPyTorchForwardBackwardAndBatchNormStats() throws {
            let fx = try SafeTensors.read(contentsOf: Fixtures.url("unet3d_parity.safetensors"))
            let t = fx.tensors
            guard let x = t["input"], let labels = t["labels"], let refLogits = t["logits"], let refLoss = t["loss"] else {
                Issue.record("fixture incomplete"); return
            }
            let m = UNet(.unet3dS8)
            hashInit(m)
            m.train()
            let logits = m(x)
            let loss = Losses.crossEntropy(logits, labels)
            loss.backward()

            let logitErr = relativeError(logits.scalars, refLogits.scalars)
            #expect(logitErr < 1e-4, "logits relative error \(logitErr)")
            expectClose(logits, refLogits, atol: 1e-4, rtol: 1e-3)
            #expect(abs(loss.item - refLoss.item) <= 1e-5 * abs(refLoss.item), "loss \(loss.item) vs \(refLoss.item)")

            // Conv biases feeding a train-mode BatchNorm have an exactly zero gradient (the reference holds ~1e-17):
            // for those, the error is measured against the largest gradient norm instead of their own norm.
            let params = m.namedParameters()
            let scale = params.compactMap { t["grad." + $0.name].map { norm($0.scalars) } }.max() ?? 1
            let maxAbs = params.compactMap { t["grad." + $0.name]?.scalars.map { abs($0) }.max() }.max() ?? 1
            var worst = (0.0, ""), worstZero = 0.0
            for (name, p) in params {
                guard let ref = t["grad." + name], let g = p.grad else { Issue.record("no gradient for \(name)"); continue }
                #expect(g.shape == ref.shape)
                let refNorm = norm(ref.scalars)
                if refNorm < 1e-9 * scale {
                    let e = norm(g.scalars) / scale
                    worstZero = max(worstZero, e)
                    #expect(e < 1e-6, "gradient of \(name) should be ~0: ||g|| / max ||grad|| = \(e)")
                    continue
                }
                let e = relativeError(g.scalars, ref.scalars)
                if e > worst.0 { worst = (e, name) }
                #expect(e < 1e-4, "gradient of \(name): relative error \(e)")
                let own = ref.scalars.reduce(Float(0)) { max($0, abs($1)) }
                expectClose(g, ref, atol: 1e-4 * own + 1e-7 * maxAbs, rtol: 1e-3, "gradient of \(name)")
            }
            for (name, b) in m.namedBuffers() {
                guard let ref = t["after." + name] else { Issue.record("no reference buffer \(name)"); continue }
                expectClose(b, ref, atol: 1e-6, rtol: 1e-4, "buffer \(name)")
            }
            #expect(fx.dtypes["after.inc.b.1.num_batches_tracked"] == .i64)
            print("UNet parity: logits rel err \(logitErr), worst grad rel err \(worst.0) (\(worst.1)), zero-grad biases \(worstZero) of max norm")
        }

        @Test func savedStateDictIsPyTorchLoadable() throws {
            // The written file loads with `python scripts/reference/nn_reference.py check-load <file>` (strict=True);
            // here we check what that relies on: every key, shape and dtype of the reference state dict.
            let m = UNet(.unet3dS8)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("semiseg-unet3d-s8-state.safetensors")
            try m.saveSafetensors(to: url, metadata: ["format": "pt"])
            let back = try SafeTensors.read(contentsOf: url)
            let ref = try Fixtures.json("unet_reference_keys.json")["unet3d-s8"] as? [String: Any] ?? [:]
            let state = ref["state"] as? [[Any]] ?? []
            #expect(Set(back.tensors.keys) == Set(state.compactMap { $0[0] as? String }))
            for e in state {
                guard let key = e[0] as? String, let dtype = e[2] as? String else { continue }
                let shape = (e[1] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue }
                #expect(back.tensors[key]?.shape == shape, "shape of \(key)")
                #expect(back.dtypes[key] == (dtype == "int64" ? .i64 : .f32), "dtype of \(key)")
            }
            let m2 = UNet(.unet3dS8, seed: 9)
            try m2.loadSafetensors(from: url)
            #expect(m2.head.weight.scalars == m.head.weight.scalars)
        }
    }
}
