import Foundation
import Training

/// What an output folder holds, and the refusals that keep `semiseg train` from silently replacing a run or
/// silently starting one the user meant to continue.
public enum RunFolder {
    /// The state of a `--out` folder.
    public enum State: Equatable, Sendable {
        /// No such folder, or an empty one.
        case absent
        /// A folder with files but no `config.json`: not a SemiSeg run.
        case notARun
        /// A started run (`config.json`) without `summary.json`: `epochs` rows in its metrics.csv.
        case unfinished(epochs: Int)
        /// A run with `summary.json`.
        case finished
    }

    /// The state of `url`.
    public static func state(_ url: URL) -> State {
        let fm = FileManager.default
        let items = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }
        if items.isEmpty { return .absent }
        if items.contains("summary.json") && items.contains("config.json") { return .finished }
        guard items.contains("config.json") else { return .notARun }
        let csv = (try? String(contentsOf: url.appendingPathComponent("metrics.csv"), encoding: .utf8)) ?? ""
        return .unfinished(epochs: max(0, csv.split(separator: "\n").count - 1))
    }

    /// The refusals of `semiseg train --out <url>`:
    /// - `--resume` together with `--overwrite`;
    /// - `--resume` on a folder where no run was started (a typo in `--out` must not train from scratch and exit 0);
    /// - a new run (neither flag) into a folder that holds a run, finished or not.
    /// - Throws: `TrainingError` "`<folder>`: <what it holds>; <the flag that does what the user meant>".
    public static func checkTrain(_ url: URL, resume: Bool, overwrite: Bool) throws {
        if resume && overwrite {
            throw TrainingError("\(url.path): --resume continues the run in this folder, --overwrite replaces it: give one of them")
        }
        let s = state(url)
        switch (s, resume, overwrite) {
        case (.absent, true, _):
            let what = FileManager.default.fileExists(atPath: url.path) ? "is empty" : "does not exist"
            throw TrainingError("\(url.path): nothing to resume (the folder \(what)); check --out, or drop --resume to start a new run")
        case (.notARun, true, _):
            throw TrainingError("\(url.path): nothing to resume (no config.json: no run was started here); check --out, or drop --resume to start a new run")
        case (.finished, false, false):
            throw TrainingError("\(url.path): holds a finished run (summary.json); pass --overwrite to replace it, or choose another --out")
        case (.unfinished(let e), false, false):
            throw TrainingError("\(url.path): holds an unfinished run (\(e) epoch\(e == 1 ? "" : "s") done); pass --resume to continue it, "
                                + "--overwrite to start it again, or choose another --out")
        case (.notARun, false, true):
            throw TrainingError("\(url.path): --overwrite replaces a run folder, and this folder holds other files (no config.json); "
                                + "choose another --out")
        default: return
        }
    }

    /// Removes everything a run wrote under `url` (every entry except lock files, whose names start with ".lock"
    /// or end in ".lock"), for `--overwrite`; called only after the new run's settings and data were validated.
    public static func clear(_ url: URL) throws {
        let fm = FileManager.default
        guard let items = try? fm.contentsOfDirectory(atPath: url.path) else { return }
        for name in items where !(name.hasPrefix(".lock") || name.hasSuffix(".lock")) {
            do { try fm.removeItem(at: url.appendingPathComponent(name)) } catch {
                throw TrainingError("\(url.appendingPathComponent(name).path): cannot remove it for --overwrite (\(error.localizedDescription))")
            }
        }
    }
}
