import Foundation
import Training
#if canImport(Glibc)
import Glibc
#endif

/// Checks made before any training step: the run folder is writable and its file system has room for what the run
/// will write. Hours of training must not end in "no space left on device".
public enum Preflight {
    /// Free bytes available to this user on the file system holding `url` (`statvfs`: `f_bavail x f_frsize`), nil
    /// when unknown.
    public static func freeBytes(_ url: URL) -> Int64? {
        var s = statvfs()
        guard statvfs(url.path, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    /// Byte estimate of what a run writes.
    public struct Estimate: Sendable, Equatable {
        /// Bytes of one checkpoint file (model, optimizer and strategy tensors, 4 bytes per value, plus metadata).
        public var checkpointBytes: Int64
        /// Checkpoint files kept at once (`last`, its `--keep-checkpoints` older copies, `best`) plus one temporary copy
        /// while a checkpoint is replaced.
        public var checkpointFiles: Int
        /// Predictions and uncertainty maps of the test cases (an upper-bound estimate, see `predictionBytes`).
        public var predictionBytes: Int64
        /// JSON, CSV and log files.
        public var smallFiles: Int64 = 1 << 20

        /// Total bytes the run needs.
        public var total: Int64 { checkpointBytes * Int64(checkpointFiles) + predictionBytes + smallFiles }
    }

    /// Upper-bound estimate of the prediction files: for each test image, 3x its file size (a uint8 label map is at most
    /// as large as the image; one float32 uncertainty map at most twice an int16 image, compression aside).
    public static func predictionBytes(testImages: [String]) -> Int64 {
        testImages.reduce(0) { sum, path in
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            return sum + Int64(size) * 3
        }
    }

    /// Throws unless `folder` (which must exist) accepts a file: creates and removes a probe through the atomic writer.
    /// - Throws: `TrainingError` "`<folder>`: output folder is not writable (`<probe>`: cannot write (`<reason>`))".
    public static func checkWritable(_ folder: URL) throws {
        let probe = folder.appendingPathComponent(".semiseg-write-test")
        do {
            try AtomicFile.write(Data("ok".utf8), to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw TrainingError("\(folder.path): output folder is not writable (\(error))")
        }
    }

    /// Throws when the file system of `folder` has less free space than `estimate.total - alreadyWritten` (bytes that
    /// files of an earlier, resumed invocation already occupy and that will be replaced, not added).
    /// - Throws: `TrainingError` "`<folder>`: not enough free disk space: the run needs about X MB (...), Y MB free".
    /// - Parameter freeBytes: the free-space query (tests inject a full disk here).
    public static func checkSpace(_ folder: URL, estimate: Estimate, alreadyWritten: Int64 = 0,
                                  freeBytes: (URL) -> Int64? = Preflight.freeBytes) throws {
        guard let free = freeBytes(folder) else { return }
        let need = max(0, estimate.total - alreadyWritten)
        if free < need {
            throw TrainingError(String(format: "%@: not enough free disk space: the run needs about %@ (%d checkpoint files x %@, predictions %@), %@ free",
                                       folder.path, mb(need), estimate.checkpointFiles, mb(estimate.checkpointBytes),
                                       mb(estimate.predictionBytes), mb(free)))
        }
    }

    /// Bytes of the regular files under `folder` (recursive), 0 when it does not exist.
    public static func bytesUsed(under folder: URL) -> Int64 {
        guard let e = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else { return 0 }
        var n: Int64 = 0
        for case let u as URL in e {
            if let v = try? u.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), v.isRegularFile == true { n += Int64(v.fileSize ?? 0) }
        }
        return n
    }

    static func mb(_ b: Int64) -> String { String(format: "%.1f MB", Double(b) / 1_048_576) }
}
