import Foundation
import Testing

/// Paths and helpers shared by the MedIO tests (fixtures come from scripts/test-fixtures.sh).
enum Fixtures {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let nibabelDir = repoRoot.appendingPathComponent("Tests/Fixtures/nibabel")
    static let python = repoRoot.appendingPathComponent(".venv-test/bin/python").path

    /// nibabel's expected.json (written by scripts/reference/nifti_reference.py).
    static func expected() throws -> [String: [String: Any]] {
        let url = nibabelDir.appendingPathComponent("expected.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("missing \(url.path): run scripts/test-fixtures.sh (make test does)")
            return [:]
        }
        return (try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]) ?? [:]
    }

    /// A fresh temporary folder.
    static func tempDir(_ tag: String = "medio") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a committed reference script with the test venv's python and parses its JSON output.
    static func runPython(_ script: String, _ args: [String]) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [repoRoot.appendingPathComponent(script).path] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static var hasPython: Bool { FileManager.default.isExecutableFile(atPath: python) }
}

/// `[[Double]]` from a JSON array of arrays.
func matrix(_ any: Any?) -> [[Double]] { (any as? [[Any]])?.map { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } } ?? [] }
/// `[Double]` from a JSON array.
func doubles(_ any: Any?) -> [Double] { (any as? [Any])?.map { ($0 as? NSNumber)?.doubleValue ?? .nan } ?? [] }
