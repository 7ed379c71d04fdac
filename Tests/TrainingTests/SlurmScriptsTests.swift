import Foundation
import Testing
@testable import Experiments
@testable import Training

/// The batch scripts of `compare --slurm`, run by bash with a stand-in `semiseg` and the variables Slurm sets.
@Suite("Slurm scripts")
struct SlurmScriptsTests {
    let fm = FileManager.default

    @Test func arrayRanges() {
        #expect(SlurmScripts.arrayRange([0, 1, 2, 3]) == "0-3")
        #expect(SlurmScripts.arrayRange([1, 3, 4, 5]) == "1,3-5")
        #expect(SlurmScripts.arrayRange([5, 0, 2, 1]) == "0-2,5")
        #expect(SlurmScripts.arrayRange([7]) == "7")
    }

    @Test func slurmArgsAreSplitLikeAShell() throws {
        #expect(try SlurmScripts.parseOptions("--partition=cpu --time 12:00:00  -A lab --mem=8G") ==
                ["--partition=cpu", "--time 12:00:00", "-A lab", "--mem=8G"])
        #expect(try SlurmScripts.parseOptions("--comment='two words' --qos=\"high\"") == ["--comment=two words", "--qos=high"])
        #expect(try SlurmScripts.parseOptions("") == [])
    }

    @Test func slurmArgsRefusals() {
        func problems(_ s: String) -> [String] {
            do { _ = try SlurmScripts.parseOptions(s); return [] } catch let e as ConfigError { return e.problems } catch { return ["\(error)"] }
        }
        #expect(problems("--array=0-3").first?.contains("--array is set by `compare --slurm`") == true)
        #expect(problems("--cpus-per-task=4").first?.contains("comes from --threads") == true)
        #expect(problems("-c4").first?.contains("comes from --threads") == true)
        #expect(problems("-c 4").first?.contains("comes from --threads") == true)
        #expect(problems("--output=x.out").first?.contains("RUN/cells/<cell>/slurm-") == true)
        #expect(problems("--dependency=afterok:1").count == 1)
        #expect(problems("cpu").first?.contains("'cpu' is not an sbatch option") == true)
        #expect(problems("--comment='open").first?.contains("unterminated quote") == true)
        #expect(problems("--partition=cpu --array=1 --output=o").count == 2)
    }

    @Test func jobIDs() throws {
        let s = URL(fileURLWithPath: "/x/array.sbatch")
        #expect(try SlurmSubmit.jobID("123\n", script: s) == "123")
        #expect(try SlurmSubmit.jobID("4567;cluster\n", script: s) == "4567")
        #expect(throws: TrainingError.self) { try SlurmSubmit.jobID("Submitted batch job 5\n", script: s) }
        #expect(throws: TrainingError.self) { try SlurmSubmit.jobID("", script: s) }
    }

    /// Runs `script` with bash as Slurm would start it (its environment variables), in `dir`.
    @discardableResult
    func runScript(_ script: String, env: [String: String], in dir: URL, stdout: UnsafeMutablePointer<String>? = nil) throws -> Int32 {
        let file = dir.appendingPathComponent("job.sbatch")
        try Data(script.utf8).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [file.path]
        p.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b }
        p.currentDirectoryURL = URL(fileURLWithPath: "/")
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        stdout?.pointee = String(decoding: data, as: UTF8.self)
        return p.terminationStatus
    }

    @Test func arrayTaskRunsItsCellWithTheSubmittingBinary() throws {
        let dir = fm.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        // A folder with a quote and a space in its name; the stand-in binary records its arguments and working folder.
        let work = dir.appendingPathComponent("it's here"), run = work.appendingPathComponent("runs/cmp")
        try fm.createDirectory(at: run, withIntermediateDirectories: true)
        let fake = dir.appendingPathComponent("semiseg")
        try Data("#!/bin/bash\necho \"args: $*\"\necho \"pwd: $PWD\"\necho \"stderr line\" >&2\nexit 7\n".utf8).write(to: fake)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let s = SlurmScripts(executable: fake.path, run: run.path, out: "runs/cmp", directory: work.path,
                             cells: ["supervised-seed0", "uda-seed0", "supervised-seed1", "uda-seed1"], pending: [1, 3], threads: 3,
                             options: ["--partition=cpu", "--time 12:00:00"], logSteps: true)
        let text = s.arrayScript()
        for line in ["#SBATCH --array=1,3", "#SBATCH --cpus-per-task=3", "#SBATCH --requeue", "#SBATCH --open-mode=append",
                     "#SBATCH --partition=cpu", "#SBATCH --time 12:00:00", "#SBATCH --job-name=semiseg-cmp",
                     "#SBATCH --output=\(run.path)/slurm/array-%A_%a.out", "  3) CELL='uda-seed1' ;;"] {
            #expect(text.contains(line + "\n"), "missing '\(line)' in\n\(text)")
        }
        // #SBATCH lines must all come before the first command (sbatch stops reading them there).
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let firstCommand = try #require(lines.firstIndex { !$0.isEmpty && !$0.hasPrefix("#") })
        #expect(!lines[firstCommand...].contains { $0.hasPrefix("#SBATCH") })

        let env = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_JOB_ID": "41", "SLURM_JOB_ID": "44", "SLURM_RESTART_COUNT": "1"]
        #expect(try runScript(text, env: env, in: dir) == 7)  // the binary's exit status is the task's
        let out = try String(contentsOf: run.appendingPathComponent("cells/uda-seed1/slurm-41_3.out"), encoding: .utf8)
        #expect(out.contains("slurm task 41_3 (job 44)") && out.contains("restart 1") && out.contains("cell uda-seed1"), "\(out)")
        #expect(out.contains("args: compare --out runs/cmp --cell uda-seed1 --threads 3 --log-steps\n"), "\(out)")
        #expect(out.contains("pwd: \(work.path)\n") && out.contains("stderr line\n"), "\(out)")
        // A requeued task appends.
        try runScript(text, env: env.merging(["SLURM_RESTART_COUNT": "2"]) { _, b in b }, in: dir)
        let again = try String(contentsOf: run.appendingPathComponent("cells/uda-seed1/slurm-41_3.out"), encoding: .utf8)
        #expect(again.hasPrefix(out) && again.contains("restart 2"))
        // A task id that is not a cell fails without running anything.
        #expect(try runScript(text, env: ["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_JOB_ID": "41", "SLURM_JOB_ID": "50"], in: dir) == 2)

        let collect = s.collectScript()
        #expect(collect.contains("#SBATCH --job-name=semiseg-cmp-collect\n") && collect.contains("#SBATCH --partition=cpu\n"))
        #expect(collect.contains("#SBATCH --output=\(run.path)/slurm/collect-%j.out\n"))
        var printed = ""
        #expect(try runScript(collect, env: ["SLURM_JOB_ID": "45"], in: dir, stdout: &printed) == 7)
        #expect(printed.contains("args: compare --out runs/cmp --collect\n") && printed.contains("pwd: \(work.path)\n"), "\(printed)")
    }
}
