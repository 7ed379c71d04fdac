import Foundation

/// Every failure in MedIO: the file (path as given) and the problem in plain words.
///
/// `description` is `<file>: <problem>`; the CLI prefixes it with `error: `.
public struct MedIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or folder) the problem is about, as the caller named it.
    public var file: String
    /// One line saying what is wrong, e.g. `vox_offset 2048 past end of file (1000 bytes)`.
    public var problem: String

    /// Makes an error about `file`.
    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    /// `<file>: <problem>`.
    public var description: String { "\(file): \(problem)" }
}
