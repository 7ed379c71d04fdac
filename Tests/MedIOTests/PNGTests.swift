import Foundation
@testable import MedIO
import Testing

@Suite("PNG via libpng, checked with Pillow")
struct PNGTests {
    static func pattern(_ w: Int, _ h: Int, _ ch: Int) -> PixelImage {
        var px = [UInt8]()
        for r in 0..<h { for c in 0..<w { for k in 0..<ch { px.append(UInt8((r * 31 + c * 7 + k * 80) % 256)) } } }
        return PixelImage(width: w, height: h, channels: ch, pixels: px)
    }

    @Test(arguments: [(1, "L"), (3, "RGB"), (4, "RGBA")])
    func pillowReadsWhatWeWrite(_ channels: Int, _ mode: String) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = Self.pattern(7, 5, channels)
        let path = dir.appendingPathComponent("p.png").path
        try PNG.write(img, to: path)
        #expect(try PNG.read(path, channels: channels) == img)
        guard Fixtures.hasPython else { Issue.record("no .venv-test: run scripts/test-fixtures.sh"); return }
        let j = try Fixtures.runPython("scripts/reference/check_png.py", [path])
        #expect(j["size"] as? [Int] == [7, 5])
        #expect(j["mode"] as? String == mode)
        let pixels = (j["pixels"] as? [[Int]] ?? []).flatMap { $0 }.map { UInt8($0) }
        #expect(pixels == img.pixels)
    }

    @Test func errors() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.png").path
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(throws: MedIOError.self) { try PNG.read(junk) }
        #expect(throws: MedIOError.self) { try PNG.read(dir.appendingPathComponent("none.png").path) }
        #expect(throws: MedIOError.self) { try PNG.write(Self.pattern(2, 2, 1), to: dir.path + "/no/such/dir/x.png") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["junk.png"])
    }

    @Test func pasteAndScale() {
        var big = PixelImage(width: 4, height: 3, channels: 1)
        big.paste(PixelImage(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4]), row: 2, col: 3)
        #expect(big[2, 3] == [1] && big.pixels.reduce(0) { $0 + Int($1) } == 1)
        let s = PixelImage(width: 2, height: 1, channels: 1, pixels: [5, 9]).scaled(by: 2)
        #expect(s.width == 4 && s.height == 2 && s.pixels == [5, 5, 9, 9, 5, 5, 9, 9])
    }
}
