import ArgumentParser
import Foundation

/// Where the commands' output goes: stdout / stderr of the process, or, for a command run in-process
/// (`SemiSeg.runInProcess`, the CLI tests; docs/ARCHITECTURE.md §7), a capture bound to the calling task.
///
/// Every `print` in SemiSegCLI resolves to the module's own `print` below (it shadows `Swift.print`), and `printError`
/// writes through `Console.error`, so no command file needs to know which it is.
public enum Console {
    /// Text written by a command run in-process.
    public final class Capture: @unchecked Sendable {
        private let lock = NSLock()
        private var outText = "", errText = ""
        public init() {}
        public var stdout: String { lock.lock(); defer { lock.unlock() }; return outText }
        public var stderr: String { lock.lock(); defer { lock.unlock() }; return errText }
        func write(_ s: String, error: Bool) {
            lock.lock(); defer { lock.unlock() }
            if error { errText += s } else { outText += s }
        }
    }

    /// The capture of the command running on this task (nil: the process's stdout / stderr).
    @TaskLocal public static var capture: Capture?

    /// Writes `text` as is to stdout (or the capture).
    static func output(_ text: String) {
        if let c = capture { c.write(text, error: false) } else { Swift.print(text, terminator: "") }
    }

    /// Writes `text` as is to stderr (or the capture).
    static func error(_ text: String) {
        if let c = capture { c.write(text, error: true) } else { FileHandle.standardError.write(Data(text.utf8)) }
    }
}

/// `Swift.print` for the commands, through `Console` (see there).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Console.output(items.map { "\($0)" }.joined(separator: separator) + terminator)
}

extension SemiSeg {
    /// What `semiseg ARGS` printed and its exit status, run in this process: parsed, run, and an error turned into
    /// its message and status exactly as the executable's `SemiSeg.main()` does (ArgumentParser's `exit(withError:)`).
    public struct InProcessResult: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs one command line in-process (for tests and embedding). Process-wide settings a command makes (e.g.
    /// `Parallel.threads` from `--threads`) stay made; output goes to the result, not to the process's stdout.
    public static func runInProcess(_ arguments: [String]) -> InProcessResult {
        let capture = Console.Capture()
        let status: Int32 = Console.$capture.withValue(capture) {
            do {
                var command = try parseAsRoot(arguments)
                try command.run()
                return 0
            } catch {
                let code = exitCode(for: error)
                let text = fullMessage(for: error)
                if !text.isEmpty { capture.write(text + "\n", error: code != .success) }
                return code.rawValue
            }
        }
        return InProcessResult(status: status, stdout: capture.stdout, stderr: capture.stderr)
    }
}
