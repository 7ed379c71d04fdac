import Foundation
import Testing

/// End-to-end: synth -> train -> predict -> evaluate on tiny 2D phantoms, and bad input that must write nothing.
@Suite("train / predict / evaluate CLI", .serialized)
struct TrainCLITests {
    let fm = FileManager.default

    func synth(_ dir: URL, cases: Int = 10) throws -> String { try CLI.synth2D(dir, cases: cases, testCases: 2, seed: 3) }

    let tiny = ["--model", "unet2d", "--base", "4", "--depth", "2", "--epochs", "2", "--iterations", "3",
                "--batch-size", "2", "--labeled", "4", "--validation", "2", "--augmentation", "none", "--quiet"]

    @Test func trainPredictEvaluateRoundTrip() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let run = dir.appendingPathComponent("run").path
        let t = try CLI.run(["train", "--data", data, "--out", run] + tiny)
        #expect(t.status == 0, "\(t.stderr)")
        for f in ["config.json", "split.json", "preprocessing.json", "metrics.csv", "summary.json", "checkpoints/last.safetensors",
                  "checkpoints/best.safetensors", "predictions/spleen_10.nii.gz", "predictions/spleen_11.nii.gz"] {
            #expect(fm.fileExists(atPath: run + "/" + f), "missing \(f)")
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as? [String: Any]
        let test = summary?["test"] as? [String: Any]
        let trainDice = ((test?["mean"] as? [String: Any])?["1"] as? [String: Any])?["dice"] as? Double

        let pred = dir.appendingPathComponent("pred").path, png = dir.appendingPathComponent("png").path
        let p = try CLI.run(["predict", "--run", run, "--input", data, "--out", pred, "--png", png])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(fm.fileExists(atPath: pred + "/spleen_10.nii.gz") && fm.fileExists(atPath: pred + "/uncertainty/spleen_10_entropy.nii.gz"))
        #expect(fm.fileExists(atPath: png + "/spleen_11.png"))
        // The prediction overlays the input exactly: same shape and affine.
        let a = try CLI.run(["inspect", pred + "/spleen_10.nii.gz", "--json"]), b = try CLI.run(["inspect", data + "/imagesTs/spleen_10.nii.gz", "--json"])
        let ja = try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any]
        let jb = try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any]
        #expect(ja?["datatype"] as? String == "uint8")
        #expect((ja?["shape"] as? [Int]) == (jb?["shape"] as? [Int]))
        #expect((ja?["affine"] as? [[Double]]) == (jb?["affine"] as? [[Double]]))

        let out = dir.appendingPathComponent("eval.json").path
        let e = try CLI.run(["evaluate", "--pred", pred, "--gt", data, "--out", out])
        #expect(e.status == 0, "\(e.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        let cases = report?["cases"] as? [[String: Any]]
        #expect(cases?.map { $0["case"] as? String } == ["spleen_10.nii.gz", "spleen_11.nii.gz"])
        let evalDice = ((report?["mean"] as? [String: Any])?["1"] as? [String: Any])?["dice"] as? Double
        // One metric implementation: evaluate on predict's output equals the run's own test evaluation.
        if let trainDice, let evalDice { #expect(abs(trainDice - evalDice) < 1e-9) } else { Issue.record("missing dice values") }
    }

    @Test func brokenDatasetIsRejectedWithEveryProblemAndNothingWritten() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        // Three different problems: a missing label, a truncated image, a label map of another shape.
        try fm.removeItem(atPath: data + "/labelsTr/spleen_1.nii.gz")
        let img = try Data(contentsOf: URL(fileURLWithPath: data + "/imagesTr/spleen_2.nii.gz"))
        try img.prefix(40).write(to: URL(fileURLWithPath: data + "/imagesTr/spleen_2.nii.gz"))
        try fm.removeItem(atPath: data + "/labelsTr/spleen_3.nii.gz")
        try fm.copyItem(atPath: data + "/labelsTs/spleen_10.nii.gz", toPath: data + "/labelsTr/spleen_3.nii.gz")
        let other = try CLI.run(["synth", "--out", dir.appendingPathComponent("other").path, "--cases", "1", "--test-cases", "2", "--dims", "3", "--seed", "1"])
        #expect(other.status == 0)
        try fm.removeItem(atPath: data + "/labelsTr/spleen_4.nii.gz")
        try fm.copyItem(atPath: dir.appendingPathComponent("other/labelsTr/spleen_0.nii.gz").path, toPath: data + "/labelsTr/spleen_4.nii.gz")

        let run = dir.appendingPathComponent("run").path
        let r = try CLI.run(["train", "--data", data, "--out", run] + tiny)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(lines.contains { $0.contains("labelsTr/spleen_1.nii.gz") }, "\(r.stderr)")
        #expect(lines.contains { $0.contains("spleen_2.nii.gz") }, "\(r.stderr)")
        #expect(lines.contains { $0.contains("spleen_4.nii.gz") }, "\(r.stderr)")
        #expect(!fm.fileExists(atPath: run), "nothing may be written under --out")
    }

    @Test func badOptionsFailBeforeWriting() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir, cases: 8)
        let run = dir.appendingPathComponent("run").path
        let bad = try CLI.run(["train", "--data", data, "--out", run, "--opt", "bogus=1"] + tiny)
        #expect(bad.status != 0 && bad.stderr.contains("unknown option 'bogus'"), "\(bad.stderr)")
        let badStrategy = try CLI.run(["train", "--data", data, "--out", run, "--strategy", "nope"] + tiny)
        #expect(badStrategy.status != 0 && badStrategy.stderr.contains("unknown strategy 'nope'"))
        let badPatch = try CLI.run(["train", "--data", data, "--out", run, "--patch", "1,30,30"] + tiny)
        #expect(badPatch.status != 0 && badPatch.stderr.contains("divisible"), "\(badPatch.stderr)")
        let badGuard = try CLI.run(["train", "--data", data, "--out", run, "--non-finite", "ignore"] + tiny)
        #expect(badGuard.status != 0 && badGuard.stderr.contains("nonFinite must be stop or skip"), "\(badGuard.stderr)")
        #expect(!fm.fileExists(atPath: run))
        let s = try CLI.run(["strategies"])
        #expect(s.stdout.contains("supervised"))
        for name in ["fixmatch", "cps", "ua-mt", "bcp"] {
            #expect(s.stdout.split(separator: "\n").contains { $0.hasPrefix(name + " ") }, "strategies lists \(name)")
        }
    }

    @Test func benchRejectsBadOptionsWithOneErrorLine() throws {
        let net = try CLI.run(["bench", "--net", "bogus"])
        #expect(net.status == 1 && net.stderr.hasPrefix("error: bench: unknown network 'bogus'"), "\(net.stderr)")
        let conv = try CLI.run(["bench", "--net", "unet2d-s16", "--conv", "fft"])
        #expect(conv.status == 1 && conv.stderr.hasPrefix("error: bench: --conv must be"), "\(conv.stderr)")
    }
}
