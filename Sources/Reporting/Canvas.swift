import MedIO

/// An 8-bit RGB colour.
public struct RGB: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    /// Axis and text grey.
    public static let darkGray = RGB(60, 60, 60)
    /// Grid lines.
    public static let lightGray = RGB(225, 225, 225)

    /// Distinct series colours (colour-blind friendly order: blue, orange, green, red, purple, brown, pink, grey).
    public static let series: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40),
        RGB(148, 103, 189), RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127),
    ]

    /// Series colour `i` (cycling).
    public static func series(_ i: Int) -> RGB { series[((i % series.count) + series.count) % series.count] }
}

/// Where a text's anchor point sits relative to the text box.
public enum TextAnchor: Sendable {
    case topLeft, topCenter, topRight, centerLeft, center, centerRight
}

/// An RGB drawing surface for figures: rectangles, lines, text in `BitmapFont`, pasted images.
///
/// Coordinates are pixels, `x` to the right and `y` down from the top-left corner; drawing outside is clipped.
public struct Canvas: Sendable {
    /// The pixels drawn so far (RGB).
    public private(set) var image: PixelImage

    /// A canvas of `width x height` filled with `background`.
    public init(width: Int, height: Int, background: RGB = .white) {
        var px = [UInt8](repeating: 0, count: max(width, 1) * max(height, 1) * 3)
        for i in 0..<(px.count / 3) { px[3 * i] = background.r; px[3 * i + 1] = background.g; px[3 * i + 2] = background.b }
        image = PixelImage(width: max(width, 1), height: max(height, 1), channels: 3, pixels: px)
    }

    public var width: Int { image.width }
    public var height: Int { image.height }

    // MARK: - Primitives

    /// Sets one pixel (ignored outside the canvas).
    public mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let o = (y * image.width + x) * 3
        image.pixels[o] = c.r; image.pixels[o + 1] = c.g; image.pixels[o + 2] = c.b
    }

    /// The colour at `(x, y)`.
    public func pixel(_ x: Int, _ y: Int) -> RGB {
        let o = (y * image.width + x) * 3
        return RGB(image.pixels[o], image.pixels[o + 1], image.pixels[o + 2])
    }

    /// Fills the rectangle with top-left `(x, y)` and size `w x h`.
    public mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: RGB) {
        let x0 = max(x, 0), x1 = min(x + w, image.width), y0 = max(y, 0), y1 = min(y + h, image.height)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// Outlines a rectangle with 1-pixel lines.
    public mutating func stroke(x: Int, y: Int, w: Int, h: Int, _ c: RGB) {
        fill(x: x, y: y, w: w, h: 1, c); fill(x: x, y: y + h - 1, w: w, h: 1, c)
        fill(x: x, y: y, w: 1, h: h, c); fill(x: x + w - 1, y: y, w: 1, h: h, c)
    }

    /// A straight line (Bresenham) `thickness` pixels wide; `dash` > 0 draws `dash` pixels on, `dash` off.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: RGB, thickness: Int = 1, dash: Int = 0) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy, step = 0
        let lo = -(thickness - 1) / 2, hi = thickness / 2
        while true {
            if dash == 0 || (step / dash) % 2 == 0 {
                for a in lo...hi { for b in lo...hi { set(x + a, y + b, c) } }
            }
            step += 1
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// A filled disc of `radius` around `(cx, cy)`.
    public mutating func dot(_ cx: Int, _ cy: Int, radius: Int, _ c: RGB) {
        for y in -radius...radius { for x in -radius...radius where x * x + y * y <= radius * radius + radius { set(cx + x, cy + y, c) } }
    }

    /// Copies `other` (grey, RGB or RGBA; alpha ignored) with its top-left corner at `(x, y)`.
    public mutating func paste(_ other: PixelImage, x: Int, y: Int) {
        for r in 0..<other.height {
            for col in 0..<other.width {
                let o = (r * other.width + col) * other.channels
                let c = other.channels >= 3 ? RGB(other.pixels[o], other.pixels[o + 1], other.pixels[o + 2])
                                            : RGB(other.pixels[o], other.pixels[o], other.pixels[o])
                set(x + col, y + r, c)
            }
        }
    }

    // MARK: - Text

    /// Draws one line of `text` at integer `scale`, positioned by `anchor` at `(x, y)`.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 2, _ c: RGB = .darkGray, anchor: TextAnchor = .topLeft) {
        let w = BitmapFont.width(text, scale: scale), h = BitmapFont.height(scale: scale)
        var left = x, top = y
        switch anchor {
        case .topLeft: break
        case .topCenter: left = x - w / 2
        case .topRight: left = x - w
        case .centerLeft: top = y - h / 2
        case .center: left = x - w / 2; top = y - h / 2
        case .centerRight: left = x - w; top = y - h / 2
        }
        for (i, ch) in text.enumerated() {
            let rows = BitmapFont.glyph(ch), gx = left + i * BitmapFont.advance * scale
            for (ry, bits) in rows.enumerated() {
                for cx in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(cx)) != 0 {
                    fill(x: gx + cx * scale, y: top + ry * scale, w: scale, h: scale, c)
                }
            }
        }
    }

    /// Draws `text` rotated 90° counter-clockwise (reading bottom to top), centred on `(cx, cy)`; for y-axis labels.
    public mutating func verticalText(_ text: String, cx: Int, cy: Int, scale: Int = 2, _ c: RGB = .darkGray) {
        let w = BitmapFont.width(text, scale: scale), h = BitmapFont.height(scale: scale)
        var strip = Canvas(width: max(w, 1), height: h, background: .white)
        strip.text(text, x: 0, y: 0, scale: scale, .black)
        // Rotated box: width h, height w; strip (sx, sy) goes to (sy, w - 1 - sx).
        let left = cx - h / 2, top = cy - w / 2
        for sy in 0..<h {
            for sx in 0..<w where strip.pixel(sx, sy) == .black { set(left + sy, top + w - 1 - sx, c) }
        }
    }
}

