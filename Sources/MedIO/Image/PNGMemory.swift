import CPNG
import Foundation

extension PNG {
    /// The PNG file bytes of `image` (8-bit grey, RGB or RGBA by `channels`), encoded in memory (for TensorBoard
    /// image summaries). `name` appears in errors.
    public static func encode(_ image: PixelImage, name: String = "<image>") throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else { throw MedIOError(name, "cannot encode an empty \(image.width)x\(image.height) image") }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = image.channels == 1 ? UInt32(PNG_FORMAT_GRAY)
            : image.channels == 3 ? UInt32(PNG_FORMAT_FLAG_COLOR) : UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        let stride = Int32(image.width * image.channels)
        // First call sizes the buffer, second writes it.
        var size = 0
        var ok = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard ok != 0, size > 0 else { png_image_free(&png); throw MedIOError(name, "could not encode PNG (libpng error)") }
        var out = [UInt8](repeating: 0, count: size)
        ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok != 0 else { png_image_free(&png); throw MedIOError(name, "could not encode PNG (libpng error)") }
        return Array(out.prefix(size))
    }
}
