import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way SemiSeg writes a whole file (checkpoint, safetensors, JSON, CSV, Markdown, notebook, GIF, PNG, NIfTI;
/// docs/ARCHITECTURE.md §6): the bytes go to a hidden temporary file in the destination's folder, are flushed to disk
/// (`fsync`), the file is renamed over the final name, and the folder is flushed so the rename itself survives a power
/// loss. A reader, a crash or a SIGKILL therefore sees either the old file or the complete new one, never a partial
/// file under the final name; a failed write removes its temporary file and leaves the final name as it was.
///
/// This target depends on nothing, so MedIO, NN and Training all write through it; each maps `Failure` onto its own
/// error type with the same wording ("`<path>`: no space left on device", "`<path>`: cannot write (`<reason>`)").
public enum AtomicWrite {
    /// A write that did not happen; the final name keeps its previous content (or does not exist).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// The final path.
        public let path: String
        /// `strerror` text (or what the producing library said).
        public let reason: String
        /// The file system is full or the quota reached (ENOSPC, EDQUOT).
        public let noSpace: Bool
        public var description: String { noSpace ? "\(path): no space left on device" : "\(path): cannot write (\(reason))" }
    }

    // MARK: - Failure simulation (tests)

    private struct SimulatedFailure { var afterBytes: Int; var skip: Int }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var failures: [String: SimulatedFailure] = [:]

    /// Test hook: the `skip + 1`-th `write(_:to:)` to `url` stops after `afterBytes` bytes of its temporary file and
    /// throws, as a crash or a full disk would (then the hook is cleared). Other paths are unaffected.
    package static func simulateFailure(at url: URL, afterBytes: Int, skip: Int = 0) {
        lock.lock(); defer { lock.unlock() }
        failures[url.standardizedFileURL.path] = SimulatedFailure(afterBytes: afterBytes, skip: skip)
    }

    /// The byte limit when this write to `url` is to fail (consumes the hook).
    private static func simulatedLimit(_ url: URL) -> Int? {
        lock.lock(); defer { lock.unlock() }
        let key = url.standardizedFileURL.path
        guard var f = failures[key] else { return nil }
        if f.skip > 0 { f.skip -= 1; failures[key] = f; return nil }
        failures[key] = nil
        return f.afterBytes
    }

    // MARK: - Writing

    /// The temporary name `write(_:to:)` uses for `url`: a hidden file next to it (`.<name>.tmp-<pid>`).
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    }

    /// A temporary name for `url` that keeps its extensions (`.tmp-<uuid>-<name>`), for libraries that choose the
    /// format by the file name (libnifti's `.nii.gz`).
    public static func temporaryURLKeepingExtension(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".tmp-\(UUID().uuidString)-\(url.lastPathComponent)")
    }

    /// Writes `data` to `url` atomically (temporary file in the same folder, fsync, rename, fsync of the folder).
    /// - Throws: `Failure`; the temporary file is removed, so a run stopped by a full disk keeps its last good
    ///   checkpoint and resumes exactly once space is back.
    public static func write(_ data: Data, to url: URL) throws {
        let tmp = temporaryURL(for: url)
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(url, errno, removing: tmp) }
        var error: Int32 = 0
        var simulated: String?
        let failAfterBytes = simulatedLimit(url)
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            guard var p = buf.baseAddress else { return }
            var left = buf.count
            if let limit = failAfterBytes, limit < left {
                _ = Glibc.write(fd, p, limit)
                simulated = "simulated failure after \(limit) bytes"
                return
            }
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    error = errno; return
                }
                p += n; left -= n
            }
        }
        if error == 0 && simulated == nil && fsync(fd) != 0 { error = errno }
        if close(fd) != 0 && error == 0 && simulated == nil { error = errno }
        if let s = simulated {
            unlink(tmp.path)
            throw Failure(path: url.path, reason: s, noSpace: false)
        }
        if error != 0 { throw failure(url, error, removing: tmp) }
        try commit(tmp, to: url)
    }

    /// Atomically places a file that a library wrote itself (libpng, libnifti, zlib) at a temporary name in the
    /// destination's folder (`temporaryURLKeepingExtension`): the file is flushed, renamed over `url` and the folder
    /// flushed. On failure the temporary file is removed and `url` keeps its previous content.
    public static func place(_ tmp: URL, at url: URL) throws {
        let fd = open(tmp.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(url, errno, removing: tmp) }
        let synced = fsync(fd) == 0 ? 0 : errno
        close(fd)
        if synced != 0 { throw failure(url, synced, removing: tmp) }
        try commit(tmp, to: url)
    }

    /// Renames the flushed temporary file over `url` and flushes the folder (the rename is durable once this returns).
    private static func commit(_ tmp: URL, to url: URL) throws {
        guard rename(tmp.path, url.path) == 0 else { throw failure(url, errno, removing: tmp) }
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }  // best effort: some file systems refuse fsync on a folder
    }

    private static func failure(_ url: URL, _ code: Int32, removing tmp: URL) -> Failure {
        unlink(tmp.path)
        return Failure(path: url.path, reason: String(cString: strerror(code)), noSpace: code == ENOSPC || code == EDQUOT)
    }

    // MARK: - Errors and leftovers

    /// True when a Foundation or POSIX write error means a full file system or quota (ENOSPC, EDQUOT), so writers that
    /// do not go through `write` (appends) report it as "`<file>`: no space left on device" too.
    public static func isNoSpace(_ error: Error) -> Bool {
        if let f = error as? Failure { return f.noSpace }
        if let c = error as? CocoaError, c.code == .fileWriteOutOfSpace { return true }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain && (ns.code == Int(ENOSPC) || ns.code == Int(EDQUOT)) { return true }
        if ns.domain == NSCocoaErrorDomain && ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? Error { return isNoSpace(u) }
        return false
    }

    /// True for the hidden temporary names of `write` (both forms) and of older notebook exports.
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && (name.contains(".tmp-") || name.hasPrefix(".tmp-") || name.contains(".partial-"))
    }

    /// Removes temporary files a killed process left in `folder` (not recursive); returns how many.
    @discardableResult
    public static func removeStaleTemporaries(in folder: URL) -> Int {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return 0 }
        var n = 0
        for name in names where isTemporaryName(name) {
            if (try? fm.removeItem(at: folder.appendingPathComponent(name))) != nil { n += 1 }
        }
        return n
    }
}
