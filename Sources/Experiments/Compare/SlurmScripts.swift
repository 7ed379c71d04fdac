import Foundation
import Training

/// The two batch scripts of `semiseg compare --slurm` (docs/ARCHITECTURE.md §3): `RUN/slurm/array.sbatch`, a job
/// array with one task per unfinished cell, and `RUN/slurm/collect.sbatch`, which writes the summary once the array
/// is over (submitted with `--dependency=afterany:<array job>`).
///
/// Each array task maps its `SLURM_ARRAY_TASK_ID` (the cell's index in the comparison's seed-major cell order, as
/// `semiseg compare --cell INDEX` counts) to the cell's name through a table written into the script, and runs
/// `semiseg compare --out RUN --cell NAME --threads T` with the absolute path of the binary that submitted. The name,
/// not the index, is passed on: a comparison grown later (new strategies change the seed-major order) cannot make a
/// pending task train another cell. `--requeue` lets Slurm restart a task after preemption or node failure (the cell
/// resumes from its checkpoint); the task's output is appended to `RUN/cells/<cell>/slurm-<job>_<task>.out`.
/// Everything the user passes with `--slurm-args` (partition, account, time, memory) becomes `#SBATCH` lines of
/// both scripts, so `sbatch array.sbatch` alone (after `--slurm-dry-run`) submits the same job.
public struct SlurmScripts: Equatable, Sendable {
    /// Absolute path of the `semiseg` executable the tasks run.
    public var executable: String
    /// Absolute path of the comparison folder (the scripts' and tasks' log files).
    public var run: String
    /// The comparison folder as `compare.json` spells it (`--out` of the submitting command, maybe relative): every
    /// task passes it on, so a cell's `config.json` is the same as under a local `compare`.
    public var out: String
    /// The submitting command's working directory: tasks start there (relative `--data` / `--out` paths).
    public var directory: String
    /// Every cell name in the comparison's order (index = array task id).
    public var cells: [String]
    /// Indices into `cells` of the tasks to submit (the unfinished cells), ascending.
    public var pending: [Int]
    /// `--threads` of every cell, and so `--cpus-per-task`.
    public var threads: Int
    /// The user's `--slurm-args`, one sbatch option per element (`--partition=cpu`, `--time 12:00:00`).
    public var options: [String]
    /// Cells also log one line per optimizer step.
    public var logSteps: Bool

    public init(executable: String, run: String, out: String, directory: String, cells: [String], pending: [Int], threads: Int,
                options: [String] = [], logSteps: Bool = false) {
        self.executable = executable; self.run = run; self.out = out; self.directory = directory
        self.cells = cells; self.pending = pending
        self.threads = threads; self.options = options; self.logSteps = logSteps
    }

    /// Folder of the scripts and the job logs that are not a cell's: `RUN/slurm`.
    public static let folder = "slurm"
    public static let arrayFile = "array.sbatch"
    public static let collectFile = "collect.sbatch"

    /// Options the scripts set themselves; `--slurm-args` may not give them.
    static let reserved: [(names: [String], why: String)] = [
        (["--array", "-a"], "one task per unfinished cell"),
        (["--cpus-per-task", "-c"], "comes from --threads"),
        (["--output", "-o", "--error", "-e", "--open-mode"], "every cell's output goes to RUN/cells/<cell>/slurm-<job>_<task>.out"),
        (["--dependency", "-d"], "the collect job depends on the array"),
        (["--job-name", "-J"], "semiseg-<folder> and semiseg-<folder>-collect"),
        (["--ntasks", "-n", "--wrap", "--parsable"], "set by `compare --slurm`"),
    ]

    // MARK: - Scripts

    /// `RUN/slurm/array.sbatch`.
    public func arrayScript() -> String {
        // The array's own --output holds only what Slurm says about a task and what happens before its log opens.
        var s = preamble("one array task per cell", name: jobName, output: "array-%A_%a.out",
                         extra: ["--array=\(Self.arrayRange(pending))", "--requeue"], cpus: threads)
        s += """
        RUN=\(Self.quote(run))
        OUT=\(Self.quote(out))
        # Array task id = the cell's index in RUN/compare.json's seed-major order (`semiseg compare --cell INDEX`).
        case "${SLURM_ARRAY_TASK_ID:-}" in

        """
        for (i, c) in cells.enumerated() { s += "  \(i)) CELL=\(Self.quote(c)) ;;\n" }
        s += """
          *) echo "error: array task '${SLURM_ARRAY_TASK_ID:-}' is not a cell of $RUN" >&2; exit 2 ;;
        esac
        mkdir -p "$RUN/cells/$CELL" || exit 1
        # Appended: a requeued task keeps the output of its earlier attempts.
        exec >> "$RUN/cells/$CELL/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out" 2>&1
        echo "slurm task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} (job ${SLURM_JOB_ID}) on $(hostname), restart ${SLURM_RESTART_COUNT:-0}, $(date -u +%Y-%m-%dT%H:%M:%SZ): cell $CELL"
        # exec: SIGTERM (scancel, preemption, time limit) reaches semiseg itself, which checkpoints at the next step
        # boundary and exits 143; the requeued task resumes the cell from that checkpoint, bit-identically.
        exec "$SEMISEG" compare --out "$OUT" --cell "$CELL" --threads \(threads)\(logSteps ? " --log-steps" : "")

        """
        return s
    }

