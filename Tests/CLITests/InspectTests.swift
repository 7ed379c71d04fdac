import Foundation
import Testing

@Suite("semiseg inspect")
struct InspectTests {
    static let fixtures = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/nibabel")

    @Test(arguments: ["anatomical.nii", "example4d.nii.gz", "example_nifti2.nii.gz", "standard.nii.gz", "scaled_int16.nii"])
    func jsonMatchesNibabel(_ name: String) throws {
        guard let data = FileManager.default.contents(atPath: Self.fixtures.appendingPathComponent("expected.json").path),
              let all = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]], let e = all[name] else {
            Issue.record("missing fixtures: run scripts/test-fixtures.sh"); return
        }
        let r = try CLI.run(["inspect", Self.fixtures.appendingPathComponent(name).path, "--json"])
        #expect(r.status == 0 && r.stderr.isEmpty)
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(j.keys.sorted() == ["affine", "datatype", "inf_count", "max", "mean", "min", "nan_count", "shape", "spacing"])
        #expect(j["nan_count"] as? Int == 0 && j["inf_count"] as? Int == 0)
        #expect(j["shape"] as? [Int] == e["shape"] as? [Int])
        #expect(j["datatype"] as? String == e["datatype"] as? String)
        for key in ["min", "max", "mean"] {
            let a = (j[key] as? NSNumber)?.doubleValue ?? .nan, b = (e[key] as? NSNumber)?.doubleValue ?? .nan
            #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(name) \(key) \(a) vs \(b)")
        }
        let aff = (j["affine"] as? [[NSNumber]] ?? []).flatMap { $0.map(\.doubleValue) }
        let eAff = (e["affine"] as? [[NSNumber]] ?? []).flatMap { $0.map(\.doubleValue) }
        #expect(aff.count == 16 && zip(aff, eAff).allSatisfy { abs($0 - $1) < 1e-4 })
        let sp = (j["spacing"] as? [NSNumber] ?? []).map(\.doubleValue)
        #expect(zip(sp, (e["spacing"] as? [NSNumber] ?? []).map(\.doubleValue)).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func badInputIsOneErrorLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, Data)] = [("empty.nii", Data()), ("bad.nii.gz", Data("hello, not gzip".utf8)),
                                       ("junk.nii", Data(repeating: 1, count: 400))]
        for (name, bytes) in cases {
            let path = dir.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(["inspect", path, "--json"])
            #expect(r.status == 1)
            #expect(r.stdout.isEmpty)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("error: \(path): "), "\(r.stderr)")
        }
        let r = try CLI.run(["inspect", dir.path + "/missing.nii"])
        #expect(r.status == 1 && r.stderr == "error: \(dir.path)/missing.nii: no such file\n")
    }

    static func shell(_ args: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return d
    }

    /// Every malformed-file class from the issue, through the real binary: exit 1, exactly one
    /// `error: <file>: <problem>` line, nothing on stdout, no file written.
    @Test func everyBadFileClass() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ds = dir.appendingPathComponent("ds").path
        #expect(try CLI.run(["synth", "--out", ds, "--cases", "1", "--test-cases", "0", "--dims", "2"]).status == 0)
        let ok = try Self.shell(["gzip", "-dc", ds + "/labelsTr/spleen_0.nii.gz"])
        #expect(ok.count == 352 + 128 * 128)
        func patch(_ o: Int, _ b: [UInt8]) -> Data { var d = ok; for (k, x) in b.enumerated() { d[o + k] = x }; return d }
        let gz = try Data(contentsOf: URL(fileURLWithPath: ds + "/labelsTr/spleen_0.nii.gz"))
        var corrupt = gz
        for i in 20..<60 { corrupt[i] ^= 0xA5 }
        let bad = dir.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        let cases: [(String, Data, String)] = [
            ("empty.nii", Data(), "empty file"),
            ("truncated.nii", ok.prefix(100), "truncated header"),
            ("truncdata.nii", ok.prefix(5000), "larger than the data"),
            ("magic.nii", patch(344, Array("XYZ\0".utf8)), "wrong magic"),
            ("voxoffset.nii", patch(108, [0, 0, 0x7a, 0x47]), "past end of file"),   // 64000.0f
            ("dims.nii", patch(42, [0, 2]), "larger than the data"),                  // nx = 512
            ("ndim.nii", patch(40, [8, 0]), "out of range"),
            ("notgzip.nii.gz", ok, "not a gzip file"),
            ("corrupt.nii.gz", corrupt, "gzip stream"),
            ("truncgz.nii.gz", gz.prefix(gz.count / 2), "gzip stream"),
        ]
        for (name, bytes, words) in cases {
            let path = bad.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(["inspect", path, "--json"])
            #expect(r.status == 1, "\(name)")
            #expect(r.stdout.isEmpty, "\(name)")
            #expect(r.stderr.hasPrefix("error: \(path): ") && r.stderr.contains(words), "\(name): \(r.stderr)")
            #expect(r.stderr.filter { $0 == "\n" }.count == 1, "\(name): \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: bad.path).count == cases.count)
    }
}
