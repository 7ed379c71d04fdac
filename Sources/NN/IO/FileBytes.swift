import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole small file (checkpoint, config, split, settings) with POSIX calls.
///
/// Only regular files are read (a FIFO, `/dev/zero` or a folder would block or never end), up to `maxBytes`.
/// Foundation's `Data(contentsOf:)` is not used: on Linux it leaks its 4 KiB read buffer for an empty file
/// (LeakSanitizer, found by fuzzing the config reader: Fuzz/regressions/config/).
public enum FileBytes {
    /// Why a read failed, one sentence (no file name: callers put it in their own error).
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// The bytes of `url`. - Throws: `Failure` ("no such file", "not a regular file", "N bytes, more than M", ...).
    public static func read(_ url: URL, maxBytes: Int = 1 << 34) throws -> Data {
        let path = url.path
        var st = stat()
        guard stat(path, &st) == 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw Failure(reason: "not a regular file") }
        guard st.st_size <= maxBytes else { throw Failure(reason: "\(st.st_size) bytes, more than the \(maxBytes) accepted") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var got = 0
        while got < bytes.count {
            let r = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(got)) }
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { throw Failure(reason: "short read at byte \(got) of \(bytes.count)") }
            got += r
        }
        return Data(bytes)
    }
}
