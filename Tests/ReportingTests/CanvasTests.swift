import MedIO
import Testing
@testable import Reporting

@Suite struct BitmapFontTests {
    @Test func everyPrintableCharacterHasSevenRowsOfFiveBits() {
        for v in UInt8(32)...UInt8(126) {
            let c = Character(UnicodeScalar(v))
            let g = BitmapFont.glyph(c)
            #expect(g.count == ("gjpqy".contains(c) ? 9 : 7))
            #expect(g.allSatisfy { $0 < 0x20 })
        }
    }

    @Test func lettersAndDigitsAreDistinct() {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let glyphs = Set(chars.map { BitmapFont.glyph($0).map(String.init).joined(separator: ",") })
        #expect(glyphs.count == chars.count)
    }

    @Test func widthCountsAdvanceWithoutTrailingGap() {
        #expect(BitmapFont.width("", scale: 2) == 0)
        #expect(BitmapFont.width("A", scale: 1) == 5)
        #expect(BitmapFont.width("AB", scale: 2) == 22)
        #expect(BitmapFont.glyph("é") == BitmapFont.glyph("?"))
    }
}

@Suite struct CanvasTests {
    /// Bounding box of pixels that differ from white.
    func inkBox(_ c: Canvas) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        var box: (Int, Int, Int, Int)?
        for y in 0..<c.height { for x in 0..<c.width where c.pixel(x, y) != .white {
            box = box.map { (min($0.0, x), min($0.1, y), max($0.2, x), max($0.3, y)) } ?? (x, y, x, y)
        } }
        return box.map { (x0: $0.0, y0: $0.1, x1: $0.2, y1: $0.3) }
    }

    @Test func textInksInsideItsBoxAndNowhereElse() throws {
        var c = Canvas(width: 200, height: 60)
        c.text("Dice 0.9", x: 20, y: 10, scale: 2, .black)
        let box = try #require(inkBox(c))
        let w = BitmapFont.width("Dice 0.9", scale: 2), h = BitmapFont.height(scale: 2)
        #expect(box.x0 >= 20 && box.y0 >= 10 && box.x1 < 20 + w && box.y1 < 10 + h)
        // The box is tight: "D" starts in the first column; without descenders text ends on the baseline.
        #expect(box.x0 == 20 && box.y0 == 10 && box.y1 == 10 + 7 * 2 - 1)
        var d = Canvas(width: 200, height: 60)
        d.text("gy", x: 20, y: 10, scale: 2, .black)
        #expect(inkBox(d)?.y1 == 10 + h - 1, "descenders reach the last row of the line")
    }

    @Test func centredTextIsCentred() throws {
        var c = Canvas(width: 101, height: 40)
        c.text("HH", x: 50, y: 20, scale: 1, .black, anchor: .center)
        let box = try #require(inkBox(c))
        #expect(abs((box.x0 + box.x1) - 100) <= 1)
        #expect(abs((box.y0 + box.y1) - 40) <= 2)
    }

    @Test func verticalTextIsTallerThanWide() throws {
        var c = Canvas(width: 60, height: 200)
        c.verticalText("validation", cx: 30, cy: 100, scale: 2, .black)
        let box = try #require(inkBox(c))
        #expect(box.y1 - box.y0 + 1 <= BitmapFont.width("validation", scale: 2))
        #expect(box.x1 - box.x0 + 1 <= BitmapFont.height(scale: 2))
        #expect(box.y1 - box.y0 > 4 * (box.x1 - box.x0))
    }

    @Test func linesAndFillsAreClippedNotCrashing() {
        var c = Canvas(width: 10, height: 10)
        c.line(-5, -5, 20, 20, .black, thickness: 3)
        c.fill(x: -3, y: 8, w: 30, h: 30, .black)
        #expect(c.pixel(5, 5) == .black)
        #expect(c.pixel(0, 9) == .black)
        #expect(c.pixel(9, 0) == .white)
    }

    @Test func stacksAddGaps() {
        let a = Canvas(width: 10, height: 5, background: .black).image, b = Canvas(width: 7, height: 9, background: .black).image
        let h = Canvas.hstack([a, b], gap: 3), v = Canvas.vstack([a, b], gap: 3)
        #expect(h.width == 20 && h.height == 9)
        #expect(v.width == 10 && v.height == 17)
    }
}
