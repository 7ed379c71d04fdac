import Foundation
import MedIO
import Training

/// Animated GIF89a writer (own LZW encoder) for slice flip-books with a 256-colour palette.
///
/// Frames are palette indices (`width*height` bytes, row-major, top row first); `palette` has 256 RGB entries.
public enum GIF {
    /// Encodes the frames as a looping animation with `delay` hundredths of a second per frame.
    public static func encode(frames: [[UInt8]], width: Int, height: Int, palette: [RGB], delay: Int = 10) -> Data {
        assemble(encodedFrames: frames.map { f in
            precondition(f.count == width * height, "GIF: frame size differs")
            return encodeFrame(f, width: width, height: height, delay: delay)
        }, width: width, height: height, palette: palette)
    }

    /// One frame's bytes (graphic control extension, image descriptor, LZW data in sub-blocks), for `assemble`:
    /// animations that grow frame by frame encode each frame once.
    public static func encodeFrame(_ f: [UInt8], width: Int, height: Int, delay: Int) -> [UInt8] {
        var d: [UInt8] = []
        func u16(_ v: Int) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        d.append(contentsOf: [0x21, 0xF9, 0x04, 0x00]); u16(delay); d.append(contentsOf: [0x00, 0x00])
        d.append(0x2C); u16(0); u16(0); u16(width); u16(height); d.append(0x00)
        d.append(8)  // LZW minimum code size
        let bytes = lzw(f)
        var i = 0
        while i < bytes.count {
            let n = min(255, bytes.count - i)
            d.append(UInt8(n)); d.append(contentsOf: bytes[i..<(i + n)]); i += n
        }
        d.append(0)
        return d
    }

    /// The file: header, global palette, loop extension, the encoded frames, trailer.
    public static func assemble(encodedFrames: [[UInt8]], width: Int, height: Int, palette: [RGB]) -> Data {
        precondition(palette.count == 256, "GIF: the palette needs 256 colours")
        var d = Data("GIF89a".utf8)
        func u16(_ v: Int) { d.append(UInt8(v & 0xFF)); d.append(UInt8((v >> 8) & 0xFF)) }
        u16(width); u16(height)
        d.append(0xF7)  // global colour table, 8 bits per colour, 256 entries
        d.append(0); d.append(0)
        for c in palette { d.append(c.r); d.append(c.g); d.append(c.b) }
        // NETSCAPE2.0 application extension: loop forever.
        d.append(contentsOf: [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00])
        for f in encodedFrames { d.append(contentsOf: f) }
        d.append(0x3B)
        return d
    }

    /// GIF-flavoured LZW of 8-bit indices: variable code width from 9 to 12 bits, LSB-first packing, a clear code
    /// whenever the 4096-entry table is full.
    static func lzw(_ input: [UInt8]) -> [UInt8] {
        let clear = 256, end = 257
        var out: [UInt8] = [], acc = 0, nbits = 0
        var width = 9, next = 258
        var table: [Int: Int] = [:]
        func emit(_ code: Int) {
            acc |= code << nbits; nbits += width
            while nbits >= 8 { out.append(UInt8(acc & 0xFF)); acc >>= 8; nbits -= 8 }
        }
        emit(clear)
        guard var prefix = input.first.map(Int.init) else { emit(end); if nbits > 0 { out.append(UInt8(acc & 0xFF)) }; return out }
        for b in input.dropFirst() {
            let key = prefix << 8 | Int(b)
            if let code = table[key] { prefix = code; continue }
            emit(prefix)
            if next < 4096 {
                table[key] = next; next += 1
                // The decoder widens one code later than the encoder adds the entry.
                if next > (1 << width) && width < 12 { width += 1 }
            } else {
                emit(clear); table.removeAll(keepingCapacity: true); next = 258; width = 9
            }
            prefix = Int(b)
        }
        emit(prefix)
        emit(end)
        if nbits > 0 { out.append(UInt8(acc & 0xFF)) }
        return out
    }

