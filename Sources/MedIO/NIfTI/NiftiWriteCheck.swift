import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks a NIfTI file libnifti just wrote: `nifti_image_write` returns nothing and, on a full disk, leaves a file
/// cut short that would otherwise be renamed into place as a result.
enum NiftiWriteCheck {
    /// Why the file at `tmp` is not a complete write of `expectedBytes` (uncompressed: header + voxels), or nil.
    /// - `errno`: the C library's errno right after the write (ENOSPC / EDQUOT: "no space left on device").
    /// - `.nii`: the file size must be `expectedBytes`; `.nii.gz`: the gzip trailer's ISIZE (uncompressed length mod
    ///   2^32, its last 4 bytes) must match, which a cut-off stream does not.
    static func problem(_ tmp: String, gzip: Bool, expectedBytes: Int, errno code: Int32) -> String? {
        var st = stat()
        guard stat(tmp, &st) == 0 else {
            return code == ENOSPC || code == EDQUOT ? "no space left on device" : "could not write the file (is the folder writable?)"
        }
        let size = Int(st.st_size)
        let complete: Bool
        if gzip {
            complete = size >= 18 && trailerSize(tmp, fileSize: size) == UInt32(truncatingIfNeeded: expectedBytes)
        } else {
            complete = size == expectedBytes
        }
        if complete { return nil }
        if code == ENOSPC || code == EDQUOT { return "no space left on device" }
        return freeBytes(near: tmp).map { $0 < 1 << 20 } == true
            ? "no space left on device"
            : "could not write the file completely (\(size) bytes written; is the disk full or the folder writable?)"
    }

    /// The gzip trailer's ISIZE field (little-endian, the file's last 4 bytes), nil when unreadable.
    static func trailerSize(_ path: String, fileSize: Int) -> UInt32? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var b = [UInt8](repeating: 0, count: 4)
        guard pread(fd, &b, 4, off_t(fileSize - 4)) == 4 else { return nil }
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    /// Free bytes for an unprivileged user on the file system holding `path`, nil when unknown.
    static func freeBytes(near path: String) -> Int? {
        var s = statvfs()
        let dir = (path as NSString).deletingLastPathComponent
        guard statvfs(dir.isEmpty ? "." : dir, &s) == 0 else { return nil }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }
}
