import Foundation
import MedIO
import Testing
@testable import Reporting

@Suite struct ComparisonFiguresTests {
    @Test func rendersEveryFigureOfASyntheticComparison() throws {
        let run = try CompareFixture.make()
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        var notes: [String] = []
        let files = try ComparisonFigures.renderAll(compareDirectory: run, log: { notes.append($0) })
        let names = Set(files.map(\.lastPathComponent))
        #expect(notes.isEmpty, "\(notes)")
        // tiny_1 has the lower Dice for every strategy, so it is the second (hardest) case shown.
        for n in ["dice_bars.png", "curves.png", "montage_tiny_0.png", "montage_tiny_1.png", "uncertainty_tiny_0.png", "mc_mask_sum_tiny_0.png"] {
            #expect(names.contains(n), "missing \(n)")
        }
        for f in files {
            let img = try PNG.read(f.path, channels: 3)
            #expect(img.width > 100 && img.height > 100, "\(f.lastPathComponent) is \(img.width)x\(img.height)")
        }
    }

    @Test func foregroundDiceComesFromSummaryWithSeedsAsPoints() throws {
        let run = try CompareFixture.make()
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        let f = try CompareFolder(run)
        #expect(f.strategies == CompareFixture.strategies)
        let d = f.foregroundDice("mc-dropout")
        #expect(abs((d.mean ?? 0) - 0.71) < 1e-9 && abs((d.std ?? 0) - 0.014) < 1e-9)
        #expect(d.seeds.count == 2)
        #expect(ComparisonFigures.selectedCases(f) == ["tiny_0.nii.gz", "tiny_1.nii.gz"])
    }

    @Test func aFolderWithoutResultsIsABadInputError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: MedIOError.self) { try ComparisonFigures.renderAll(compareDirectory: dir) }
    }
}
