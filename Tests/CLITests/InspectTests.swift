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
        #expect(j.keys.sorted() == ["affine", "datatype", "max", "mean", "min", "shape", "spacing"])
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
}
