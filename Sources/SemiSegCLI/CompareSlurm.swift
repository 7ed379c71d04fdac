import ArgumentParser
import Engine
import Experiments
import Foundation
import Reporting
import Training

/// The flags of `semiseg compare` for running a comparison as a Slurm job array (docs/ARCHITECTURE.md §3).
struct SlurmFlags: ParsableArguments {
    @Flag(help: "Submit the comparison to Slurm: one array task per unfinished cell (--cpus-per-task from --threads, --requeue), then a collect job (afterany). Writes RUN/compare.json, RUN/split.json, RUN/slurm/array.sbatch and collect.sbatch.")
    var slurm = false
    @Option(name: .customLong("slurm-args"), parsing: .unconditional, help: "sbatch options for both jobs, e.g. \"--partition=cpu --account=lab --time=12:00:00 --mem=8G\".")
    var slurmArgs: String?
    @Flag(name: .customLong("slurm-dry-run"), help: "With --slurm: write the scripts, print the sbatch commands, submit nothing.")
    var slurmDryRun = false
    @Option(help: "Run one cell of the comparison in --out from its saved settings: <strategy>-seed<S> or its index (what each array task runs). Refused while another process trains that cell.")
    var cell: String?
    @Flag(help: "Write summary.json, summary.csv, report.md and figures of --out from its finished cells; list unfinished or failed cells (exit 1 if any).")
    var collect = false

    /// Flags that only make sense together.
    func check() throws {
        if slurmArgs != nil && !(slurm || slurmDryRun) { throw CLIError(file: "--slurm-args", problem: "only used with --slurm") }
        if cell != nil && collect { throw CLIError(file: "--cell", problem: "--cell runs one cell, --collect summarises them: give one of them") }
        if (cell != nil || collect) && (slurm || slurmDryRun) {
            throw CLIError(file: "--slurm", problem: "--slurm submits a comparison; --cell and --collect run in its tasks")
        }
    }
}

extension Compare {
    // MARK: - --slurm

