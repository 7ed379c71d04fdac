import ArgumentParser
import Engine
import Experiments
import Foundation
import Reporting
import Training

/// `semiseg compare`: every strategy on the same split, model, budget and seeds (docs/ARCHITECTURE.md §7); resumable.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare strategies on one split over several seeds: summary.json, summary.csv, report.md.",
        discussion: """
        Each strategy x seed is one normal run folder, RUN/cells/<strategy>-seed<S>/, trained on the one split in \
        RUN/split.json (made from --labeled/--validation/--test-count and the first seed, or copied from --split). \
        Seeds vary model initialisation, data order and augmentation, never the split. Re-running the same command \
        skips finished cells (those with a summary.json) and resumes an interrupted one from its last checkpoint. \
        The same command with more strategies or seeds (and otherwise the same settings) grows a finished \
        comparison: only the new cells train; other shared settings are refused, listed as key: old -> new. \
        Strategy options: --opt STRATEGY:KEY=VALUE (e.g. --opt uda:weight=0.5), repeatable. Every other flag is \
        shared by all cells and means what it means for `semiseg train`; --strategy and --seed are not used here. \
        On a Slurm cluster, --slurm validates the same way, writes RUN/slurm/array.sbatch (one task per unfinished \
        cell, each `compare --out RUN --cell NAME`) and collect.sbatch (`compare --out RUN --collect`, after the \
        array) and submits both; --slurm-args "--partition=cpu --account=lab" adds sbatch options.
        """)

    @Option(help: "Comma-separated strategy names (see `semiseg strategies`), e.g. supervised,uda,mc-dropout; with --models one strategy (default supervised).") var strategies: String?
    @Option(help: "Comma-separated networks (see `semiseg models`), e.g. unet,vnet,unetpp: compares networks under one strategy (RUN/models/<name>/, RUN/models.md); p-values against the first.") var models: String?
    @Option(help: "Comma-separated seeds.") var seeds: String = "0"
    @Flag(help: "Also print every cell's training log (always written to cells/<cell>/log.txt).") var verbose = false
    @OptionGroup var options: RunOptions
    @OptionGroup var cluster: SlurmFlags

    func run() throws {
        try reportingFailures {
            if cluster.cell != nil || cluster.collect { return try runFromSavedSettings() }
            try cluster.check()
            let shared = options
            if shared.strategy != nil { throw CLIError(file: "--strategy", problem: "compare takes --strategies a,b,c") }
            if shared.seed != nil { throw CLIError(file: "--seed", problem: "compare takes --seeds 0,1,2") }
            if let models {
                if cluster.slurm || cluster.slurmDryRun { throw CLIError(file: "--slurm", problem: "compare --models runs locally; --slurm takes --strategies") }
                try runModels(models, shared: shared)
                return
            }
            guard let strategies else { throw CLIError(file: "semiseg", problem: "compare needs --strategies a,b,c (or --models a,b,c, or --out RUN with --cell or --collect)") }
            let (base, opts) = try shared.compareBase()
            let names = strategies.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let settings = CompareSettings(strategies: names, seeds: try CompareSettings.parseSeeds(seeds), strategyOptions: opts, base: base)
            Parallel.threads = options.threads
            Interrupt.install()
            let plan = try Comparison.prepare(settings, knownStrategies: registeredStrategies.map { $0.name }) { config in
                _ = try makeStrategy(config.strategy, StrategyOptions(config.strategyOptions, owner: config.strategy))
            }
            let out = settings.base.out
            let planned = plan.settings
            if !options.quiet {
                if let old = plan.grownFrom {
                    print("growing \(out) from \(count(old.strategies.count, "strategy", "strategies")) x \(count(old.seeds.count, "seed", "seeds")) "
                          + "to \(count(planned.strategies.count, "strategy", "strategies")) x \(count(planned.seeds.count, "seed", "seeds")) "
                          + "(same shared settings; finished cells are kept)")
                }
                print("comparing \(count(planned.strategies.count, "strategy", "strategies")) x \(count(planned.seeds.count, "seed", "seeds")) on "
                      + "\(plan.split.labeled.count) labeled, \(plan.split.unlabeled.count) unlabeled, \(plan.split.validation.count) validation, "
                      + "\(plan.split.test.count) test cases -> \(out)")
                fflush(stdout)
            }
            if let w = ComparisonReport.seedWarning(seeds: settings.seeds.count) { printError("warning: \(w)") }
            if cluster.slurm || cluster.slurmDryRun { return try submitToSlurm(plan) }
            let outcome = try Comparison.run(plan, makeStrategy: { try makeStrategy($0, $1) },
                                             progress: { print($0); fflush(stdout) },
                                             cellLog: verbose ? { print("    " + $0); fflush(stdout) } : { _ in },
                                             logSteps: options.logSteps, observers: { [TrainingProgress()] })
            writeFiguresAndReport(out)
            print("wrote \(out)/summary.json, \(out)/summary.csv, \(out)/report.md "
                  + "(\(outcome.ran.count) cells run, \(outcome.skipped.count) skipped, \(outcome.failed.count) failed)")
            if !outcome.failed.isEmpty {
                throw CLIError(file: out, problem: "\(outcome.failed.count) cell(s) failed: \(outcome.failed.map(\.cell).joined(separator: ", ")); "
                                 + "see cells/<cell>/log.txt, fix and re-run the same command to finish them")
            }
        }
    }
}

extension Compare {
    /// Figures (bars, curves, montages, uncertainty, MC mask sums, slice GIF) of the comparison in `out`, then
    /// `report.md` again so it links them; a failure is a warning (the results are complete). Local compare and
    /// `--collect` both end here.
    func writeFiguresAndReport(_ out: String) {
        let runURL = URL(fileURLWithPath: out)
        do {
            let figures = try ComparisonFigures.renderAll(compareDirectory: runURL, maps: declaredUncertaintyMaps, log: options.quiet ? { _ in } : { print("    " + $0) })
            try Comparison.writeReport(runURL)
            if !options.quiet { print("wrote \(figures.count) figures to \(out)/figures") }
        } catch {
            printError("warning: \(out): figures not written (\(error)); results are complete, run `semiseg figures \(out)` to retry")
        }
    }
}

/// "1 strategy", "3 strategies".
func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
