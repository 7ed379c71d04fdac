import Foundation
import Testing

@Suite("semiseg ensemble", .serialized)
struct EnsembleCLITests {
    /// A tiny 2D dataset and two one-step runs (seeds 0 and 1) in `dir`.
    func setUp(_ dir: URL) throws -> (data: String, runs: [String]) {
        let data = dir.appendingPathComponent("ds").path
        let s = try CLI.run(["synth", "--out", data, "--cases", "5", "--test-cases", "2", "--seed", "3", "--dims", "2"])
        #expect(s.status == 0, "\(s.stderr)")
        var runs: [String] = []
        for seed in ["0", "1"] {
            let out = dir.appendingPathComponent("run\(seed)").path
            let r = try CLI.run(["train", "--data", data, "--out", out, "--model", "unet2d", "--base", "4", "--depth", "2", "--labeled", "2",
                                 "--validation", "1", "--epochs", "1", "--iterations", "1", "--batch-size", "2", "--seed", seed, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            runs.append(out)
        }
        return (data, runs)
    }

    @Test func combinesRunsPerCaseAndChecksPreprocessing() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (data, runs) = try setUp(dir)
        let fm = FileManager.default
        let cases = try fm.contentsOfDirectory(atPath: data + "/imagesTs").filter { $0.hasSuffix(".nii.gz") }.sorted()
        #expect(cases.count == 2)
        for mode in ["mean", "vote", "dice-weighted"] {
            let out = dir.appendingPathComponent("ens-\(mode)").path
            let r = try CLI.run(["ensemble", "--runs", runs.joined(separator: ","), "--mode", mode, "--input", data + "/imagesTs", "--out", out, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            for c in cases {
                let id = String(c.dropLast(".nii.gz".count))
                let i = try CLI.run(["inspect", out + "/\(id).nii.gz", "--json"])
                let j = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any]
                #expect(j?["datatype"] as? String == "uint8" && j?["shape"] as? [Int] == [128, 128, 1])
                #expect(fm.fileExists(atPath: out + "/\(id)_disagreement.nii.gz"))
            }
        }
        // Member order does not matter for the mean (and the MSD root folder is accepted as input).
        let ab = dir.appendingPathComponent("ab").path, ba = dir.appendingPathComponent("ba").path
        #expect(try CLI.run(["ensemble", "--runs", runs.joined(separator: ","), "--input", data, "--out", ab, "--quiet"]).status == 0)
        #expect(try CLI.run(["ensemble", "--runs", runs.reversed().joined(separator: ","), "--input", data, "--out", ba, "--quiet"]).status == 0)
        for c in cases {
            let x = try CLI.run(["inspect", ab + "/" + c, "--json"]).stdout, y = try CLI.run(["inspect", ba + "/" + c, "--json"]).stdout
            #expect(!x.isEmpty && x == y)
        }

        // A run on another grid is refused with one clear line.
        let odd = dir.appendingPathComponent("odd")
        try fm.copyItem(atPath: runs[1], toPath: odd.path)
        let prepURL = odd.appendingPathComponent("preprocessing.json")
        var prep = try JSONSerialization.jsonObject(with: Data(contentsOf: prepURL)) as? [String: Any] ?? [:]
        prep["resize"] = [1, 64, 64]
        try JSONSerialization.data(withJSONObject: prep).write(to: prepURL)
        let bad = try CLI.run(["ensemble", "--runs", runs[0] + "," + odd.path, "--input", data, "--out", dir.appendingPathComponent("bad").path])
        #expect(bad.status == 1 && bad.stderr.hasPrefix("error: \(odd.path): preprocessing differs") && bad.stderr.split(separator: "\n").count == 1,
                "\(bad.stderr)")
        let mode = try CLI.run(["ensemble", "--runs", runs[0], "--mode", "median", "--input", data, "--out", dir.appendingPathComponent("m").path])
        #expect(mode.status == 1 && mode.stderr.hasPrefix("error: --mode"))
    }
}
