import Foundation
import Testing

/// End-to-end `semiseg compare` on tiny 2D phantoms: outputs and their shape, resuming after an interruption,
/// and bad input that must write nothing.
@Suite("compare CLI", .serialized)
struct CompareCLITests {
    let fm = FileManager.default

    func synth(_ dir: URL) throws -> String { try CLI.synth2D(dir, cases: 10, testCases: 3, seed: 5) }

    func tinyArgs(epochs: Int = 2) -> [String] {
        ["--model", "unet2d", "--base", "4", "--depth", "2", "--epochs", String(epochs), "--iterations", "2",
         "--batch-size", "2", "--labeled", "3", "--validation", "2", "--augmentation", "none"]
    }
    var tiny: [String] { tinyArgs() }

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The JSON with every timing field removed (they differ between runs by nature).
    func withoutTiming(_ v: Any) -> Any {
        if let d = v as? [String: Any] {
            return d.filter { !["train_seconds", "train_seconds_std"].contains($0.key) }.mapValues(withoutTiming)
        }
        if let a = v as? [Any] { return a.map(withoutTiming) }
        return v
    }

    @Test func compareWritesSummaryAndResumesOnlyMissingCells() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let run = dir.appendingPathComponent("cmp").path
        let args = ["compare", "--data", data, "--strategies", "supervised,uda", "--seeds", "0", "--out", run] + tiny
        let first = try CLI.run(args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("warning: one seed: training variance"), "\(first.stderr)")
        #expect(first.stdout.contains("[1/2] supervised seed 0: test Dice"), "\(first.stdout)")
        #expect(first.stdout.contains("[2/2] uda seed 0: test Dice"), "\(first.stdout)")
        for f in ["compare.json", "split.json", "summary.json", "summary.csv", "report.md", "cells/supervised-seed0/summary.json",
                  "cells/uda-seed0/summary.json", "cells/uda-seed0/metrics.csv", "cells/uda-seed0/log.txt",
                  "cells/uda-seed0/predictions/spleen_10.nii.gz"] {
            #expect(fm.fileExists(atPath: run + "/" + f), "missing \(f)")
        }
        // Every cell trained on the comparison's one split.
        let split = try json(run + "/split.json") as NSDictionary
        for c in ["supervised-seed0", "uda-seed0"] { #expect(try json(run + "/cells/\(c)/split.json") as NSDictionary == split) }

        // docs/ARCHITECTURE.md §7 shape.
        let summary = try json(run + "/summary.json")
        #expect((summary["split"] as? [String: Any])?["test"] as? [String] == ["spleen_10.nii.gz", "spleen_11.nii.gz", "spleen_12.nii.gz"])
        let sup = try #require((summary["strategies"] as? [String: Any])?["supervised"] as? [String: Any])
        let perSeed = try #require(sup["per_seed"] as? [[String: Any]])
        #expect(perSeed.count == 1 && perSeed[0]["seed"] as? Int == 0)
        #expect(((perSeed[0]["mean"] as? [String: Any])?["1"] as? [String: Any])?["dice"] is Double)
        #expect((perSeed[0]["foreground_mean"] as? [String: Any])?["dice"] is Double)
        #expect((((sup["mean"] as? [String: Any])?["1"] as? [String: Any])?["dice"] as? [String: Any])?["mean"] is Double)
        #expect(((sup["foreground_mean"] as? [String: Any])?["dice"] as? [String: Any])?.keys.contains("std") == true)
        #expect(sup["train_seconds"] is Double)
        let uda = try #require((summary["strategies"] as? [String: Any])?["uda"] as? [String: Any])
        let vs = try #require(((uda["vs_supervised"] as? [String: Any])?["1"] as? [String: Any])?["dice"] as? [String: Any])
        #expect(vs["n"] as? Int == 3 && vs.keys.contains("p_value") && vs.keys.contains("diff"))
        let csv = try String(contentsOfFile: run + "/summary.csv", encoding: .utf8)
        #expect(csv.hasPrefix("strategy,class,metric,mean,std,diff_vs_supervised,p_value,n,seed_std_diff,boot_ci_low,boot_ci_high,boot_p_value,t_ci_low,t_ci_high,t_p_value,t_df\n"))
        #expect(csv.contains("\nuda,1,dice,"))
        let report = try String(contentsOfFile: run + "/report.md", encoding: .utf8)
        #expect(report.contains("| supervised |") && report.contains("Which test is which"))
        // One seed: the warning, and no bold verdict.
        #expect(report.contains("one seed: training variance") && !report.contains("**0.") && !report.contains("**<"))

        // Interrupted study: one cell lost its summary; a re-run finishes only that cell and gives the same summary.
        try fm.removeItem(atPath: run + "/cells/uda-seed0/summary.json")
        let second = try CLI.run(args)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("[1/2] supervised seed 0: skipped (finished)"), "\(second.stdout)")
        #expect(second.stdout.contains("[2/2] uda seed 0: test Dice"), "\(second.stdout)")
        let again = try json(run + "/summary.json")
        #expect((withoutTiming(again) as? NSDictionary) == (withoutTiming(summary) as? NSDictionary))

        // Everything finished: all skipped, same summary.
        let third = try CLI.run(args)
        #expect(third.status == 0 && third.stdout.contains("[2/2] uda seed 0: skipped (finished)"), "\(third.stdout)")

        // The same folder with other settings is refused and left alone.
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/compare.json"))
        let other = try CLI.run(["compare", "--data", data, "--strategies", "supervised,uda", "--seeds", "0", "--out", run] + tinyArgs(epochs: 3))
        #expect(other.status == 1 && other.stderr.contains("holds a comparison with other shared settings (epochs: 2 -> 3)"), "\(other.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/compare.json")) == before)
    }

    @Test func badInputWritesNothing() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let run = dir.appendingPathComponent("cmp").path
        let unknown = try CLI.run(["compare", "--data", data, "--strategies", "supervised,no-such", "--out", run] + tiny)
        #expect(unknown.status == 1 && unknown.stderr.contains("error: --strategies: unknown strategy 'no-such'"), "\(unknown.stderr)")
        let seeds = try CLI.run(["compare", "--data", data, "--strategies", "supervised", "--seeds", "0,x", "--out", run] + tiny)
        #expect(seeds.status == 1 && seeds.stderr.contains("error: --seeds must be comma-separated"), "\(seeds.stderr)")
        let opt = try CLI.run(["compare", "--data", data, "--strategies", "supervised,uda", "--opt", "uda:nonsense=1", "--out", run] + tiny)
        #expect(opt.status == 1 && opt.stderr.contains("error: ") && opt.stderr.contains("nonsense"), "\(opt.stderr)")
        try fm.removeItem(atPath: data + "/labelsTr/spleen_1.nii.gz")
        let broken = try CLI.run(["compare", "--data", data, "--strategies", "supervised", "--out", run] + tiny)
        #expect(broken.status == 1 && broken.stderr.contains("error: ") && broken.stderr.contains("spleen_1.nii.gz"), "\(broken.stderr)")
        #expect(!fm.fileExists(atPath: run), "nothing may be written under --out")
    }
}
