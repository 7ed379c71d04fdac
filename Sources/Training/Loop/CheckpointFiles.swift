import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a run stood when a checkpoint was written: epochs completed and global optimizer step.
struct CheckpointPosition: Equatable {
    var epochs: Int
    var step: Int
}

/// The `last` checkpoints of a run folder: `RUN/checkpoints/last.safetensors` (newest) and up to `keep - 1` older ones,
/// `epoch<E>-step<S>.safetensors` (E epochs completed, global step S), so a damaged `last` still leaves an intact
/// checkpoint to resume from. (`best.safetensors` is separate and always kept.)
///
/// Replacing `last` first hard-links the current `last` under its older name (no copy, no extra space until the new
/// `last` is written), then writes the new `last` atomically, then removes the oldest copies beyond `keep`. A crash at
/// any point leaves `last` intact (old or new) plus at most one extra older copy.
struct CheckpointFiles {
    /// `--keep-checkpoints` default: `last` plus one older checkpoint.
    static let defaultKeep = 2

    let dir: URL
    /// Checkpoints kept in all (`last` + older), >= 1.
    let keep: Int

    var last: URL { dir.appendingPathComponent("last.safetensors") }
    var best: URL { dir.appendingPathComponent("best.safetensors") }

    func olderURL(_ p: CheckpointPosition) -> URL {
        dir.appendingPathComponent(String(format: "epoch%04d-step%07d.safetensors", p.epochs, p.step))
    }

    /// The older checkpoints present, newest (highest step) first.
    func older() -> [(url: URL, position: CheckpointPosition)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.compactMap { name -> (URL, CheckpointPosition)? in
            guard name.hasPrefix("epoch"), name.hasSuffix(".safetensors") else { return nil }
            let parts = name.dropFirst(5).dropLast(12).split(separator: "-")
            guard parts.count == 2, let e = Int(parts[0]), parts[1].hasPrefix("step"), let s = Int(parts[1].dropFirst(4)) else { return nil }
            return (dir.appendingPathComponent(name), CheckpointPosition(epochs: e, step: s))
        }.sorted { ($0.1.step, $0.1.epochs) > ($1.1.step, $1.1.epochs) }
    }

    /// Files a resume tries, newest first: `last`, then the older checkpoints.
    func resumeCandidates() -> [URL] {
        let fm = FileManager.default
        return (fm.fileExists(atPath: last.path) ? [last] : []) + older().map(\.url)
    }

    /// Writes `data` as the new `last` (position `position`); `current` is the position of the file now at `last` when
    /// this run wrote or resumed from it (nil: a file of an earlier, unrelated start, which is not kept).
    func writeLast(_ data: Data, position: CheckpointPosition, current: CheckpointPosition?) throws {
        let fm = FileManager.default
        if keep > 1, let p = current, p != position, fm.fileExists(atPath: last.path) {
            let copy = olderURL(p)
            unlink(copy.path)
            if link(last.path, copy.path) != 0 {
                // File systems without hard links: a real copy (atomic, like every other write).
                try writeAtomically(try Data(contentsOf: last), to: copy)
            }
        }
        try writeAtomically(data, to: last)
        prune()
    }

    /// Removes every older checkpoint (a fresh start: they belong to an earlier run).
    func removeOlder() {
        for o in older() { try? FileManager.default.removeItem(at: o.url) }
    }

    /// Removes older checkpoints beyond `keep - 1`.
    func prune() {
        for o in older().dropFirst(max(keep - 1, 0)) { try? FileManager.default.removeItem(at: o.url) }
    }

    /// Renames a damaged checkpoint to `<name>.damaged` (kept for inspection, never loaded); returns the new URL.
    @discardableResult
    func setAside(_ url: URL) -> URL {
        let to = url.appendingPathExtension("damaged")
        unlink(to.path)
        if rename(url.path, to.path) != 0 { unlink(url.path) }
        return to
    }
}
