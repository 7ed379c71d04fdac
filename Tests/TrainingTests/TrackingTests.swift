import Engine
import Evaluation
@testable import Experiments
import Foundation
import NN
import TestSupport
import Testing
@testable import Training

/// Issue 15 inside the Training module: the TFRecord/Event encoder, validation loss, divisor padding, config files.
@Suite("Tracking", .serialized)
struct TrackingTests {
    let split = DataSplit(seed: 0, labeled: [], unlabeled: [], validation: [], test: [])

    // MARK: TensorBoard encoding

    @Test func crc32cAndMaskMatchTensorFlow() {
        // CRC-32C check value (RFC 3720 B.4) and TensorFlow's masked CRC of it.
        #expect(TFRecord.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(TFRecord.crc32c([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let c: UInt32 = 0xE306_9283
        #expect(TFRecord.maskedCRC(Array("123456789".utf8)) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    @Test func recordsRoundTripAndATornTailIsDropped() {
        let a = EventProto.summaryEvent(wallTime: 1.5, step: 7, values: [.scalar(tag: "train/loss", value: 0.25)])
        let b = EventProto.summaryEvent(wallTime: 2.5, step: 300, values: [.image(tag: "val/overlay", width: 2, height: 1, channels: 3, png: [1, 2, 3])])
        let bytes = TFRecord.frame(a) + TFRecord.frame(b)
        #expect(TFRecord.records(bytes).payloads == [a, b])
        #expect(EventProto.step(ofEvent: a) == 7 && EventProto.step(ofEvent: b) == 300)
        #expect(EventProto.step(ofEvent: EventProto.fileVersionEvent(wallTime: 0)) == 0)
        let torn = bytes + Array(TFRecord.frame(a).prefix(10))
        #expect(TFRecord.records(torn).payloads == [a, b] && TFRecord.records(torn).validBytes == bytes.count)
        var corrupt = bytes
        corrupt[bytes.count - 6] ^= 0xFF
        #expect(TFRecord.records(corrupt).payloads == [a])
    }

    // MARK: Validation loss

