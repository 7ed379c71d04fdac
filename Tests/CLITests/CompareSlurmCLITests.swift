import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `compare --slurm-dry-run`, `--cell` and `--collect` without Slurm (issue 17): the cells an array task runs and the
/// collected summary equal a local compare; a second process on a cell is refused naming the first. The run through
/// a real Slurm cluster is scripts/slurm-test.sh (`make test`).
extension KillResumeCLITests {
    func compareArgs(_ data: String, out: String) -> [String] {
        ["compare", "--data", data, "--out", out, "--strategies", "supervised,mean-teacher", "--seeds", "0", "--model", "unet2d",
         "--base", "4", "--depth", "2", "--epochs", "2", "--iterations", "4", "--batch-size", "2", "--labeled", "3",
         "--validation", "2", "--augmentation", "standard", "--threads", "1"]
    }

    @Test func cellsAndCollectEqualALocalCompareAndALockedCellIsRefused() throws {
        let dir = try CLI.tempDir(); defer { try? fm.removeItem(at: dir) }
        let data = try synth(dir)
        let ref = dir.appendingPathComponent("local").path, run = dir.appendingPathComponent("cluster").path
        let local = try CLI.runBinary(compareArgs(data, out: ref))
        #expect(local.status == 0, "\(local.stderr)")

        // --slurm-dry-run: the folder and the scripts, no cell trained.
        let dry = try CLI.runBinary(compareArgs(data, out: run) + ["--slurm-dry-run", "--slurm-args", "--partition=cpu --account=lab"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("(2 tasks: 0-1 of 2 cells)") && dry.stdout.contains("not submitted (--slurm-dry-run)"), "\(dry.stdout)")
        for f in ["compare.json", "split.json", "slurm/array.sbatch", "slurm/collect.sbatch"] { #expect(fm.fileExists(atPath: run + "/" + f), "\(f)") }
        #expect(try fm.contentsOfDirectory(atPath: run + "/cells").isEmpty)
        let array = try String(contentsOfFile: run + "/slurm/array.sbatch", encoding: .utf8)
        let binary = try #require(CLI.binary).replacingOccurrences(of: "'", with: "'\\''")
        let realBinary = URL(fileURLWithPath: binary).resolvingSymlinksInPath().path
        #expect(array.contains("#SBATCH --array=0-1\n") && array.contains("#SBATCH --cpus-per-task=1\n") && array.contains("#SBATCH --account=lab\n"))
        #expect(array.contains("SEMISEG='\(realBinary)'\n") && array.contains("--cell \"$CELL\" --threads 1"), "\(array)")
        let badArgs = try CLI.runBinary(compareArgs(data, out: run) + ["--slurm-dry-run", "--slurm-args", "--cpus-per-task=4"])
        #expect(badArgs.status == 1 && badArgs.stderr.contains("--cpus-per-task is set by `compare --slurm` (comes from --threads)"), "\(badArgs.stderr)")

        // Flags that do not go together, a cell that does not exist, settings that come from compare.json.
        let both = try CLI.runBinary(["compare", "--out", run, "--cell", "0", "--collect"])
        #expect(both.status == 1 && both.stderr.contains("give one of them"), "\(both.stderr)")
        let noCell = try CLI.runBinary(["compare", "--out", run, "--cell", "7"])
        #expect(noCell.status == 1 && noCell.stderr.contains("no cell '7' (cells 0-1: supervised-seed0, mean-teacher-seed0)"), "\(noCell.stderr)")
        let extra = try CLI.runBinary(["compare", "--out", run, "--cell", "0", "--epochs", "5", "--seeds", "1"])
        #expect(extra.status == 1 && extra.stderr.contains("takes every setting from \(run)/compare.json; drop --seeds, the epochs setting"),
                "\(extra.stderr)")
        let notCompare = try CLI.runBinary(["compare", "--out", data, "--collect"])
        #expect(notCompare.status == 1 && notCompare.stderr.contains("not a comparison folder (no compare.json)"), "\(notCompare.stderr)")

        // Cell 0 by index; while it trains, a second process on the same cell is refused, naming the first one.
        let cell0 = ["compare", "--out", run, "--cell", "0", "--threads", "1", "--log-steps"]
        var second: CLI.Result?
        let (first, acted) = try whenOutput(cell0, contains: "step 2 (", log: dir.appendingPathComponent("cell0.log")) { pid in
            second = try CLI.runBinary(["compare", "--out", run, "--cell", "supervised-seed0", "--threads", "1"])
            #expect(second?.stderr.contains("cell supervised-seed0 is being trained by process \(pid)") == true
                    || second?.stderr.contains("in use by process \(pid)") == true, "\(second?.stderr ?? "")")
        }
        #expect(acted && second?.status == 1)
        #expect(first.terminationStatus == 0, "\(text(dir.appendingPathComponent("cell0.log")))")
        #expect(text(dir.appendingPathComponent("cell0.log")).contains("cell supervised-seed0: test Dice"))
        #expect(!text(URL(fileURLWithPath: run + "/cells/supervised-seed0/log.txt")).contains("error"), "the refused process wrote to the cell's log")

        // --collect with a cell missing: the summary of the finished one, the list, exit 1.
        let partial = try CLI.runBinary(["compare", "--out", run, "--collect"])
        #expect(partial.status == 1, "\(partial.stderr)")
        #expect(partial.stdout.contains("1 of 2 cells not finished:\n  mean-teacher-seed0: not started"), "\(partial.stdout)")
        #expect(partial.stderr.contains("1 cell(s) unfinished or failed: mean-teacher-seed0"), "\(partial.stderr)")
        #expect(fm.fileExists(atPath: run + "/summary.json") && fm.fileExists(atPath: run + "/report.md"))

        // The other cell by name, then everything is collected: the same results as the local compare.
        let cell1 = try CLI.runBinary(["compare", "--out", run, "--cell", "mean-teacher-seed0", "--threads", "1"])
        #expect(cell1.status == 0 && cell1.stdout.contains("cell mean-teacher-seed0: test Dice"), "\(cell1.stderr)")
        let again = try CLI.runBinary(["compare", "--out", run, "--cell", "1", "--threads", "1"])
        #expect(again.status == 0 && again.stdout.contains("already finished"), "\(again.stdout)")
        let collected = try CLI.runBinary(["compare", "--out", run, "--collect"])
        #expect(collected.status == 0, "\(collected.stderr)")
        #expect(collected.stdout.contains("wrote \(run)/summary.json, \(run)/summary.csv, \(run)/report.md (2 of 2 cells)"), "\(collected.stdout)")
        for c in ["supervised-seed0", "mean-teacher-seed0"] {
            for ck in ["last", "best"] {
                #expect(try tensors("\(run)/cells/\(c)/checkpoints/\(ck).safetensors") == tensors("\(ref)/cells/\(c)/checkpoints/\(ck).safetensors"))
            }
            #expect(try summary("\(run)/cells/\(c)") == summary("\(ref)/cells/\(c)"))
        }
        #expect(try summary(run) == summary(ref))
        #expect(try fm.contentsOfDirectory(atPath: run + "/figures").sorted() == fm.contentsOfDirectory(atPath: ref + "/figures").sorted())
    }
}