    /// `RUN/slurm/collect.sbatch`.
    public func collectScript() -> String {
        preamble("the summary of the finished cells, after the array", name: jobName + "-collect", output: "collect-%j.out",
                 extra: [], cpus: 1)
        + """
        # summary.json, summary.csv, report.md, figures/; exit 1 (and a list) when a cell is unfinished or failed.
        exec "$SEMISEG" compare --out \(Self.quote(out)) --collect

        """
    }

    /// The `#SBATCH` lines (ours, then the user's) and the first commands both scripts share.
    private func preamble(_ what: String, name: String, output: String, extra: [String], cpus: Int) -> String {
        var s = "#!/bin/bash\n# Written by `semiseg compare --slurm` for \(run): \(what) (docs/ARCHITECTURE.md §3).\n"
        let ours = ["--job-name=\(name)"] + extra + ["--ntasks=1", "--cpus-per-task=\(cpus)", "--open-mode=append",
                                                     "--output=\(run)/\(Self.folder)/\(output)"]
        for o in ours + options { s += "#SBATCH \(o)\n" }
        s += """

        set -u
        SEMISEG=\(Self.quote(executable))
        # Relative paths in compare.json (--data, --out) are relative to the folder `compare --slurm` ran in.
        cd \(Self.quote(directory)) || exit 1

        """
        return s
    }

    /// `semiseg-<folder name>` (letters, digits, `-`, `_`, `.` only).
    public var jobName: String {
        let base = URL(fileURLWithPath: run).lastPathComponent
        let safe = String(base.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return "semiseg-" + (safe.isEmpty ? "compare" : safe)
    }

    // MARK: - Helpers

    /// Ascending indices as a Slurm array range: `[0,1,2,3]` -> `0-3`, `[1,3,4,5]` -> `1,3-5`.
    public static func arrayRange(_ indices: [Int]) -> String {
        var parts: [String] = [], i = 0
        let v = indices.sorted()
        while i < v.count {
            var j = i
            while j + 1 < v.count && v[j + 1] == v[j] + 1 { j += 1 }
            parts.append(j == i ? "\(v[i])" : "\(v[i])-\(v[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Single-quoted for bash (`'` inside becomes `'\''`).
    public static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Splits `--slurm-args` into sbatch options: words as a shell splits them (single and double quotes group,
    /// a backslash escapes the next character); a word not starting with `-` is the value of the option before it
    /// (`--time 1:00:00`).
    /// - Throws: `ConfigError` for an unterminated quote, a value without an option, a line break, or an option
    ///   the scripts set themselves (`--array`, `--cpus-per-task`, `--output`, `--dependency`, ...), each with why.
    public static func parseOptions(_ text: String) throws -> [String] {
        var words: [String] = [], cur = "", inWord = false, quote: Character? = nil, escape = false
        for ch in text {
            if escape { cur.append(ch); escape = false; inWord = true; continue }
            if let q = quote {
                if ch == q { quote = nil } else if ch == "\\" && q == "\"" { escape = true } else { cur.append(ch) }
                continue
            }
            switch ch {
            case "\\": escape = true
            case "'", "\"": quote = ch; inWord = true
            case " ", "\t": if inWord { words.append(cur); cur = ""; inWord = false }
            default: cur.append(ch); inWord = true
            }
        }
        var problems: [String] = []
        if quote != nil || escape { problems.append("--slurm-args: unterminated quote or trailing backslash in '\(text)'") }
        if inWord { words.append(cur) }
        var options: [String] = []
        for w in words {
            if w.contains("\n") || w.contains("\r") { problems.append("--slurm-args: '\(w)' contains a line break"); continue }
            if w.hasPrefix("-") { options.append(w); continue }
            guard let last = options.popLast() else {
                problems.append("--slurm-args: '\(w)' is not an sbatch option (options start with -, e.g. --partition=cpu)"); continue
            }
            options.append(last + " " + w)
        }
        for o in options {
            let name = String(o.prefix { $0 != "=" && $0 != " " })
            // Short options may carry their value attached (-pcpu, -c4).
            let short = name.hasPrefix("--") ? name : String(name.prefix(2))
            if let r = reserved.first(where: { $0.names.contains(name) || $0.names.contains(short) }) {
                problems.append("--slurm-args: \(name) is set by `compare --slurm` (\(r.why))")
            }
        }
        if !problems.isEmpty { throw ConfigError(problems: problems) }
        return options
    }
}
