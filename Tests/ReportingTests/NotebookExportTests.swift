import Foundation
import Testing
@testable import Reporting

@Suite struct NotebookExportTests {
    @Test func notebookIsNbformat45WithEmbeddedFigures() throws {
        let run = try CompareFixture.make()
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        let nbURL = run.deletingLastPathComponent().appendingPathComponent("export/nb.ipynb")
        try NotebookExport.write(compareDirectory: run, to: nbURL)
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: nbURL)) as? [String: Any]
        let nb = try #require(obj)
        #expect(nb["nbformat"] as? Int == 4 && nb["nbformat_minor"] as? Int == 5)
        #expect(((nb["metadata"] as? [String: Any])?["kernelspec"] as? [String: Any])?["name"] as? String == "python3")
        let cells = try #require(nb["cells"] as? [[String: Any]])
        let ids = cells.compactMap { $0["id"] as? String }
        #expect(ids.count == cells.count && Set(ids).count == ids.count)
        let pngs = cells.flatMap { ($0["outputs"] as? [[String: Any]]) ?? [] }.compactMap { ($0["data"] as? [String: Any])?["image/png"] as? String }
        let figures = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("figures").path).filter { $0.hasSuffix(".png") }
        #expect(pngs.count == figures.count && pngs.count >= 5)
        for p in pngs { #expect(Data(base64Encoded: p)?.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47])) }
        let text = cells.map { (($0["source"] as? [String]) ?? []).joined() }.joined(separator: "\n")
        #expect(text.contains("| mc-dropout | 0.710 ± 0.014 | 2 |"))
        #expect(text.contains("pd.read_csv(RUN / \"summary.csv\")"))
        #expect(text.contains("RUN = Path(\"../run\")"), "relative fallback from export/ to run/")
    }

    @Test func relativePathsClimbToTheCommonFolder() {
        let a = URL(fileURLWithPath: "/w/repo/notebooks-export"), b = URL(fileURLWithPath: "/w/repo/runs/cmp")
        #expect(NotebookExport.relativePath(from: a, to: b) == "../runs/cmp")
        #expect(NotebookExport.relativePath(from: b, to: b) == ".")
    }
}
