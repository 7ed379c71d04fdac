import Foundation
@testable import MedIO
import Testing

@Suite("Bad NIfTI input: one clear error, nothing written, no crash")
struct NiftiCheckTests {
    /// A valid 4x4x4 uint8 NIfTI-1 file's bytes (header 348 + 4 extension bytes + 64 voxels).
    static func validBytes(in dir: URL) throws -> Data {
        let v = Volume(shape: [4, 4, 4], data: (0..<64).map { Float($0) }, geometry: Geometry(spacing: [1, 1, 1]))
        let path = dir.appendingPathComponent("valid.nii").path
        try Nifti.write(v, to: path, datatype: .uint8)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func gzip(_ data: Data, in dir: URL) throws -> Data {
        let src = dir.appendingPathComponent("raw-\(UUID().uuidString)")
        try data.write(to: src)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-n", "-f", src.path]
        try p.run()
        p.waitUntilExit()
        return try Data(contentsOf: URL(fileURLWithPath: src.path + ".gz"))
    }

    static func patch(_ d: Data, at offset: Int, _ bytes: [UInt8]) -> Data {
        var d = d
        for (k, b) in bytes.enumerated() { d[offset + k] = b }
        return d
    }

    static func le16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// (file name, bytes, expected words in the problem).
    static func cases(_ dir: URL) throws -> [(String, Data, String)] {
        let ok = try validBytes(in: dir)
        let gz = try gzip(ok, in: dir)
        var corrupt = gz
        for i in 12..<min(30, corrupt.count - 8) { corrupt[i] ^= 0x5a }
        let voxOffsetPast = withUnsafeBytes(of: Float(100_000).bitPattern.littleEndian) { Array($0) }
        return [
            ("empty.nii", Data(), "empty file"),
            ("truncated.nii", ok.prefix(200), "truncated header"),
            ("wrongmagic.nii", patch(ok, at: 344, Array("abc\0".utf8)), "wrong magic"),
            ("notnifti.nii", Data(repeating: 7, count: 400), "not a NIfTI file"),
            ("voxoffset.nii", patch(ok, at: 108, voxOffsetPast), "past end of file"),
            ("bigdims.nii", patch(ok, at: 42, le16(40)), "larger than the data"),
            ("ndim0.nii", patch(ok, at: 40, le16(0)), "ndim 0 out of range"),
            ("ndim9.nii", patch(ok, at: 40, le16(9)), "ndim 9 out of range"),
            ("negdim.nii", patch(ok, at: 44, le16(-2)), "dimension 2 is -2"),
            ("baddtype.nii", patch(ok, at: 70, le16(32)), "unsupported datatype"),
            ("notgzip.nii.gz", ok, "not a gzip file"),
            ("corrupt.nii.gz", corrupt, "gzip stream"),
            ("truncgz.nii.gz", gz.prefix(gz.count / 2), "gzip stream"),
            ("gzipnamed.nii", gz, "gzip-compressed data"),
        ]
    }

    @Test func everyBadInputThrowsOneClearError() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, bytes, words) in try Self.cases(dir) {
            let path = dir.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            do {
                _ = try Nifti.read(path)
                Issue.record("\(name): read succeeded")
            } catch let e as MedIOError {
                #expect(e.file == path)
                #expect(e.problem.contains(words), "\(name): \(e.problem)")
                #expect(!e.problem.contains("\n"))
            }
        }
    }

    @Test func missingFileAndDirectory() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: MedIOError(dir.path + "/nope.nii", "no such file")) { try Nifti.read(dir.path + "/nope.nii") }
        #expect(throws: MedIOError.self) { try Nifti.read(dir.path) }
    }

    @Test func badOutputNameWritesNothing() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = Volume(zeros: [2, 2, 2], geometry: Geometry(spacing: [1, 1, 1]))
        #expect(throws: MedIOError.self) { try Nifti.write(v, to: dir.path + "/x.png", datatype: .uint8) }
        #expect(throws: MedIOError.self) { try Nifti.write(v, to: dir.path + "/missing/x.nii", datatype: .uint8) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
