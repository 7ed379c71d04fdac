import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a folder that one process writes: a run folder (`train`, each `compare` cell) or a `predict`
/// output. Two writers on one folder would interleave checkpoints and predictions; the second one is refused, with
/// the holder's pid, host, command and start time.
///
/// The lock is `flock(2)` on `<folder>/.semiseg.lock`, which the kernel releases when the holder exits in any way
/// (SIGKILL, OOM kill, a crash): a lock left by a dead process never blocks. The file itself stays and names its
/// last holder; a non-empty file found by a new holder means the previous one died holding it, which `tookOverFrom`
/// reports. On file systems without `flock` (some network mounts) the file's pid is checked instead (same host:
/// `kill(pid, 0)`; another host: treated as running, the message says how to clear it).
///
///     let lock = try FolderLock.acquire(runFolder, command: "train")   // throws FolderLock.Busy
///     defer { lock.release() }
public final class FolderLock: @unchecked Sendable {
    /// Name of the lock file inside the folder.
    public static let fileName = ".semiseg.lock"

    /// The process that holds (or held) a lock, as recorded in the lock file.
    public struct Holder: Equatable, Sendable, CustomStringConvertible {
        public var pid: Int32
        public var host: String
        public var command: String
        /// ISO 8601 UTC time the lock was taken.
        public var since: String

        public var description: String { "process \(pid) (`\(command)` on \(host), since \(since))" }

        var fileText: String { "pid=\(pid)\nhost=\(host)\ncommand=\(command)\nsince=\(since)\n" }

        init(pid: Int32, host: String, command: String, since: String) {
            self.pid = pid; self.host = host; self.command = command; self.since = since
        }

        /// Parses a lock file's text; nil when it names no pid (empty, released, or damaged).
        init?(fileText: String) {
            var f: [String: String] = [:]
            for line in fileText.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                f[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            guard let p = f["pid"].flatMap({ Int32($0) }), p > 0 else { return nil }
            self.init(pid: p, host: f["host"] ?? "?", command: f["command"] ?? "?", since: f["since"] ?? "?")
        }
    }

    /// The folder is locked by another live process.
    public struct Busy: Error, CustomStringConvertible {
        public let folder: URL
        /// nil when the holder has not written its name yet.
        public let holder: Holder?
        public var description: String {
            guard let h = holder else { return "\(folder.path): in use by another SemiSeg process; wait for it to finish" }
            let how = h.host == FolderLock.hostName ? "wait for it to finish or stop it (kill \(h.pid))"
                : "wait for it to finish, or delete \(FolderLock.fileName) if that process no longer runs"
            return "\(folder.path): in use by \(h); \(how)"
        }
    }

    /// The locked folder.
    public let folder: URL
    /// The previous holder, when it died holding the lock (SIGKILL): its lock was taken over.
    public let tookOverFrom: Holder?
    private var fd: Int32
    private let mutex = NSLock()

    private init(folder: URL, fd: Int32, tookOverFrom: Holder?) {
        self.folder = folder; self.fd = fd; self.tookOverFrom = tookOverFrom
    }

    deinit { release() }

    static var hostName: String {
        var buf = [CChar](repeating: 0, count: 256)
        return gethostname(&buf, buf.count) == 0 ? String(cString: buf) : "?"
    }

    /// Takes the lock on `folder` (which must exist) without waiting.
    /// - Parameter command: what the holder does (`train`, `compare cell uda-seed0`, `predict`), shown to others.
    /// - Throws: `Busy` naming the holder; `TrainingError` when the lock file cannot be created.
    public static func acquire(_ folder: URL, command: String) throws -> FolderLock {
        let path = folder.appendingPathComponent(fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TrainingError("\(folder.path): cannot create the lock file \(fileName) (\(String(cString: strerror(errno))))")
        }
        let previous = Holder(fileText: readAll(fd))
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EWOULDBLOCK || e == EINTR {
                close(fd)
                throw Busy(folder: folder, holder: Holder(fileText: readAllAgain(path)) ?? previous)
            }
            // No flock on this file system: decide from the recorded holder.
            if let h = previous, h.pid != getpid(), h.host != hostName || kill(h.pid, 0) == 0 || errno == EPERM {
                close(fd)
                throw Busy(folder: folder, holder: h)
            }
        }
        let me = Holder(pid: getpid(), host: hostName, command: command, since: ISO8601DateFormatter().string(from: Date()))
        let text = Array(me.fileText.utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        let tookOver = previous.flatMap { $0.pid == getpid() && $0.host == hostName ? nil : $0 }
        return FolderLock(folder: folder, fd: fd, tookOverFrom: tookOver)
    }

    /// Releases the lock (empties the file, so the next holder sees a clean release). Idempotent.
    public func release() {
        mutex.lock(); defer { mutex.unlock() }
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    private static func readAll(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var off: off_t = 0
        while out.count < 65_536 {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off) }
            if n <= 0 { break }
            out += buf[0..<n]; off += off_t(n)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func readAllAgain(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        return readAll(fd)
    }
}
