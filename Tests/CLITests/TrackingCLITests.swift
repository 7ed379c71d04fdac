import Foundation
import Testing

/// Issue 15 through the real binary: TensorBoard event files read by TensorBoard's own EventAccumulator (also after a
/// resume that redoes a logged epoch), validation loss in metrics.csv, the progress GIF decoded by Pillow, odd image
/// sizes without --resize, 2D summary metrics in summary.json, export-weights checked with safetensors/numpy, inspect's
/// NaN/Inf counts against numpy, and config-file errors.
@Suite("tracking (TensorBoard, GIF, padding, export, config)")
struct TrackingCLITests {
    let fm = FileManager.default
    static let python = CLI.repoRoot.appendingPathComponent(".venv-test/bin/python").path
    static let script = CLI.repoRoot.appendingPathComponent("scripts/reference/tracking_reference.py").path

    /// Runs the reference script; nil (with a recorded issue) when the venv lacks its packages.
    func reference(_ args: [String]) throws -> [String: Any]? {
        guard fm.isExecutableFile(atPath: Self.python) else {
            Issue.record("no .venv-test: run scripts/test-fixtures.sh"); return nil
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [Self.script] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            Issue.record("tracking_reference.py \(args.first ?? "") failed: \(String(decoding: e, as: UTF8.self))"); return nil
        }
        if o.isEmpty { return [:] }
        return try JSONSerialization.jsonObject(with: o) as? [String: Any]
    }

