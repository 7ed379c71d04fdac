import ArgumentParser
import Foundation
import MedIO

/// The CLI's bad-input convention: one line `error: <file>: <problem>` on stderr and exit status 1.
struct CLIError: Error, CustomStringConvertible {
    /// The file (or folder) at fault.
    var file: String
    /// What is wrong with it.
    var problem: String
    var description: String { "\(file): \(problem)" }
}

/// Writes one line to stderr (through `Console`: a command run in-process writes to its capture).
func printError(_ line: String) {
    Console.error(line + "\n")
}

/// Runs `body`; a `MedIOError` or `CLIError` becomes `error: <file>: <problem>` and exit status 1.
func reportingBadInput(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as MedIOError {
        printError("error: \(e.file): \(e.problem)")
        throw ExitCode(1)
    } catch let e as CLIError {
        printError("error: \(e.file): \(e.problem)")
        throw ExitCode(1)
    }
}

/// JSON number text for a Double (`null` when not finite), shortest round-trip form.
func jsonNumber(_ v: Double) -> String {
    guard v.isFinite else { return "null" }
    if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}