    /// The flip-book palette: 0...127 grey levels, 128...254 the same greys tinted with the label colour (35%),
    /// 255 the opaque label colour (contours).
    public static func overlayPalette(label: RGB) -> [RGB] {
        var p: [RGB] = []
        for i in 0..<128 { let g = UInt8(i * 255 / 127); p.append(RGB(g, g, g)) }
        for i in 0..<127 {
            let g = Float(i * 255 / 126)
            func mix(_ c: UInt8) -> UInt8 { UInt8((0.65 * g + 0.35 * Float(c)).rounded()) }
            p.append(RGB(mix(label.r), mix(label.g), mix(label.b)))
        }
        p.append(label)
        return p
    }

    /// Palette indices of one slice: grey image in `window`, label pixels tinted, label boundary opaque.
    public static func overlayFrame(image: Slice, labels: Slice?, window: (lo: Float, hi: Float)) -> [UInt8] {
        let scale = window.hi > window.lo ? 1 / (window.hi - window.lo) : 0
        let l = labels?.labels, w = image.width, h = image.height
        var f = [UInt8](repeating: 0, count: w * h)
        for i in 0..<(w * h) {
            let t = min(max((image.values[i] - window.lo) * scale, 0), 1)
            guard let l, l[i] > 0 else { f[i] = UInt8((t * 127).rounded()); continue }
            let r = i / w, c = i % w
            let edge = (r > 0 && l[i - w] == 0) || (r < h - 1 && l[i + w] == 0) || (c > 0 && l[i - 1] == 0) || (c < w - 1 && l[i + 1] == 0)
            f[i] = edge ? 255 : UInt8(128 + (t * 126).rounded())
        }
        return f
    }
}

extension GIF {
    /// The palette of training-progress frames: 0...239 grey levels (black to white), 240...245 the reference green
    /// for classes 1...6, 246...251 the prediction red for classes 1...6 (`TrainingProgress.shade`), 252...255 black.
    public static func progressPalette() -> [RGB] {
        var p = (0..<240).map { i -> RGB in let g = UInt8((i * 255 + 119) / 239); return RGB(g, g, g) }
        for colour in [ValidationSnapshot.referenceColour, ValidationSnapshot.predictionColour] {
            for k in 1...6 { p.append(TrainingProgress.shade(colour, class: k)) }
        }
        while p.count < 256 { p.append(.black) }
        return p
    }

    /// Maps RGB pixels to the nearest palette entry (squared RGB distance; exact colours first), caching per colour.
    public struct Quantizer {
        let palette: [RGB]
        private var cache: [UInt32: UInt8] = [:]

        public init(palette: [RGB]) {
            self.palette = palette
            for (i, c) in palette.enumerated().reversed() { cache[Quantizer.key(c.r, c.g, c.b)] = UInt8(i) }
        }

        static func key(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt32 { UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b) }

        /// Palette indices of an RGB image (row-major).
        public mutating func indices(_ image: PixelImage) -> [UInt8] {
            precondition(image.channels == 3, "GIF.Quantizer: RGB images only")
            var out = [UInt8](repeating: 0, count: image.width * image.height)
            for i in 0..<out.count {
                let r = image.pixels[3 * i], g = image.pixels[3 * i + 1], b = image.pixels[3 * i + 2]
                let k = Quantizer.key(r, g, b)
                if let v = cache[k] { out[i] = v; continue }
                var best = 0, bestD = Int.max
                for (j, c) in palette.enumerated() {
                    let d = (Int(c.r) - Int(r)) * (Int(c.r) - Int(r)) + (Int(c.g) - Int(g)) * (Int(c.g) - Int(g)) + (Int(c.b) - Int(b)) * (Int(c.b) - Int(b))
                    if d < bestD { bestD = d; best = j }
                }
                cache[k] = UInt8(best)
                out[i] = UInt8(best)
            }
            return out
        }
    }
}

