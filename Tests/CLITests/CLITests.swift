import Engine
import Foundation
@testable import SemiSegCLI
import Testing

/// Runs `semiseg` commands: in-process through the SemiSegCLI library (`run`: parsing, outputs, files and error
/// messages), or as the built binary (`runBinary`, built by `swift build --build-tests`, which `make test` runs first:
/// only for process-level behaviour, i.e. SIGKILL, SIGTERM, exit status of a signalled process, locks held by another
/// process).
enum CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `semiseg` next to the test bundle (built with the same configuration and sanitizer), else the newest
    /// one above it or under .build.
    static var binary: String? {
        var candidates: [URL] = []
        let fm = FileManager.default
        if let sibling = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("semiseg"),
           fm.isExecutableFile(atPath: sibling.path) {
            return sibling.path
        }
        if let exe = Bundle.main.executableURL {
            var dir = exe.deletingLastPathComponent()
            for _ in 0..<4 { candidates.append(dir.appendingPathComponent("semiseg")); dir = dir.deletingLastPathComponent() }
        }
        for c in ["release", "debug"] { candidates.append(repoRoot.appendingPathComponent(".build/\(c)/semiseg")) }
        let found = candidates.filter { fm.isExecutableFile(atPath: $0.path) }
        return found.max { a, b in
            let da = (try? fm.attributesOfItem(atPath: a.path)[.modificationDate] as? Date) ?? .distantPast
            let db = (try? fm.attributesOfItem(atPath: b.path)[.modificationDate] as? Date) ?? .distantPast
            return da < db
        }?.path
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// `semiseg args` in this process (`SemiSeg.runInProcess`): what it printed and the status the executable would
    /// exit with. A command that sets the worker threads (`--threads`, default 2) is given this process's current
    /// count, so an in-process command never changes the threads of the tests running beside it (parallel reductions
    /// split by thread count, and several tests compare runs bit for bit); a test that needs another count runs the
    /// binary.
    static func run(_ args: [String]) throws -> Result {
        if let i = args.firstIndex(of: "--threads"), i + 1 < args.count, Int(args[i + 1]) != Parallel.threads {
            Issue.record("--threads \(args[i + 1]) differs from this process's \(Parallel.threads): use CLI.runBinary")
        }
        let threads = ["--threads", String(Parallel.threads)]
        if !args.contains("--threads"), (try? SemiSeg.parseAsRoot(args + threads)) != nil {
            let r = SemiSeg.runInProcess(args + threads)
            return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
        }
        let r = SemiSeg.runInProcess(args)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// `semiseg args` as a child process of the built binary.
    static func runBinary(_ args: [String]) throws -> Result {
        guard let bin = binary else {
            Issue.record("semiseg binary not found: build it first (swift build --build-tests)")
            return Result(status: -1, stdout: "", stderr: "")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    /// `semiseg synth` of a small 2D spleen dataset into `dir/data`; returns its path.
    static func synth2D(_ dir: URL, cases: Int, testCases: Int, seed: Int) throws -> String {
        let data = dir.appendingPathComponent("data").path
        let r = try run(["synth", "--out", data, "--cases", String(cases), "--test-cases", String(testCases),
                         "--dims", "2", "--seed", String(seed)])
        #expect(r.status == 0, "\(r.stderr)")
        return data
    }

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
