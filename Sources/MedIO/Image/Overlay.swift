/// A 2D slice for display: `height` rows of `width` values, row-major, top row first.
public struct Slice: Sendable, Equatable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// `width*height` values (HU, probabilities, labels, ...).
    public var values: [Float]

    /// Makes a slice; `values.count` must be `width*height`.
    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "Slice: \(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// The values rounded to integer labels.
    public var labels: [Int] { values.map { Int($0.rounded()) } }
}

extension Volume {
    /// Axial slice `z` of channel `channel` for display in the radiological convention: rows = y flipped so that
    /// +y is at the top, columns = x flipped so that +x is on the left. For a RAS-aligned volume (reorient to RAS
    /// first, `reorientedToRAS()`) that is anterior up and the patient's right on the viewer's left (the patient's
    /// left on the viewer's right), as a radiologist reads an axial CT slice from the feet.
    public func axialSlice(_ z: Int, channel: Int = 0) -> Slice {
        let nx = shape[0], ny = shape[1], nz = shape[2]
        precondition(z >= 0 && z < nz && channel >= 0 && channel < channels, "axialSlice: index out of range")
        var out = [Float](repeating: 0, count: nx * ny)
        let base = (channel * nz + z) * nx * ny
        for y in 0..<ny {
            let row = ny - 1 - y
            for x in 0..<nx { out[row * nx + (nx - 1 - x)] = data[base + y * nx + x] }
        }
        return Slice(width: nx, height: ny, values: out)
    }
}

extension PixelImage {
    /// Nearest-neighbour enlargement by an integer `factor` (for small phantom slices in reports).
    public func scaled(by factor: Int) -> PixelImage {
        guard factor > 1 else { return self }
        let w = width * factor, h = height * factor
        var px = [UInt8](repeating: 0, count: w * h * channels)
        for r in 0..<h {
            for c in 0..<w {
                let s = ((r / factor) * width + c / factor) * channels, d = (r * w + c) * channels
                for k in 0..<channels { px[d + k] = pixels[s + k] }
            }
        }
        return PixelImage(width: w, height: h, channels: channels, pixels: px)
    }
}

/// Label overlays: translucent label colours over an RGB image, plus opaque contour lines.
public enum Overlay {
    /// Blends `labels` (row-major, same size as `base`) over the RGB `base`: each labelled pixel (label > 0)
    /// becomes `(1-alpha)*base + alpha*colour` (`LabelPalette`); with `contours`, label pixels that touch a
    /// pixel of another label (4-neighbourhood; the image border does not count) get the opaque label colour.
    public static func blend(base: PixelImage, labels: [Int], alpha: Float = 0.35, contours: Bool = true) -> PixelImage {
        precondition(base.channels == 3, "Overlay.blend: base must be RGB")
        precondition(labels.count == base.width * base.height, "Overlay.blend: label map size differs from image")
        var out = base
        let w = base.width, h = base.height
        for r in 0..<h {
            for c in 0..<w {
                let i = r * w + c
                let l = labels[i]
                guard l > 0 else { continue }
                let (cr, cg, cb) = LabelPalette.rgb(l)
                var edge = false
                if contours {
                    if r > 0 && labels[i - w] != l { edge = true }
                    if r < h - 1 && labels[i + w] != l { edge = true }
                    if c > 0 && labels[i - 1] != l { edge = true }
                    if c < w - 1 && labels[i + 1] != l { edge = true }
                }
                let a: Float = edge ? 1 : alpha
                let col = [cr, cg, cb]
                for k in 0..<3 {
                    let v = (1 - a) * Float(base.pixels[3 * i + k]) + a * Float(col[k])
                    out.pixels[3 * i + k] = UInt8(min(max(v.rounded(), 0), 255))
                }
            }
        }
        return out
    }

    /// Grey image slice (window in the slice's units, e.g. HU) with `labels` blended on top.
    public static func render(image: Slice, labels: Slice?, window: (lo: Float, hi: Float),
                              colormap: Colormap = .gray, alpha: Float = 0.35, contours: Bool = true) -> PixelImage {
        let base = colormap.render(image.values, width: image.width, height: image.height, window: window)
        guard let labels else { return base }
        return blend(base: base, labels: labels.labels, alpha: alpha, contours: contours)
    }
}
