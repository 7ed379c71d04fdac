import AtomicIO
import CPNG
import Foundation

/// An 8-bit image in memory: `height` rows of `width` pixels, each `channels` bytes (1 gray, 3 RGB, 4 RGBA).
///
/// `pixels` is row-major from the top row down, channels interleaved: index `(row*width + col)*channels + c`.
public struct PixelImage: Sendable, Equatable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// 1 (gray), 3 (RGB) or 4 (RGBA).
    public var channels: Int
    /// `width*height*channels` bytes, top row first.
    public var pixels: [UInt8]

    /// Makes an image; `pixels.count` must be `width*height*channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition([1, 3, 4].contains(channels), "PixelImage: channels must be 1, 3 or 4")
        precondition(pixels.count == width * height * channels, "PixelImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A blank (zero) image.
    public init(width: Int, height: Int, channels: Int) {
        self.init(width: width, height: height, channels: channels, pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// The pixel at `(row, col)` as `channels` bytes.
    public subscript(row: Int, col: Int) -> [UInt8] {
        let o = (row * width + col) * channels
        return Array(pixels[o..<(o + channels)])
    }

    /// Places `other` (same channel count) with its top-left corner at `(row, col)`; parts outside are dropped.
    public mutating func paste(_ other: PixelImage, row: Int, col: Int) {
        precondition(other.channels == channels, "paste: channel counts differ")
        for r in 0..<other.height where row + r >= 0 && row + r < height {
            for c in 0..<other.width where col + c >= 0 && col + c < width {
                let s = (r * other.width + c) * channels, d = ((row + r) * width + col + c) * channels
                for k in 0..<channels { pixels[d + k] = other.pixels[s + k] }
            }
        }
    }
}

/// PNG files through libpng's simplified API (`png_image_*`): 8-bit gray, RGB and RGBA.
public enum PNG {
    private static func format(_ channels: Int) -> UInt32 {
        switch channels {
        case 1: return UInt32(PNG_FORMAT_GRAY)
        case 3: return UInt32(PNG_FORMAT_FLAG_COLOR)
        default: return UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        }
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Writes `image` to `path` atomically (`AtomicWrite`: a temporary file flushed and renamed into place).
    public static func write(_ image: PixelImage, to path: String) throws {
        guard image.width > 0, image.height > 0 else { throw MedIOError(path, "cannot write an empty \(image.width)x\(image.height) image") }
        let url = URL(fileURLWithPath: path)
        let tmp = AtomicWrite.temporaryURLKeepingExtension(for: url).path
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = format(image.channels)
        let ok = image.pixels.withUnsafeBytes { buf in
            png_image_write_to_file(&png, tmp, 0, buf.baseAddress, Int32(image.width * image.channels), nil)
        }
        guard ok != 0 else {
            let full = errno == ENOSPC || errno == EDQUOT  // libpng's fwrite failed on a full disk: say so, like every writer
            let why = full ? "no space left on device" : message(&png)
            png_image_free(&png)
            try? FileManager.default.removeItem(atPath: tmp)
            throw MedIOError(path, full ? why : "could not write PNG: \(why.isEmpty ? "libpng error" : why)")
        }
        do { try AtomicWrite.place(URL(fileURLWithPath: tmp), at: url) } catch let f as AtomicWrite.Failure {
            throw MedIOError(path, f.noSpace ? "no space left on device" : "could not move the written PNG into place: \(f.reason)")
        }
    }

    /// Reads a PNG, converted by libpng to 8-bit with `channels` (1, 3 or 4) per pixel.
    public static func read(_ path: String, channels: Int = 4) throws -> PixelImage {
        guard FileManager.default.fileExists(atPath: path) else { throw MedIOError(path, "no such file") }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&png, path) != 0 else {
            let why = message(&png)
            png_image_free(&png)
            throw MedIOError(path, "not a readable PNG: \(why)")
        }
        png.format = format(channels)
        let w = Int(png.width), h = Int(png.height)
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        let ok = pixels.withUnsafeMutableBytes { buf in
            png_image_finish_read(&png, nil, buf.baseAddress, Int32(w * channels), nil)
        }
        guard ok != 0 else {
            let why = message(&png)
            png_image_free(&png)
            throw MedIOError(path, "corrupt PNG: \(why)")
        }
        return PixelImage(width: w, height: h, channels: channels, pixels: pixels)
    }
}
