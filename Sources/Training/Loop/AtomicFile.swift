import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way SemiSeg writes an artifact (checkpoint, JSON, CSV, Markdown, notebook): the bytes go to a hidden
/// temporary file in the destination's folder (`.<name>.tmp-<pid>`), are flushed to disk (`fsync`), and the file is
/// renamed over the final name. A reader, a crash or a SIGKILL therefore sees either the old file or the complete new
/// one, never a partial file under the final name. (NIfTI and PNG images use the same scheme inside MedIO.)
public enum AtomicFile {
    // MARK: - Failure simulation (tests)

    private struct SimulatedFailure { var afterBytes: Int; var skip: Int }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var failures: [String: SimulatedFailure] = [:]

    /// Test hook: the `skip + 1`-th write to `url` stops after `afterBytes` bytes of its temporary file and throws, as a
    /// crash or a full disk would (then the hook is cleared). Other paths are unaffected.
    static func simulateFailure(at url: URL, afterBytes: Int, skip: Int = 0) {
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

    /// The temporary name `write` uses for `url`: a hidden file next to it.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    }

    /// Writes `data` to `url` atomically (temporary file in the same folder, fsync, rename).
    /// - Throws: `TrainingError` "`<path>`: no space left on device" when the file system is full (or the quota
    ///   reached), else "`<path>`: cannot write (`<reason>`)" (no permission, ...); the final name then still holds its
    ///   previous content (or does not exist) and the temporary file is removed, so a run stopped by a full disk keeps
    ///   its last good checkpoint and resumes exactly once space is back.
    public static func write(_ data: Data, to url: URL) throws {
        let tmp = temporaryURL(for: url)
        var noSpace = false
        func reason(_ e: Int32) -> String {
            if e == ENOSPC || e == EDQUOT { noSpace = true }
            return String(cString: strerror(e))
        }
        func fail(_ reason: String) -> TrainingError {
            unlink(tmp.path)
            return TrainingError(noSpace ? "\(url.path): no space left on device" : "\(url.path): cannot write (\(reason))")
        }
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail(reason(errno)) }
        var failure: String?
        let failAfterBytes = simulatedLimit(url)
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            guard var p = buf.baseAddress else { return }
            var left = buf.count
            if let limit = failAfterBytes, limit < left {
                _ = Glibc.write(fd, p, limit)
                failure = "simulated failure after \(limit) bytes"
                return
            }
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = reason(errno); return
                }
                p += n; left -= n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = reason(errno) }
        if close(fd) != 0 && failure == nil { failure = reason(errno) }
        if let f = failure { throw fail(f) }
        guard rename(tmp.path, url.path) == 0 else { throw fail(reason(errno)) }
    }

    /// True when a Foundation write error means a full file system or quota (ENOSPC, EDQUOT), so writers that do not
    /// go through `write` (appends) report it as "`<file>`: no space left on device" too.
    public static func isNoSpace(_ error: Error) -> Bool {
        if let c = error as? CocoaError, c.code == .fileWriteOutOfSpace { return true }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain && (ns.code == Int(ENOSPC) || ns.code == Int(EDQUOT)) { return true }
        if ns.domain == NSCocoaErrorDomain && ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? Error { return isNoSpace(u) }
        return false
    }

    /// True for the hidden temporary names of `write`, MedIO's image writers and older notebook exports.
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

/// Writes `data` to `url` atomically; see `AtomicFile.write`.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try AtomicFile.write(data, to: url)
}