    /// Writes the comparison folder and the two scripts, then submits them (unless `--slurm-dry-run`).
    func submitToSlurm(_ plan: Comparison.Plan) throws {
        let slurmOptions = try SlurmScripts.parseOptions(cluster.slurmArgs ?? "")
        try Comparison.writeFolder(plan)
        let out = plan.settings.base.out
        let run = URL(fileURLWithPath: out).standardizedFileURL
        let fm = FileManager.default
        let names = plan.cells.map { CompareSettings.cellName(strategy: $0.strategy, seed: $0.seed) }
        // Unfinished cells, except those a live process trains now (an earlier submission's task, a local run).
        var busy: [String] = []
        let pending = names.indices.filter { i in
            let cell = run.appendingPathComponent("cells/\(names[i])")
            if fm.fileExists(atPath: cell.appendingPathComponent("summary.json").path) { return false }
            if let h = FolderLock.liveHolder(cell) { busy.append("\(names[i]) (\(h))"); return false }
            return true
        }
        if !busy.isEmpty { print("not submitted, being trained now: \(busy.joined(separator: ", "))") }
        if pending.isEmpty && !busy.isEmpty { print("nothing to submit"); return }
        if pending.isEmpty {
            print("every cell of \(out) is finished: nothing to submit; collecting here")
            return try collectCells(out)
        }
        let scripts = SlurmScripts(executable: Self.executablePath(), run: run.path, out: out,
                                   directory: fm.currentDirectoryPath, cells: names, pending: pending,
                                   threads: options.threads, options: slurmOptions, logSteps: options.logSteps)
        let dir = run.appendingPathComponent(SlurmScripts.folder)
        do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw TrainingError("\(dir.path): cannot create it (\(error.localizedDescription))")
        }
        let arrayURL = dir.appendingPathComponent(SlurmScripts.arrayFile), collectURL = dir.appendingPathComponent(SlurmScripts.collectFile)
        try writeAtomically(Data(scripts.arrayScript().utf8), to: arrayURL)
        try writeAtomically(Data(scripts.collectScript().utf8), to: collectURL)
        let tasks = "\(count(pending.count, "task", "tasks")): \(SlurmScripts.arrayRange(pending))"
        print("wrote \(arrayURL.path) (\(tasks) of \(names.count) cells) and \(collectURL.path)")
        if cluster.slurmDryRun {
            print("not submitted (--slurm-dry-run); to submit:\n"
                  + "  ARRAY=$(sbatch --parsable \(SlurmScripts.quote(arrayURL.path)))\n"
                  + "  sbatch --dependency=afterany:$ARRAY \(SlurmScripts.quote(collectURL.path))")
            return
        }
        let jobs = try SlurmSubmit.submit(arrayScript: arrayURL, collectScript: collectURL)
        let line = "\(ISO8601DateFormatter().string(from: Date())) array \(jobs.array) (\(tasks)) collect \(jobs.collect)\n"
        if let h = try? FileHandle(forWritingTo: dir.appendingPathComponent("jobs.txt")) {
            h.seekToEndOfFile(); h.write(Data(line.utf8)); try? h.close()
        } else {
            try? Data(line.utf8).write(to: dir.appendingPathComponent("jobs.txt"))
        }
        print("submitted array job \(jobs.array) and collect job \(jobs.collect) (afterany:\(jobs.array))")
        print("cells write to \(out)/cells/<cell>/ (task output: slurm-\(jobs.array)_<task>.out); the collect job writes "
              + "\(out)/summary.json, summary.csv, report.md, figures/ (its output: \(out)/slurm/collect-\(jobs.collect).out)")
    }

    /// The absolute path of this executable (the array tasks run the binary that submitted them).
    static func executablePath() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        let a = CommandLine.arguments[0]
        return a.hasPrefix("/") ? a : URL(fileURLWithPath: a, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }

    // MARK: - --cell / --collect

    /// `--cell` and `--collect`: the settings come from `RUN/compare.json`; only --out, --threads, --quiet,
    /// --log-steps and --verbose may be given.
    func runFromSavedSettings() throws {
        try cluster.check()
        let what = cluster.cell != nil ? "--cell" : "--collect"
        guard let out = options.out else { throw CLIError(file: what, problem: "needs --out RUN (a comparison folder)") }
        let extra = try settingFlagsGiven()
        if !extra.isEmpty {
            throw CLIError(file: what, problem: "takes every setting from \(out)/compare.json; drop \(extra.joined(separator: ", "))")
        }
        guard FileManager.default.fileExists(atPath: out + "/compare.json") else {
            throw CLIError(file: out, problem: "not a comparison folder (no compare.json); `semiseg compare ... --out \(out)` creates one")
        }
        if let c = cluster.cell { try runOneCell(out, selector: c) } else { try collectCells(out) }
    }

    /// The setting flags given besides --out (they would be ignored): --strategies, --seeds, --config, --data,
    /// --opt and every flag that changes the training configuration.
    func settingFlagsGiven() throws -> [String] {
        var given: [String] = []
        if strategies != nil { given.append("--strategies") }
        if seeds != "0" { given.append("--seeds") }
        if options.config != nil { given.append("--config") }
        if options.data != nil { given.append("--data") }
        if !options.opts.isEmpty { given.append("--opt") }
        if options.strategy != nil { given.append("--strategy") }
        if options.seed != nil { given.append("--seed") }
        var probe = options
        probe.config = nil; probe.data = "-"; probe.out = "-"; probe.opts = []; probe.strategy = nil; probe.seed = nil
        let encoder = JSONEncoder()
        func fields(_ c: TrainConfig) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: encoder.encode(c)) as? [String: Any] ?? [:]
        }
        let a = try fields(probe.uncheckedConfig()), b = try fields(TrainConfig(data: "-", out: "-"))
        func value(_ v: Any?) -> NSObject { (v as? NSObject) ?? NSNull() }
        for k in Set(a.keys).union(b.keys).sorted() where !value(a[k]).isEqual(value(b[k])) {
            given.append("the \(k) setting")
        }
        return given
    }

    /// One cell from the saved settings, with its log on stdout (an array task's output file).
    func runOneCell(_ out: String, selector: String) throws {
        let runURL = URL(fileURLWithPath: out)
        var settings = try CompareSettings.load(runURL.appendingPathComponent("compare.json"))
        // Cell paths are built from the folder as compare.json spells it (then a resumed cell's config.json matches
        // a local compare's), unless the folder was moved.
        if URL(fileURLWithPath: settings.base.out).standardizedFileURL.path != runURL.standardizedFileURL.path { settings.base.out = out }
        let (index, strategy, seed) = try Comparison.cell(selector, of: settings)
        let name = CompareSettings.cellName(strategy: strategy, seed: seed)
        let dir = URL(fileURLWithPath: settings.cellConfig(strategy: strategy, seed: seed).out)
        // Refused before anything is written (not even a line in the cell's log.txt): another process trains it.
        if let h = FolderLock.liveHolder(dir) {
            throw CLIError(file: dir.path, problem: "cell \(name) is being trained by \(h); not started twice (wait for it, or stop it: kill \(h.pid))")
        }
        Parallel.threads = options.threads
        Interrupt.install()
        if !options.quiet { print("cell \(index) \(name) of \(out), --threads \(options.threads)"); fflush(stdout) }
        let result = try Comparison.runCell(settings, strategy: strategy, seed: seed, makeStrategy: { try makeStrategy($0, $1) },
                                            cellLog: options.quiet ? { _ in } : { print("    " + $0); fflush(stdout) },
                                            logSteps: options.logSteps, observers: [TrainingProgress()])
        switch result {
        case .finished:
            print("cell \(name): already finished (\(dir.path)/summary.json); nothing to do")
        case .ran(let summary, let resumed, let seconds):
            let dice = summary.test?.foregroundMean[.dice].map { String(format: "%.3f", $0) } ?? "n/a"
            print("cell \(name): test Dice \(dice) (\(String(format: "%.0f", seconds)) s)" + (resumed ? ", resumed" : ""))
        case .busy(let e):
            throw e
        case .failed(let text):
            throw CLIError(file: dir.path, problem: "cell \(name) failed: \(text)")
        }
    }

    /// The summary of the finished cells (the same outputs as a local compare), then the list of the others.
    func collectCells(_ out: String) throws {
        let runURL = URL(fileURLWithPath: out)
        let states = try Comparison.cellStates(runURL)
        let open = states.filter { !$0.state.isFinished }
        if !open.isEmpty {
            print("\(open.count) of \(count(states.count, "cell", "cells")) not finished:")
            for c in open { print("  \(c.cell): \(c.state)") }
        }
        guard open.count < states.count else {
            throw CLIError(file: out, problem: "no finished cell to collect (see cells/<cell>/log.txt and slurm-*.out)")
        }
        try Comparison.writeOutputs(runURL)
        writeFiguresAndReport(out)
        print("wrote \(out)/summary.json, \(out)/summary.csv, \(out)/report.md (\(states.count - open.count) of \(count(states.count, "cell", "cells")))")
        if !open.isEmpty {
            throw CLIError(file: out, problem: "\(open.count) cell(s) unfinished or failed: \(open.map(\.cell).joined(separator: ", ")); "
                             + "the same `compare --slurm` command submits only those (a local `compare` re-run finishes them too)")
        }
    }
}
