import Foundation
import TestSupport
import Testing
import Training

/// `semiseg figures` and `semiseg export-notebook` on a hand-made comparison folder over a tiny synthetic dataset
/// (predictions are copies of the ground truth), then nbformat validation and `jupyter nbconvert --execute`.
@Suite struct ExportNotebookCLITests {
    static let python = CLI.repoRoot.appendingPathComponent(".venv-test/bin/python").path

    /// Runs `args[0]` with the rest as arguments in `cwd`; stdout and stderr together.
    func shell(_ args: [String], cwd: URL) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        p.currentDirectoryURL = cwd
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = URL(fileURLWithPath: args[0]).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["MPLBACKEND"] = "Agg"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }

    /// A comparison folder: two strategies x two seeds whose predictions copy the dataset's test labels.
    func makeComparison(in root: URL) throws -> URL {
        let fm = FileManager.default
        let data = root.appendingPathComponent("data"), run = root.appendingPathComponent("runs/cmp")
        let synth = try CLI.run(["synth", "--out", data.path, "--cases", "4", "--dims", "2", "--seed", "3"])
        #expect(synth.status == 0, "\(synth.stderr)")
        let tests = try fm.contentsOfDirectory(atPath: data.appendingPathComponent("labelsTs").path).filter { $0.hasSuffix(".nii.gz") }.sorted()
        // The JSON through the real types (CompareFolderWriter); predictions copy the test labels.
        let split = DataSplit(seed: 0, labeled: ["spleen_0.nii.gz"], unlabeled: ["spleen_1.nii.gz"], validation: ["spleen_2.nii.gz"], test: tests)
        let strategies = ["supervised", "uda"]
        try CompareFolderWriter.write(run: run, data: data.path, strategies: strategies, seeds: [0, 1], split: split,
                                      dice: { s, seed, _ in 0.8 + 0.05 * Double((strategies.firstIndex(of: s) ?? 0) + Int(seed)) }) { _, _, cell in
            try fm.createDirectory(at: cell.appendingPathComponent("predictions"), withIntermediateDirectories: true)
            for t in tests { try fm.copyItem(at: data.appendingPathComponent("labelsTs/\(t)"), to: cell.appendingPathComponent("predictions/\(t)")) }
            try Data("epoch,loss,supervised_loss,lr,val_dice,seconds\n1,0.9,0.9,0.001,0.5,1\n2,0.6,0.6,0.001,0.7,1\n3,0.4,0.4,0.001,0.8,1\n".utf8)
                .write(to: cell.appendingPathComponent("metrics.csv"))
        }
        return run
    }

    @Test func figuresThenNotebookValidatesAndExecutes() throws {
        let root = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try makeComparison(in: root)
        let figs = try CLI.run(["figures", run.path])
        #expect(figs.status == 0, "\(figs.stderr)")
        for f in ["dice_bars.png", "curves.png"] { #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("figures/\(f)").path)) }
        #expect(figs.stdout.contains("montage_"), "montage of a test case: \(figs.stdout) \(figs.stderr)")

        // Default name: notebooks-export/<RUN name>.ipynb under the working directory.
        guard let bin = CLI.binary else { Issue.record("semiseg binary not found"); return }
        let (status, out) = try shell([bin, "export-notebook", run.path], cwd: root)
        #expect(status == 0, "\(out)")
        let nb = root.appendingPathComponent("notebooks-export/cmp.ipynb")
        #expect(FileManager.default.fileExists(atPath: nb.path))

        guard FileManager.default.isExecutableFile(atPath: Self.python),
              (try? shell([Self.python, "-c", "import nbformat, nbconvert, ipykernel, pandas, matplotlib"], cwd: root).0) == 0 else {
            Issue.record("skipped nbformat/nbconvert checks: .venv-test lacks nbformat/nbconvert/ipykernel/pandas/matplotlib (run scripts/test-fixtures.sh)")
            return
        }
        let (vs, vout) = try shell([Self.python, "-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", nb.path], cwd: root)
        #expect(vs == 0 && vout.contains("valid"), "\(vout)")
        // Execute in notebooks-export/ (nbconvert's default working directory is the notebook's folder).
        let (es, eout) = try shell([Self.python, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", nb.path,
                                    "--output", "executed.ipynb", "--ExecutePreprocessor.timeout=120"], cwd: root)
        #expect(es == 0, "\(eout)")
        let executed = try String(contentsOf: root.appendingPathComponent("notebooks-export/executed.ipynb"), encoding: .utf8)
        #expect(!executed.contains("\"output_type\": \"error\""))
        #expect(executed.contains("image/png"))
        #expect(executed.contains("uda"), "the pandas table shows the strategies")
    }

    @Test func missingFolderIsAOneLineError() throws {
        let r = try CLI.run(["export-notebook", "/nonexistent/cmp", "--out", "/tmp/x.ipynb"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: /nonexistent/cmp: "), "\(r.stderr)")
        let f = try CLI.run(["figures", "/nonexistent/cmp"])
        #expect(f.status == 1 && f.stderr.hasPrefix("error: "))
    }
}