    @Test func validationLossIsTheTrainingLossOfTheValidationCases() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let store = CaseStore(labeled: toyCases(3, seed: 1), unlabeled: [], validation: toyCases(2, seed: 3), test: [])
        for loss in [LossChoice.diceCE, .ce, .dice] {
            var cfg = toyConfig(dir, epochs: 1)
            cfg.loss = loss
            let s = try CountingStrategy(options: StrategyOptions([:], owner: "counting"))
            let t = try Trainer(config: cfg, strategy: s, data: store, split: split, runDirectory: dir, log: { _ in })
            let v = try #require(try t.validateDetailed())
            // Recomputed here: eval-mode forward of the whole image, the configured loss from NN.Losses.
            let model = t.run.model
            model.eval()
            var sum = 0.0
            for c in store.validation {
                let logits = withNoGrad { model(c.image.reshaped([1, 1, 32, 32])) }
                let y = try #require(c.label).reshaped([1, 32, 32])
                let l: Tensor
                switch loss {
                case .ce: l = Losses.crossEntropy(logits, y)
                case .dice: l = Losses.softDice(logits, y, includeBackground: false)
                default: l = Losses.diceCrossEntropy(logits, y)
                }
                sum += Double(l.item)
            }
            let expected = sum / Double(store.validation.count)
            let got = try #require(v.loss)
            #expect(abs(got - expected) <= 1e-4 * max(1, expected), "\(loss): val loss \(got) vs recomputed \(expected)")
            #expect(v.dice == (try t.validate()))
            #expect(v.snapshot?.width == 32 && v.snapshot?.reference.count == 32 * 32)
        }
    }

    // MARK: Divisor padding

    @Test func paddedShapeRoundsTheModelAxesUp() {
        #expect(DivisorPadding.paddedShape([1, 233, 197], divisor: 16, dims: 2) == [1, 240, 208])
        #expect(DivisorPadding.paddedShape([5, 233, 197], divisor: 16, dims: 3) == [16, 240, 208])
        #expect(DivisorPadding.paddedShape([1, 32, 32], divisor: 16, dims: 2) == [1, 32, 32])
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 1, 2, 3])
        let p = DivisorPadding.pad(t, to: [1, 4, 4], value: -1)
        #expect(p.shape == [1, 1, 4, 4] && p.scalars == [1, 2, 3, -1, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1])
    }

    @Test func wholeImagesOfAnySizeTrainValidateAndKeepTheirShape() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        // 30 x 30 and 29 x 30 slices with a depth-2 network (divisor 4).
        let odd = toyCases(3, size: 30, seed: 1).map { c in
            TrainingCase(id: c.id, image: c.image.sliced([0..<1, 0..<1, 0..<29, 0..<30]), label: c.label?.sliced([0..<1, 0..<29, 0..<30]))
        }
        let store = CaseStore(labeled: toyCases(2, size: 30, seed: 2) + odd, unlabeled: [], validation: toyCases(1, size: 30, seed: 3), test: [])
        let s = try CountingStrategy(options: StrategyOptions([:], owner: "counting"))
        let t = try Trainer(config: toyConfig(dir, epochs: 1), strategy: s, data: store, split: split, runDirectory: dir, log: { _ in })
        let r = try t.train()
        #expect(r.epochs == 1 && r.bestValidationDice != nil)
        #expect(try t.predict(odd[0].image).probabilities.shape == [2, 1, 29, 30])
        #expect(t.run.window(for: odd[0].image).patch == [1, 32, 32])
    }

    // MARK: Config files

    @Test func yamlAndJSONConfigsGiveTheSameConfig() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("exp.json"), yaml = dir.appendingPathComponent("exp.yml")
        try Data("""
        {"data": "d", "out": "o", "model": "unet2d", "patch": [1, 64, 64], "learning_rate": 0.01, "mirrorTTA": true,
         "strategy": "uda", "strategy_options": {"weight": "0.5"}, "seed": 7, "spacing": [0.8, 0.8, 2]}
        """.utf8).write(to: json)
        try Data("""
        data: d
        out: o
        model: unet2d
        patch: [1, 64, 64]
        learning_rate: 0.01
        mirrorTTA: true
        strategy: uda
        strategy_options:
          weight: 0.5
        seed: 7
        spacing:
          - 0.8
          - 0.8
          - 2

        """.utf8).write(to: yaml)
        let a = try TrainConfig.load(json), b = try TrainConfig.load(yaml)
        #expect(a == b)
        #expect(b.patch == [1, 64, 64] && b.learningRate == 0.01 && b.mirrorTTA && b.strategyOptions == ["weight": "0.5"] && b.seed == 7)
        // Flags override the file, and make data/out optional in it.
        let c = try TrainConfig.load(yaml, data: "flag-data", out: nil)
        #expect(c.data == "flag-data" && c.out == "o")
    }

    @Test func configErrorsNameFileLineKeyAndType() throws {
        let dir = tempRunDir(); defer { try? FileManager.default.removeItem(at: dir) }
        func problems(_ name: String, _ text: String, data: String? = "d", out: String? = "o") -> [String] {
            let url = dir.appendingPathComponent(name)
            try? Data(text.utf8).write(to: url)
            do { _ = try TrainConfig.load(url, data: data, out: out); return [] } catch let e as ConfigError { return e.problems } catch { return ["\(error)"] }
        }
        let y = dir.appendingPathComponent("a.yaml").path
        #expect(problems("a.yaml", "epochs: 3\nbase: 8\nepochz: 4\nfoo: 1\n") == ["\(y):3: unknown key 'epochz' (did you mean 'epochs'?)", "\(y):4: unknown key 'foo'"])
        #expect(problems("a.yaml", "patch: [1, a, 3]\n") == ["\(y):1: key 'patch[1]' must be an integer, got the string \"a\""])
        #expect(problems("a.yaml", "mirrorTTA: 3\n") == ["\(y):1: key 'mirrorTTA' must be true or false, got the number 3"])
        #expect(problems("a.yaml", "model: [unet2d]\n") == ["\(y):1: key 'model' must be a string, got a list (1 values)"])
        #expect(problems("a.yaml", "- a\n- b\n") == ["\(y): not a YAML mapping of keys to values"])
        #expect(problems("a.yaml", "epochs: 3\n", data: nil, out: nil)
                == ["\(y): missing key 'data' (give it in the file or as --data)", "\(y): missing key 'out' (give it in the file or as --out)"])
        let j = dir.appendingPathComponent("a.json").path
        #expect(problems("a.json", "{\n \"epochs\": 2,\n \"learning_rate\": \"fast\"\n}") == ["\(j):3: key 'learning_rate' must be a number, got the string \"fast\""])
        #expect(problems("a.json", "{\"epochs\": 0}") == ["\(j): epochs and iterationsPerEpoch must be >= 1"])
    }

    // MARK: 2D summary metrics in a comparison

    @Test func comparisonSummaryCarriesTheSemanticMetricsOfEverySeed() throws {
        // Two seeds with fixed 2-class confusion matrices (rows = reference, columns = prediction).
        func summary(_ m: [[Int]], seed: UInt64) throws -> RunSummary {
            var ref: [UInt8] = [], pred: [UInt8] = []
            for r in 0..<2 { for c in 0..<2 { ref += [UInt8](repeating: UInt8(r), count: m[r][c]); pred += [UInt8](repeating: UInt8(c), count: m[r][c]) } }
            let cm = try ConfusionMatrix(prediction: pred, reference: ref, classes: 2)
            let result = CaseResult(caseID: "a.nii.gz", metrics: [1: MetricValues([.dice: 0.5])], counts: [:], confusion: cm)
            return RunSummary(strategy: "supervised", seed: seed, bestValidationDice: nil, bestEpoch: nil, trainSeconds: 1,
                              test: try EvaluationReport(results: [result], includeSemantic: true), ece: nil, brier: nil, uncertaintyMean: [:])
        }
        let m0 = [[80, 5], [10, 5]], m1 = [[70, 10], [0, 20]]
        let cells = [ComparisonSummary.Cell(strategy: "supervised", seed: 0, folder: "cells/s0", summary: try summary(m0, seed: 0)),
                     ComparisonSummary.Cell(strategy: "supervised", seed: 1, folder: "cells/s1", summary: try summary(m1, seed: 1))]
        let s = ComparisonSummary.summarise(cells)
        // numpy, FCN label_accuracy_score: m0 -> acc 0.85, mean IoU (80/95 + 5/20)/2; m1 -> acc 0.90, mean IoU (70/80 + 20/30)/2.
        #expect(abs((s.perSeed[0].semantic?.overallAccuracy ?? 0) - 0.85) < 1e-12)
        #expect(abs((s.perSeed[1].semantic?.meanIoU ?? 0) - (70.0 / 80 + 20.0 / 30) / 2) < 1e-12)
        let mean = try #require(s.semantic?["mean_iou"]?.mean)
        #expect(abs(mean - ((80.0 / 95 + 5.0 / 20) / 2 + (70.0 / 80 + 20.0 / 30) / 2) / 2) < 1e-12)
        #expect(s.semantic?["overall_accuracy"]?.n == 2 && abs((s.semantic?["overall_accuracy"]?.mean ?? 0) - 0.875) < 1e-12)
        // In summary.json as "semantic" (per seed and mean ± std).
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any]
        #expect((json?["semantic"] as? [String: Any])?.keys.sorted()
                == ["frequency_weighted_iou", "mean_accuracy", "mean_dice", "mean_iou", "overall_accuracy"])
        #expect(((json?["per_seed"] as? [[String: Any]])?.first?["semantic"] as? [String: Any])?["mean_dice"] != nil)
        // And in report.md's table.
        let full = try ComparisonSummary.make(split: split, strategies: ["supervised"], seeds: [0, 1], cells: cells)
        let md = ComparisonReport.semanticTable(full)
        #expect(md.contains("| strategy | mean IoU | mean Dice | mean acc | FreqW IoU | overall acc |"))
        #expect(md.contains("| supervised | "), "\(md)")
    }
}
