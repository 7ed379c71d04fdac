import CFuzz
import Foundation
import MedIO

/// Shared pieces of the libFuzzer harnesses: a private scratch folder, file writing, gzip, and the checks
/// a successful read must pass (a violated check traps, which libFuzzer reports as a crash).
public enum FuzzSupport {
    /// A fresh folder for this fuzzer process's files, on tmpfs (`/dev/shm`) when there is one: on a disk
    /// file system, replacing a file thousands of times a second is dominated by ext4's flush-on-replace.
    /// `SEMISEG_FUZZ_TMP` overrides the parent folder. scripts/fuzz.sh removes the folder afterwards.
    public static let scratch: URL = {
        let env = ProcessInfo.processInfo.environment["SEMISEG_FUZZ_TMP"]
        let shm = FileManager.default.isWritableFile(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : nil
        let parent = env.map { URL(fileURLWithPath: $0) } ?? shm ?? FileManager.default.temporaryDirectory
        let dir = parent.appendingPathComponent("semiseg-fuzz-\(getpid())-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// `SEMISEG_FUZZ_VERBOSE=1`: print each input's outcome to stderr (to check the seed corpus reads).
    public static let verbose = ProcessInfo.processInfo.environment["SEMISEG_FUZZ_VERBOSE"] == "1"

    /// Prints `line` to stderr when `verbose`.
    public static func log(_ line: @autoclosure () -> String) {
        if verbose { FileHandle.standardError.write((line() + "\n").data(using: .utf8)!) }
    }

    /// Like `precondition`, but the message survives release builds: printed to stderr, then the process traps
    /// (libFuzzer reports a crash and saves the input).
    public static func check(_ ok: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                             file: StaticString = #fileID, line: UInt = #line) {
        if !ok() {
            FileHandle.standardError.write("fuzz check failed at \(file):\(line): \(message())\n".data(using: .utf8)!)
            fatalError(message(), file: file, line: line)
        }
    }

    /// Writes `bytes` to `url`, replacing it; traps when the scratch folder is unusable (a harness bug).
    public static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) {
        let data = bytes.isEmpty ? Data() : Data(bytes: bytes.baseAddress!, count: bytes.count)
        do { try data.write(to: url) } catch { fatalError("fuzz harness: cannot write \(url.path): \(error)") }
    }

    /// Writes `bytes` gzip-compressed (zlib level 1) to `url`.
    public static func writeGzip(_ bytes: UnsafeRawBufferPointer, to url: URL) {
        guard let gz = gzopen(url.path, "wb1") else { fatalError("fuzz harness: gzopen \(url.path) failed") }
        if !bytes.isEmpty { check(gzwrite(gz, bytes.baseAddress, UInt32(bytes.count)) == Int32(bytes.count), "gzwrite(gz, bytes.baseAddress, UInt32(bytes.count)) == Int32(bytes.count)") }
        check(gzclose(gz) == Z_OK, "gzclose(gz) == Z_OK")
    }

    /// What every successfully read NIfTI must satisfy, plus the work `semiseg inspect` and the preprocessing
    /// do on it: statistics, reorientation to RAS and back (must give back the same voxels and shape).
    public static func exercise(_ v: Volume) {
        check(v.shape.count == 3 || v.shape.count == 4, "shape \(v.shape)")
        check(v.shape.allSatisfy { $0 >= 1 }, "shape \(v.shape)")
        check(v.data.count == v.shape.reduce(1, *), "v.data.count == v.shape.reduce(1, *)")
        check(v.spacing.count == 3 && v.spacing.allSatisfy { $0.isFinite && $0 > 0 }, "spacing \(v.spacing)")
        check(v.affine.count == 4 && v.affine.allSatisfy { $0.count == 4 && $0.allSatisfy(\.isFinite) },
                     "affine \(v.affine)")
        let s = v.statistics
        check(s.min <= s.max || v.data.contains { $0.isNaN }, "s.min <= s.max || v.data.contains { $0.isNaN }")
        _ = v.orientation.codes
        let (ras, original) = v.reorientedToRAS()
        check(Set(original.axes) == [0, 1, 2], "orientation \(original)")
        check(ras.data.count == v.data.count, "ras.data.count == v.data.count")
        let back = ras.restoringOrientation(original)
        check(back.shape == v.shape, "reorientation round trip changed shape \(v.shape) -> \(back.shape)")
        check(zip(back.data, v.data).allSatisfy { $0.bitPattern == $1.bitPattern },
                     "reorientation round trip changed voxel values")
        if v.channels > 1 { _ = v.channel(v.channels - 1) }
    }
}

extension FuzzSupport {
    /// Hands control to libFuzzer (its flags come from the command line) with `callback` as the target;
    /// exits with libFuzzer's status. A harness's `main.swift` calls only this.
    public static func runDriver(_ callback: @escaping @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
    }
}

extension FuzzSupport {
    /// The file-reader harnesses' common step: writes the input to `url`, runs `load`; returns the value, or nil after
    /// an expected error (`expected` gives its text, which must name `url`); any other error traps.
    public static func load<T>(_ start: UnsafeRawPointer?, _ count: Int, as url: URL, _ load: (URL) throws -> T,
                               expected: (Error) -> String?) -> T? {
        write(UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count), to: url)
        do {
            return try load(url)
        } catch {
            guard let text = expected(error) else { fatalError("\(url.lastPathComponent): unexpected error type: \(error)") }
            FuzzSupport.log("error: \(text)")
            check(text.contains(url.path), "error not naming the file: \(text)")
            return nil
        }
    }

    /// A loaded value must survive `save` to a second file and `load` back unchanged.
    public static func roundTrip<T: Equatable>(_ value: T, via url: URL, save: (T, URL) throws -> Void, load: (URL) throws -> T) {
        do {
            try save(value, url)
            let back = try load(url)
            check(back == value, "\(T.self) changed in save + load")
        } catch {
            fatalError("a loaded \(T.self) does not survive save + load: \(error)")
        }
    }
}
