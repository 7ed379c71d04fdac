import ArgumentParser
import Foundation
import Reporting
@testable import SemiSegCLI
import Testing
import Training

/// Commands parsed and run in-process through the SemiSegCLI library (no binary): flag parsing, the typed config
/// choices and their messages, the plugin registry's declarations. Process-level behaviour (exit codes, signals,
/// SIGKILL) stays with the binary tests.
@Suite("CLI in-process")
struct InProcessCLITests {
    /// `train` flags as the command parses them.
    func options(_ flags: [String]) throws -> RunOptions {
        let cmd = try SemiSeg.parseAsRoot(["train", "--data", "d", "--out", "o"] + flags)
        return try #require(cmd as? Train).options
    }

    @Test func choiceFlagsBecomeTypedConfigValues() throws {
        let c = try options(["--loss", "dice", "--optimizer", "sgd", "--schedule", "cosine-restarts", "--norm", "instance",
                             "--upsampling", "transposed", "--normalization", "mri-nonzero", "--augmentation", "seed-workflow",
                             "--non-finite", "skip", "--select", "last"]).trainConfig()
        #expect(c.loss == .dice && c.optimizer == .sgd && c.schedule == .cosineRestarts && c.norm == .instance)
        #expect(c.upsampling == .transposed && c.normalization == .mriNonzero && c.augmentation == .seedWorkflow)
        #expect(c.nonFinite == .skip && c.select == .last)
        let s = try options(["--momentum", "0.9", "--step-every", "4", "--step-gamma", "0.5", "--cycle-epochs", "7"]).trainConfig()
        #expect(s.momentum == 0.9 && s.stepEvery == 4 && s.stepGamma == 0.5 && s.cycleEpochs == 7)
        #expect(throws: ConfigError.self) { try options(["--momentum", "1"]).trainConfig() }
        let d = try options([]).trainConfig()
        #expect(d.config == TrainConfig(data: "d", out: "o"))
    }

    @Test func aWrongChoiceNamesTheSettingAndEveryAllowedValue() throws {
        for (flag, key, list) in [("--loss", "loss", "ce, dice, dice-ce, topk10 or dice-bg"), ("--non-finite", "nonFinite", "stop or skip"),
                                  ("--optimizer", "optimizer", "adam, adamw, sgd or sgd-momentum")] {
            do {
                _ = try SemiSeg.parseAsRoot(["train", "--data", "d", "--out", "o", flag, "nope"])
                Issue.record("\(flag) nope was accepted")
            } catch {
                let text = SemiSeg.message(for: error)
                #expect(text.contains("\(key) must be \(list), got 'nope'"), "\(text)")
                #expect(SemiSeg.exitCode(for: error) != .success)
            }
        }
    }

    /// Validation once (issue #12): the flags and the `--config` file are checked together after the flags apply, so a
    /// flag fixes a file's value; a problem names the file only when the file's own value has it.
    @Test func fileAndFlagsAreCheckedOnceTogether() throws {
        let dir = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("exp.yaml")
        try Data("epochs: 0\nbase: 4\n".utf8).write(to: file)
        let fixed = try options(["--config", file.path, "--epochs", "3"]).trainConfig()
        #expect(fixed.epochs == 3 && fixed.base == 4)
        do {
            _ = try options(["--config", file.path, "--depth", "9"]).trainConfig()
            Issue.record("epochs 0 and depth 9 were accepted")
        } catch let e as ConfigError {
            #expect(e.problems == ["depth must be in 1...6, got 9", "\(file.path): epochs and iterationsPerEpoch must be >= 1"], "\(e.problems)")
        }
        #expect(throws: ConfigError.self) { try ValidatedConfig(TrainConfig(data: "d", out: "o").with { $0.windowStep = 0 }) }
    }

    @Test func helpListsTheChoicesFromTheEnums() {
        let help = SemiSeg.helpMessage(for: Train.self, columns: 400)
        for c in LossChoice.allCases { #expect(help.contains(c.rawValue)) }
        #expect(help.contains(OptimizerChoice.choiceList) && help.contains(ScheduleChoice.choiceList))
    }

    @Test func predictFlagsComeFromTheStrategiesThatDeclareThem() throws {
        #expect(strategies(takingPredictFlag: "mc-samples") == "mc-dropout")
        var opts: [String: String] = [:]
        try applyPredictFlag("mc-samples", 20, strategy: "mc-dropout", runFolder: "run", to: &opts)
        #expect(opts == ["samples": "20"])
        #expect(throws: CLIError.self) { try applyPredictFlag("mc-samples", 0, strategy: "mc-dropout", runFolder: "run", to: &opts) }
        do {
            try applyPredictFlag("mc-samples", 5, strategy: "supervised", runFolder: "run", to: &opts)
            Issue.record("supervised took --mc-samples")
        } catch let e as CLIError {
            #expect(e.description == "run: --mc-samples needs a run trained with --strategy mc-dropout (this run used supervised)")
        }
        // The figures know every registered strategy's maps, in the order the old fixed list had them.
        let order = MapCatalogue(declared: declaredUncertaintyMaps).heatMapOrder(["variance", "disagreement", "entropy", "mutual_information", "mc_mask_sum", "x_y"])
        #expect(order == ["entropy", "mutual_information", "variance", "disagreement", "x_y"])
    }
}

extension TrainConfig {
    /// A copy with `change` applied.
    func with(_ change: (inout TrainConfig) -> Void) -> TrainConfig { var c = self; change(&c); return c }
}
