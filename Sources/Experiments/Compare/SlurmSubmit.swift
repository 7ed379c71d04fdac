import Foundation
import Training

/// Submits the scripts of `SlurmScripts` with the cluster's own `sbatch` (docs/ARCHITECTURE.md §3): the array,
/// then the collect job with `--dependency=afterany:<array>` (it runs once every task has ended, however it ended,
/// and lists the cells that did not finish).
public enum SlurmSubmit {
    /// The job ids of one submission.
    public struct Jobs: Equatable, Sendable {
        public var array: String
        public var collect: String
    }

    /// Submits `arrayScript` and then `collectScript` depending on it.
    /// - Parameter sbatch: the command (default: `sbatch` found on `PATH`).
    /// - Throws: `TrainingError` naming the script and quoting sbatch's message when sbatch is missing or refuses.
    public static func submit(arrayScript: URL, collectScript: URL, sbatch: String? = nil) throws -> Jobs {
        let tool = try sbatch ?? locate("sbatch")
        let array = try jobID(run(tool, ["--parsable", arrayScript.path], script: arrayScript), script: arrayScript)
        let collect = try jobID(run(tool, ["--parsable", "--dependency=afterany:\(array)", collectScript.path], script: collectScript),
                                script: collectScript)
        return Jobs(array: array, collect: collect)
    }

    /// The job id in `sbatch --parsable` output: `123` or `123;cluster`.
    public static func jobID(_ output: String, script: URL) throws -> String {
        let first = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let id = String(first.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw TrainingError("\(script.path): sbatch printed no job id ('\(output.trimmingCharacters(in: .whitespacesAndNewlines))')")
        }
        return id
    }

    /// The absolute path of `name` on `PATH`.
    static func locate(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let p = String(dir) + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw TrainingError("\(name): not found on PATH; submit from a Slurm login node, or use --slurm-dry-run to only write the scripts")
    }

    /// Runs `tool args`, returning stdout; a non-zero exit throws with stderr.
    static func run(_ tool: String, _ args: [String], script: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        do { try p.run() } catch { throw TrainingError("\(tool): cannot run it (\(error.localizedDescription))") }
        // Read both pipes before waiting (a full pipe would block the child).
        let errData = LockedData(), group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        group.wait()
        let stdout = String(decoding: outData, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            let msg = String(decoding: errData.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw TrainingError("\(script.path): sbatch refused it (exit \(p.terminationStatus)): \(msg.isEmpty ? stdout : msg)")
        }
        return stdout
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Data()
    func set(_ d: Data) { lock.lock(); value = d; lock.unlock() }
    var data: Data { lock.lock(); defer { lock.unlock() }; return value }
}
