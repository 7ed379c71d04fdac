import Foundation
import MedIO
import Testing
@testable import Reporting

@Suite struct ComparisonFiguresTests {
    @Test func rendersEveryFigureOfASyntheticComparison() throws {
        let run = try CompareFixture.make()
        defer { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
        var notes: [String] = []
        let files = try ComparisonFigures.renderAll(compareDirectory: run, maps: CompareFixture.maps, log: { notes.append($0) })
        let names = Set(files.map(\.lastPathComponent))
        #expect(notes.isEmpty, "\(notes)")
        // tiny_1 has the lower Dice for every strategy, so it is the second (hardest) case shown.
        for n in ["dice_bars.png", "curves.png", "montage_tiny_0.png", "montage_tiny_1.png", "uncertainty_tiny_0.png", "mc_mask_sum_tiny_0.png"] {
            #expect(names.contains(n), "missing \(n)")
        }
        #expect(names.contains("slices_tiny_0.gif"), "3D data get a slice flip-book")
        for f in files where f.pathExtension == "png" {
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
        // Seeds 0.70 and 0.72: mean 0.71, sample std 0.02 / sqrt(2).
        #expect(abs((d.mean ?? 0) - 0.71) < 1e-9 && abs((d.std ?? 0) - 0.02 / 2.0.squareRoot()) < 1e-9)
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

@Suite struct GIFTests {
    @Test func lzwStreamsStartWithClearAndEndWithEndCode() {
        let bytes = GIF.lzw([1, 1, 1, 1])
        // 9-bit codes LSB first: 256 (clear), 1, 258 ("1 1"), 1, 257 (end).
        var bits: [Int] = []
        for b in bytes { for k in 0..<8 { bits.append(Int(b >> UInt8(k)) & 1) } }
        func code(_ i: Int) -> Int {
            var v = 0
            for k in 0..<9 { v |= bits[i * 9 + k] << k }
            return v
        }
        let codes: [Int] = (0..<5).map(code)
        #expect(codes == [256, 1, 258, 1, 257])
    }

    @Test func pillowDecodesTheAnimation() throws {
        let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".venv-test/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else { Issue.record("no .venv-test: run scripts/test-fixtures.sh"); return }
        // Frames with long runs and noise, so the table fills and clear codes are exercised.
        var rng = SystemRandomNumberGenerator()
        let w = 97, h = 61
        var frames: [[UInt8]] = []
        for f in 0..<3 {
            var fr = [UInt8](repeating: 0, count: w * h)
            for i in 0..<(w * h) { fr[i] = i % 7 == 0 ? UInt8.random(in: 0...255, using: &rng) : UInt8((i / 13 + f * 40) % 256) }
            frames.append(fr)
        }
        var palette: [RGB] = []
        for v in 0..<256 { palette.append(RGB(UInt8(v), UInt8(255 - v), UInt8((v * 7) % 256))) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gif-\(UUID().uuidString).gif")
        try GIF.encode(frames: frames, width: w, height: h, palette: palette).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let expected = FileManager.default.temporaryDirectory.appendingPathComponent("gif-\(UUID().uuidString).raw")
        try Data(frames.flatMap { $0 }).write(to: expected)
        defer { try? FileManager.default.removeItem(at: expected) }
        // Frames stay palette-indexed (one global palette); print the number of differing indices per frame.
        let script = """
        import sys
        from PIL import Image, GifImagePlugin
        GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY
        raw = open(sys.argv[2], "rb").read(); im = Image.open(sys.argv[1]); n = im.size[0] * im.size[1]; out = []
        for k in range(im.n_frames):
            im.seek(k); got = im.tobytes(); want = raw[k * n:(k + 1) * n]
            out.append(str(sum(1 for a, b in zip(got, want) if a != b) + abs(len(got) - len(want))))
        print(im.mode, im.n_frames, " ".join(out))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, url.path, expected.path]
        let pipe = Pipe(); p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "P 3 0 0 0")
    }
}