    func csvRows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let head = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(head, $0)) }
    }

    @Test func tensorBoardValidationLossAndGIFSurviveAResumeThatRedoesAnEpoch() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 6, testCases: 2, seed: 3)
        let run = dir.appendingPathComponent("run").path
        func train(epochs: Int, resume: Bool) throws {
            let r = try CLI.run(["train", "--data", data, "--out", run, "--model", "unet2d", "--base", "4", "--depth", "2",
                                 "--epochs", String(epochs), "--iterations", "2", "--batch-size", "2", "--labeled", "3",
                                 "--validation", "2", "--augmentation", "none", "--quiet"] + (resume ? ["--resume"] : []))
            #expect(r.status == 0, "\(r.stderr)")
        }
        try train(epochs: 2, resume: false)
        // Keep the epoch-2 state, run epoch 3, then put the epoch-2 state back: as if the run had been killed after
        // logging epoch 3 but before its checkpoint. The resume must redo epoch 3 without a second step-3 point.
        let saved = dir.appendingPathComponent("saved")
        try fm.copyItem(atPath: run + "/checkpoints", toPath: saved.path)
        try train(epochs: 3, resume: true)
        try fm.removeItem(atPath: run + "/checkpoints")
        try fm.copyItem(atPath: saved.path, toPath: run + "/checkpoints")
        try fm.removeItem(atPath: run + "/summary.json")
        try train(epochs: 4, resume: true)

        let rows = try csvRows(run + "/metrics.csv")
        #expect(rows.map { $0["epoch"] } == ["1", "2", "3", "4"])
        #expect(rows.allSatisfy { Double($0["val_loss"] ?? "").map { $0 > 0 && $0.isFinite } ?? false }, "\(rows)")

        let files = try fm.contentsOfDirectory(atPath: run + "/tensorboard").filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(files.count == 3)
        guard let tb = try reference(["tensorboard", run + "/tensorboard"]) else { return }
        let scalars = tb["scalars"] as? [String: [[Double]]] ?? [:]
        for tag in ["train/loss", "train/supervised_loss", "lr", "val/loss", "val/dice", "val/dice/spleen"] {
            #expect(scalars[tag]?.map { Int($0[0]) } == [1, 2, 3, 4], "\(tag): \(String(describing: scalars[tag]))")
        }
        // The logged numbers are metrics.csv's (float32 in the event file).
        for (row, point) in zip(rows, scalars["val/loss"] ?? []) {
            #expect(abs((Double(row["val_loss"] ?? "") ?? .nan) - point[1]) < 1e-4 * max(1, point[1]))
        }
        for (row, point) in zip(rows, scalars["train/loss"] ?? []) {
            #expect(abs((Double(row["loss"] ?? "") ?? .nan) - point[1]) < 1e-4 * max(1, point[1]))
        }
        let images = tb["images"] as? [String: [[Any]]] ?? [:]
        let overlay = images["val/overlay"] ?? []
        #expect(overlay.map { ($0[0] as? NSNumber)?.intValue ?? -1 } == [1, 2, 3, 4])
        #expect(overlay.allSatisfy { ($0[1] as? NSNumber)?.intValue == 128 && ($0[2] as? NSNumber)?.intValue == 128 && ($0[3] as? Bool) == true })

        // One GIF frame per validation; curves.png beside it.
        let gif = run + "/figures/val-progress.gif"
        guard let g = try reference(["gif", gif]) else { return }
        #expect((g["frames"] as? NSNumber)?.intValue == 4, "\(g)")
        #expect(fm.fileExists(atPath: run + "/figures/curves.png"))
        #expect(try fm.contentsOfDirectory(atPath: run + "/figures/val-progress").sorted()
                == ["epoch-0001.png", "epoch-0002.png", "epoch-0003.png", "epoch-0004.png"])
    }

    @Test func oddSizedSlicesTrainAndPredictWithoutResizeAndExportForPyTorch() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = dir.appendingPathComponent("odd").path
        guard try reference(["odd-dataset", data, "233", "197", "4"]) != nil else { return }
        let run = dir.appendingPathComponent("run").path
        // Depth 4: the network needs multiples of 16; 233 x 197 is padded to 240 x 208 and cropped back.
        let r = try CLI.run(["train", "--data", data, "--out", run, "--model", "unet2d", "--base", "16", "--depth", "4",
                             "--epochs", "1", "--iterations", "1", "--batch-size", "2", "--labeled", "3", "--validation", "1",
                             "--augmentation", "none", "--normalization", "mri", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let pred = dir.appendingPathComponent("pred").path
        let p = try CLI.run(["predict", "--run", run, "--input", data, "--out", pred])
        #expect(p.status == 0, "\(p.stderr)")
        for folder in [run + "/predictions", pred] {
            for name in ["odd_004.nii.gz", "odd_005.nii.gz"] {
                let i = try CLI.run(["inspect", folder + "/" + name, "--json"])
                let j = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any] ?? [:]
                #expect(j["shape"] as? [Int] == [197, 233, 1], "\(folder)/\(name): \(i.stdout) \(i.stderr)")
            }
        }
        // The 2D summary metrics are part of every run's summary.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as? [String: Any]
        let semantic = (summary?["test"] as? [String: Any])?["semantic"] as? [String: Any] ?? [:]
        for k in ["overall_accuracy", "mean_accuracy", "mean_iou", "mean_dice", "frequency_weighted_iou"] {
            let v = (semantic[k] as? NSNumber)?.doubleValue ?? -1
            #expect(v >= 0 && v <= 1, "\(k): \(semantic)")
        }
        // Weights for PyTorch: the reference UNet(2, 16)'s state_dict names, shapes and dtypes (nn_reference.py).
        let out = dir.appendingPathComponent("model.safetensors").path
        let e = try CLI.run(["export-weights", run, "--checkpoint", "last", "--out", out])
        #expect(e.status == 0, "\(e.stderr)")
        let keys = CLI.repoRoot.appendingPathComponent("Tests/NNTests/Fixtures/unet_reference_keys.json").path
        guard let sd = try reference(["state-dict", out, keys, "unet2d-s16"]) else { return }
        #expect(sd["ok"] as? Bool == true, "\(sd)")
        #expect((sd["count"] as? NSNumber)?.intValue == 136)
        let missing = try CLI.run(["export-weights", dir.path, "--out", out])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error: \(dir.path)/checkpoints/best.safetensors: no such checkpoint"), "\(missing.stderr)")
    }

    @Test func inspectCountsNaNAndInfAndSkipsThemInStatistics() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let file = dir.appendingPathComponent("nan.nii.gz").path
        guard let ref = try reference(["nan-nifti", file]) else { return }
        let r = try CLI.run(["inspect", file, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        #expect((j["nan_count"] as? NSNumber)?.intValue == 153 && (j["inf_count"] as? NSNumber)?.intValue == 3, "\(j)")
        for k in ["min", "max", "mean"] {
            let a = (j[k] as? NSNumber)?.doubleValue ?? .nan, b = (ref[k] as? NSNumber)?.doubleValue ?? .nan
            #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(k): \(a) vs numpy \(b)")
        }
        let text = try CLI.run(["inspect", file])
        #expect(text.stdout.contains("non-finite: 153 NaN, 3 Inf (2 +Inf, 1 -Inf)"), "\(text.stdout)")
    }

    @Test func yamlConfigWithDataAndOutAsFlagsAndReadableErrors() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 5, testCases: 2, seed: 4)
        let yaml = dir.appendingPathComponent("exp.yaml")
        try Data("""
        # tiny 2D run
        model: unet2d
        base: 4
        depth: 2
        epochs: 1
        iterations_per_epoch: 1
        labeled: 2
        validation: 1
        augmentation: none
        strategy: uda
        strategy_options: {weight: 0.5}

        """.utf8).write(to: yaml)
        let run = dir.appendingPathComponent("run").path
        let ok = try CLI.run(["train", "--config", yaml.path, "--data", data, "--out", run, "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any]
        #expect(saved?["model"] as? String == "unet2d" && saved?["iterationsPerEpoch"] as? Int == 1 && saved?["data"] as? String == data)
        #expect((saved?["strategyOptions"] as? [String: String]) == ["weight": "0.5"])
        // Strategy values reach TensorBoard under strategy/<key>.
        if let tb = try reference(["tensorboard", run + "/tensorboard"]) {
            let tags = (tb["scalars"] as? [String: Any] ?? [:]).keys
            #expect(tags.contains("strategy/uda_consistency") && tags.contains("strategy/uda_weight"), "\(tags.sorted())")
        }

        let bad = dir.appendingPathComponent("bad.yaml")
        try Data("model: unet2d\nepochs: ten\nlearning_rat: 0.01\n".utf8).write(to: bad)
        let r1 = try CLI.run(["train", "--config", bad.path, "--data", data, "--out", dir.appendingPathComponent("r1").path])
        #expect(r1.status == 1)
        #expect(r1.stderr == "error: \(bad.path):3: unknown key 'learning_rat' (did you mean 'learningRate'?)\n", "\(r1.stderr)")
        try Data("model: unet2d\nepochs: ten\n".utf8).write(to: bad)
        let r2 = try CLI.run(["train", "--config", bad.path, "--data", data, "--out", dir.appendingPathComponent("r2").path])
        #expect(r2.status == 1 && r2.stderr == "error: \(bad.path):2: key 'epochs' must be an integer, got the string \"ten\"\n", "\(r2.stderr)")
        let json = dir.appendingPathComponent("bad.json")
        try Data("{\n  \"model\": \"unet2d\",\n  \"epochs\": \"20\"\n}\n".utf8).write(to: json)
        let r3 = try CLI.run(["train", "--config", json.path, "--out", dir.appendingPathComponent("r3").path])
        #expect(r3.status == 1 && r3.stderr == "error: \(json.path): missing key 'data' (give it in the file or as --data)\n", "\(r3.stderr)")
        let r4 = try CLI.run(["train", "--config", json.path, "--data", data, "--out", dir.appendingPathComponent("r4").path])
        #expect(r4.status == 1 && r4.stderr == "error: \(json.path):3: key 'epochs' must be an integer, got the string \"20\"\n", "\(r4.stderr)")
        for d in ["r1", "r2", "r3", "r4"] { #expect(!fm.fileExists(atPath: dir.appendingPathComponent(d).path)) }
    }

    @Test func readmeCLITableListsEveryCommand() throws {
        let help = try CLI.run(["--help"]).stdout
        let section = help.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        let commands = section.split(separator: "\n").compactMap { line -> String? in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let first = t.split(separator: " ").first, first.first?.isLetter == true else { return nil }
            return String(first)
        }.filter { $0 != "See" && $0 != "help" }
        #expect(commands.count >= 13, "\(commands)")
        let readme = try String(contentsOf: CLI.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        for c in commands { #expect(readme.contains("| `semiseg \(c)"), "README's CLI table lacks `semiseg \(c)`") }
    }
}
