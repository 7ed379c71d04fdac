import Foundation
@testable import MedIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A NIfTI write onto a full file system (a small tmpfs): libnifti reports nothing and leaves a file cut short, so the
/// writer checks what it wrote. The error names the file and says "no space left on device"; nothing is left behind.
@Suite("NIfTI writer on a full disk")
struct NiftiFullDiskTests {
    /// Root can mount a tmpfs here (CI runs as root); elsewhere the test is skipped, saying why.
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("nifti-mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: d) }
        guard run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d.path]) == 0 else { return false }
        _ = run(["umount", d.path])
        return true
    }()

    static func run(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test(.enabled(if: NiftiFullDiskTests.canMount, "needs root to mount a tmpfs"), arguments: [(".nii", 1), (".nii.gz", 1), (".nii", 2), (".nii.gz", 2)])
    func aFullDiskIsNamedAndLeavesNoFile(_ ext: String, _ version: Int) throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("nifti-full-\(getpid())-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        #expect(Self.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path]) == 0)
        defer { _ = Self.run(["umount", dir.path]) }
        // 64x64x32 float32 = 512 KiB of noise (gzip cannot shrink it below the 64 KiB the tmpfs holds).
        var rng = SystemRandomNumberGenerator()
        let values = (0..<(64 * 64 * 32)).map { _ in Float.random(in: -1000...1000, using: &rng) }
        let volume = Volume(shape: [64, 64, 32], data: values, geometry: Geometry(spacing: [1, 1, 2]))
        let path = dir.appendingPathComponent("pred\(ext)").path
        do {
            try Nifti.write(volume, to: path, version: version)
            Issue.record("a 512 KiB image was written to a 64 KiB file system")
        } catch let e as MedIOError {
            #expect("\(e)".contains(path) && "\(e)".contains("no space left on device"), "\(e)")
        }
        let left = try fm.contentsOfDirectory(atPath: dir.path)
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