// MARK: - Layout helpers

extension Canvas {
    /// Images side by side (top-aligned) with `gap` white pixels between them.
    public static func hstack(_ images: [PixelImage], gap: Int = 8, background: RGB = .white) -> PixelImage {
        let w = images.reduce(0) { $0 + $1.width } + gap * max(images.count - 1, 0)
        var c = Canvas(width: w, height: images.map(\.height).max() ?? 1, background: background)
        var x = 0
        for i in images { c.paste(i, x: x, y: 0); x += i.width + gap }
        return c.image
    }

    /// Images one below another (left-aligned) with `gap` white pixels between them.
    public static func vstack(_ images: [PixelImage], gap: Int = 8, background: RGB = .white) -> PixelImage {
        let h = images.reduce(0) { $0 + $1.height } + gap * max(images.count - 1, 0)
        var c = Canvas(width: images.map(\.width).max() ?? 1, height: h, background: background)
        var y = 0
        for i in images { c.paste(i, x: 0, y: y); y += i.height + gap }
        return c.image
    }

    /// `image` with lines of text centred above it (first line at `scale`, later lines one size smaller), and a margin.
    public static func titled(_ image: PixelImage, _ lines: [String], scale: Int = 2, margin: Int = 10) -> PixelImage {
        let scales = lines.indices.map { $0 == 0 ? scale : max(1, scale - 1) }
        let textH = zip(lines, scales).reduce(0) { $0 + BitmapFont.height(scale: $1.1) + 2 * $1.1 + 2 }
        let textW = zip(lines, scales).map { BitmapFont.width($0.0, scale: $0.1) }.max() ?? 0
        let w = max(image.width, textW) + 2 * margin
        var c = Canvas(width: w, height: textH + image.height + 2 * margin)
        var y = margin
        for (l, s) in zip(lines, scales) {
            c.text(l, x: w / 2, y: y, scale: s, s == scale ? .black : .darkGray, anchor: .topCenter)
            y += BitmapFont.height(scale: s) + 2 * s + 2
        }
        c.paste(image, x: (w - image.width) / 2, y: y)
        return c.image
    }
}
