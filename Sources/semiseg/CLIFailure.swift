import ArgumentParser
import Foundation

/// A user-facing failure: printed as one line `error: <file>: <problem>` on stderr, exit status 1.
struct CLIFailure: Error, CustomStringConvertible {
    let subject: String
    let problem: String
    init(_ subject: String, _ problem: String) { self.subject = subject; self.problem = problem }
    var description: String { "\(subject): \(problem)" }
}
