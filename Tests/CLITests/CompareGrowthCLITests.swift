import Foundation
import Testing

/// A finished comparison grows: new seeds and strategies with the same shared settings join the folder and only the
/// new cells train (old cells byte-identical); other shared settings are refused with a `key: old -> new` list.
@Suite("compare CLI: growing a comparison", .serialized)
struct CompareGrowthCLITests {
    let fm = FileManager.default

    let tiny = ["--model", "unet2d", "--base", "4", "--depth", "2", "--epochs", "2", "--iterations", "2",
                "--batch-size", "2", "--labeled", "3", "--validation", "2", "--augmentation", "none"]

    /// Every file of the cell folder with its bytes (log.txt and hidden files aside).
    func snapshot(_ cell: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = try #require(fm.enumerator(atPath: cell))
        for case let rel as String in e where !rel.hasSuffix("log.txt") && !rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: cell + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try Data(contentsOf: URL(fileURLWithPath: cell + "/" + rel))
            }
        }
        return out
    }

    @Test func seedsAndStrategiesJoinAndOnlyNewCellsTrain() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try CLI.synth2D(dir, cases: 10, testCases: 3, seed: 5)
        let run = dir.appendingPathComponent("cmp").path
        func compare(_ strategies: String, _ seeds: String, _ extra: [String] = []) throws -> CLI.Result {
            try CLI.run(["compare", "--data", data, "--strategies", strategies, "--seeds", seeds, "--out", run] + tiny + extra)
        }
        let first = try compare("supervised,uda", "0")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("comparing 2 strategies x 1 seed on"), "\(first.stdout)")
        let old = try ["supervised-seed0", "uda-seed0"].map { try snapshot(run + "/cells/" + $0) }
        #expect(old.allSatisfy { $0["summary.json"] != nil && $0["checkpoints/last.safetensors"] != nil })

        // 1 -> 2 seeds: only the seed-1 cells train.
        let seeds = try compare("supervised,uda", "0,1")
        #expect(seeds.status == 0, "\(seeds.stderr)")
        #expect(seeds.stdout.contains("growing \(run) from 2 strategies x 1 seed to 2 strategies x 2 seeds"), "\(seeds.stdout)")
        for line in ["[1/4] supervised seed 0: skipped (finished)", "[2/4] uda seed 0: skipped (finished)",
                     "[3/4] supervised seed 1: test Dice", "[4/4] uda seed 1: test Dice"] {
            #expect(seeds.stdout.contains(line), "\(seeds.stdout)")
        }
        #expect(seeds.stdout.contains("(2 cells run, 2 skipped, 0 failed)"), "\(seeds.stdout)")

        // 2 -> 3 strategies (given in another order, with only the new seed list's first seed): 2 new cells.
        let strategies = try compare("pseudo-label,supervised,uda", "1,0")
        #expect(strategies.status == 0, "\(strategies.stderr)")
        #expect(strategies.stdout.contains("to 3 strategies x 2 seeds"), "\(strategies.stdout)")
        #expect(strategies.stdout.contains("(2 cells run, 4 skipped, 0 failed)"), "\(strategies.stdout)")
        #expect(strategies.stdout.contains("[3/6] pseudo-label seed 0: test Dice") && strategies.stdout.contains("[6/6] pseudo-label seed 1: test Dice"),
                "\(strategies.stdout)")
        // The old cells are untouched, byte for byte.
        for (name, snap) in zip(["supervised-seed0", "uda-seed0"], old) { #expect(try snapshot(run + "/cells/" + name) == snap, "\(name) changed") }
        let settings = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/compare.json"))) as? [String: Any])
        #expect(settings["strategies"] as? [String] == ["supervised", "uda", "pseudo-label"])
        #expect(settings["seeds"] as? [Int] == [0, 1])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as? [String: Any])
        let pl = try #require((summary["strategies"] as? [String: Any])?["pseudo-label"] as? [String: Any])
        #expect((pl["per_seed"] as? [[String: Any]])?.count == 2)

        // Other shared settings are refused with a readable diff, and the folder is left alone.
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/compare.json"))
        let other = try CLI.run(["compare", "--data", data, "--strategies", "supervised", "--seeds", "0", "--out", run] + tiny
                                + ["--epochs", "3", "--lr", "0.01"])
        #expect(other.status == 1, "\(other.stdout)")
        #expect(other.stderr.contains("epochs: 2 -> 3") && other.stderr.contains("learningRate: 0.001 -> 0.01"), "\(other.stderr)")
        #expect(!other.stderr.contains("[\"") && !other.stderr.contains("Optional("), "\(other.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run + "/compare.json")) == before)
        // Without --model the default follows the data (2D -> unet2d), which is what the folder holds: nothing to train.
        let auto = try CLI.run(["compare", "--data", data, "--strategies", "supervised", "--seeds", "0", "--out", run] + Array(tiny.dropFirst(2)))
        #expect(auto.status == 0 && auto.stdout.contains("(0 cells run, 6 skipped, 0 failed)"), "\(auto.stdout) \(auto.stderr)")
        let base = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/compare.json"))) as? [String: Any])?["base"] as? [String: Any])
        #expect(base["model"] as? String == "unet2d")
        // Changing an existing strategy's options is refused too; a new strategy's options are fine to give.
        let opts = try compare("uda", "0", ["--opt", "uda:weight=0.5"])
        #expect(opts.status == 1 && opts.stderr.contains("uda options: none -> weight=0.5"), "\(opts.stderr)")
    }
}
