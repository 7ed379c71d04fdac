import AtomicIO
import Foundation

/// Training's face of the one atomic writer (`AtomicWrite` in the AtomicIO target; docs/ARCHITECTURE.md §6): the same
/// temp-fsync-rename-fsync scheme, with failures as `TrainingError` ("`<path>`: no space left on device" or
/// "`<path>`: cannot write (`<reason>`)") so the CLI prints them as every other bad-input line.
public enum AtomicFile {
    /// Test hook (see `AtomicWrite.simulateFailure`).
    static func simulateFailure(at url: URL, afterBytes: Int, skip: Int = 0) {
        AtomicWrite.simulateFailure(at: url, afterBytes: afterBytes, skip: skip)
    }

    /// The temporary name `write` uses for `url`: a hidden file next to it.
    public static func temporaryURL(for url: URL) -> URL { AtomicWrite.temporaryURL(for: url) }

    /// Writes `data` to `url` atomically.
    /// - Throws: `TrainingError` naming the file; the final name then still holds its previous content (or does not
    ///   exist), so a run stopped by a full disk keeps its last good checkpoint and resumes exactly once space is back.
    public static func write(_ data: Data, to url: URL) throws {
        do { try AtomicWrite.write(data, to: url) } catch let f as AtomicWrite.Failure { throw TrainingError(f.description) }
    }

    /// True when a write error means a full file system or quota (see `AtomicWrite.isNoSpace`).
    public static func isNoSpace(_ error: Error) -> Bool { AtomicWrite.isNoSpace(error) }

    /// True for the hidden temporary names of the atomic writer.
    public static func isTemporaryName(_ name: String) -> Bool { AtomicWrite.isTemporaryName(name) }

    /// Removes temporary files a killed process left in `folder` (not recursive); returns how many.
    @discardableResult
    public static func removeStaleTemporaries(in folder: URL) -> Int { AtomicWrite.removeStaleTemporaries(in: folder) }
}

/// Writes `data` to `url` atomically; see `AtomicFile.write`.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try AtomicFile.write(data, to: url)
}
