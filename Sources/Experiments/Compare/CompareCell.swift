import Foundation
import Training

/// One cell of a comparison on its own: what `Comparison.run` does for each cell, what `semiseg compare --cell`
/// (a Slurm array task) does for one, and the cell states `--collect` reports (docs/ARCHITECTURE.md §3).
extension Comparison {
    /// What became of one cell in one invocation.
    public enum CellResult {
        /// Trained (or resumed) to the end and evaluated.
        case ran(RunSummary, resumed: Bool, seconds: Double)
        /// Finished before (its `summary.json` exists): nothing to do.
        case finished
        /// Another live process holds the cell's lock (a second task, a local compare).
        case busy(FolderLock.Busy)
        /// Failed with this error text (also appended to the cell's `log.txt`).
        case failed(String)
    }

    /// Creates the comparison folder and `cells/`, removes leftovers of a killed writer, and writes `compare.json`
    /// and (once) `split.json`: what every cell reads. Call after `prepare`.
    public static func writeFolder(_ plan: Plan) throws {
        let settings = plan.settings
        let run = settings.runDirectory
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: run.appendingPathComponent("cells"), withIntermediateDirectories: true)
        } catch { throw TrainingError("\(run.path): cannot create the comparison folder (\(error.localizedDescription))") }
        AtomicFile.removeStaleTemporaries(in: run)
        try settings.save(run.appendingPathComponent("compare.json"))
        if !fm.fileExists(atPath: run.appendingPathComponent("split.json").path) {
            try plan.split.save(run.appendingPathComponent("split.json"))
        }
    }

    /// Runs or resumes one cell of `settings` (a cell folder that exists is resumed from its newest checkpoint, or
    /// started when it has none). A SIGINT/SIGTERM during training rethrows `TrainingInterrupted` after noting it in
    /// the cell's `log.txt`; every other error is returned as `.failed` (logged) or `.busy` (not logged: the log
    /// belongs to the process that trains the cell).
    /// - Parameter base: `settings.base` already checked (`Plan.base`); nil checks it here (`--cell` reading
    ///   `compare.json`: the one check of that path).
    public static func runCell(_ settings: CompareSettings, base: ValidatedConfig? = nil, strategy: String, seed: UInt64,
                               makeStrategy: @escaping (String, StrategyOptions) throws -> any Strategy,
                               cellLog: @escaping (String) -> Void = { _ in }, logSteps: Bool = false,
                               observers: [any TrainingObserver] = []) throws -> CellResult {
        let fm = FileManager.default
        let config = settings.cellConfig(strategy: strategy, seed: seed)
        let dir = URL(fileURLWithPath: config.out)
        if fm.fileExists(atPath: dir.appendingPathComponent("summary.json").path) { return .finished }
        let start = Date()
        let resume = fm.fileExists(atPath: dir.path)
        let logFile = CellLogFile(dir.appendingPathComponent("log.txt"))
        do {
            if resume { try checkCellConfig(dir, expected: config) }
            let validated = settings.cellConfig(strategy: strategy, seed: seed, base: try base ?? ValidatedConfig(settings.base))
            let summary = try RunPipeline.run(validated, makeStrategy: { try makeStrategy(strategy, $0) }, resume: resume,
                                              logSteps: logSteps, log: { line in logFile.append(line); cellLog(line) },
                                              observers: observers)
            return .ran(summary, resumed: resume, seconds: Date().timeIntervalSince(start))
        } catch let e as TrainingInterrupted {
            logFile.append(e.description)
            throw e
        } catch let e as FolderLock.Busy {
            return .busy(e)
        } catch {
            let text = "\(error)"
            logFile.append("error: \(text)")
            return .failed(text)
        }
    }

    /// The cell a `--cell` argument names: `<strategy>-seed<S>` or its 0-based index in the seed-major cell order
    /// (the Slurm array task id).
    /// - Throws: `TrainingError` listing the cells when there is no such cell.
    public static func cell(_ selector: String, of settings: CompareSettings) throws -> (index: Int, strategy: String, seed: UInt64) {
        let cells = settings.seeds.flatMap { seed in settings.strategies.map { (strategy: $0, seed: seed) } }
        let names = cells.map { CompareSettings.cellName(strategy: $0.strategy, seed: $0.seed) }
        if let i = Int(selector), i >= 0, i < cells.count { return (i, cells[i].strategy, cells[i].seed) }
        if let i = names.firstIndex(of: selector) { return (i, cells[i].strategy, cells[i].seed) }
        throw TrainingError("\(settings.runDirectory.appendingPathComponent("compare.json").path): no cell '\(selector)' "
                            + "(cells 0-\(cells.count - 1): \(names.joined(separator: ", ")))")
    }

    // MARK: - Cell states (`--collect`)

    /// Where a cell stands, from its folder alone.
    public enum CellState: Equatable, Sendable, CustomStringConvertible {
        case finished
        /// A live process holds its lock.
        case running(String)
        /// The last attempt ended with an error (the `error:` line of its `log.txt`).
        case failed(String)
        /// Stopped by SIGINT/SIGTERM at a checkpoint (preemption, `scancel`, a time limit): resumable.
        case interrupted(String)
        /// Started, not finished, no error logged (killed, e.g. SIGKILL or a node failure): resumable.
        case unfinished(epochs: Int)
        /// No trace of a training run.
        case notStarted

        public var isFinished: Bool { self == .finished }

        public var description: String {
            switch self {
            case .finished: return "finished"
            case .running(let who): return "running (\(who))"
            case .failed(let e): return "failed: \(e)"
            case .interrupted(let e): return e
            case .unfinished(let e): return "unfinished (\(e) epoch\(e == 1 ? "" : "s") done, no error logged: killed?)"
            case .notStarted: return "not started"
            }
        }
    }

    /// The state of every cell of the comparison in `run` (seed-major order).
    public static func cellStates(_ run: URL) throws -> [(cell: String, state: CellState)] {
        let settings = try CompareSettings.load(run.appendingPathComponent("compare.json"))
        let fm = FileManager.default
        return settings.seeds.flatMap { seed in settings.strategies.map { s -> (cell: String, state: CellState) in
            let name = CompareSettings.cellName(strategy: s, seed: seed)
            let dir = run.appendingPathComponent("cells/" + name)
            if fm.fileExists(atPath: dir.appendingPathComponent("summary.json").path) { return (name, .finished) }
            if let h = FolderLock.liveHolder(dir) { return (name, .running("\(h)")) }
            let lastLine = (try? String(contentsOf: dir.appendingPathComponent("log.txt"), encoding: .utf8))?
                .split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }).map(String.init)
            if let l = lastLine, l.hasPrefix("error: ") { return (name, .failed(String(l.dropFirst(7)))) }
            if let l = lastLine, l.hasPrefix("interrupted by ") { return (name, .interrupted(l)) }
            switch RunFolder.state(dir) {
            case .unfinished(let e): return (name, .unfinished(epochs: e))
            case .finished: return (name, .finished)
            case .absent, .notARun: return (name, .notStarted)
            }
        } }
    }
}
