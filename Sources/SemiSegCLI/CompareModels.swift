import Engine
import Experiments
import Foundation
import NN
import Training

/// `semiseg compare --models a,b,...` (docs/ARCHITECTURE.md §3, `ModelComparison`): one comparison folder per network
/// under RUN/models/, then the networks' table in RUN/models.md (+ .json, .csv).
extension Compare {
    func runModels(_ list: String, shared: RunOptions) throws {
        let names = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else { throw CLIError(file: "--models", problem: "must be comma-separated network names, got '\(list)'") }
        for n in names where NetworkRegistry.lookup(n) == nil {
            throw CLIError(file: "--models", problem: "unknown network '\(n)' (see `semiseg models`: \(NetworkRegistry.names.joined(separator: ", ")))")
        }
        guard Set(names).count == names.count else { throw CLIError(file: "--models", problem: "lists a network twice: '\(list)'") }
        if shared.model != nil { throw CLIError(file: "--model", problem: "compare --models takes the networks; leave --model out") }
        let strategyList = (strategies ?? "supervised").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard strategyList.count == 1, let strategy = strategyList.first else {
            throw CLIError(file: "--strategies", problem: "compare --models runs one strategy, got '\(strategies ?? "")'")
        }
        let (base, strategyOptions) = try shared.compareBase()
        let root = URL(fileURLWithPath: base.out)
        if let items = try? FileManager.default.contentsOfDirectory(atPath: root.path),
           items.contains(where: { !$0.hasPrefix(".") && $0 != "models" && !$0.hasPrefix("models.") }) {
            throw CLIError(file: root.path, problem: "exists and is not a network comparison (only models/ and models.* belong there); use another --out")
        }
        let seedList = try CompareSettings.parseSeeds(seeds)
        Parallel.threads = shared.threads
        Interrupt.install()
        let all = CompareSettings(strategies: [strategy], seeds: seedList, strategyOptions: strategyOptions, base: base)
        // Every network's settings are checked before anything trains.
        var plans: [Comparison.Plan] = []
        for name in names {
            let settings = ModelComparison.settings(model: name, dims: shared.dims ?? NetworkRegistry.lookup(name)?.aliasDims, base: all)
            plans.append(try Comparison.prepare(settings, knownStrategies: registeredStrategies.map { $0.name }) { config in
                _ = try makeStrategy(config.strategy, StrategyOptions(config.strategyOptions, owner: config.strategy))
            })
        }
        var failed: [String] = []
        for (name, plan) in zip(names, plans) {
            if !shared.quiet { print("network \(name): \(strategy) x \(seedList.count) seed(s) -> \(plan.settings.base.out)"); fflush(stdout) }
            let outcome = try Comparison.run(plan, makeStrategy: { try makeStrategy($0, $1) }, progress: { print("  " + $0); fflush(stdout) },
                                             cellLog: verbose ? { print("    " + $0); fflush(stdout) } : { _ in },
                                             logSteps: shared.logSteps, observers: { [] })
            failed += outcome.failed.map { "\(name)/\($0.cell)" }
        }
        guard failed.isEmpty else {
            throw CLIError(file: root.path, problem: "\(failed.count) cell(s) failed: \(failed.joined(separator: ", ")); see models/<net>/cells/<cell>/log.txt and re-run the same command")
        }
        let rows = try ModelComparison.summarize(root: root, models: names)
        try ModelComparison.write(rows, root: root, strategy: strategy, seeds: seedList.count)
        if !shared.quiet { print(ModelComparison.markdown(rows, strategy: strategy, seeds: seedList.count)) }
        print("wrote \(root.path)/models.md, models.json, models.csv")
    }
}
