/// Maps a scalar in [0, 1] to an 8-bit RGB colour.
///
/// `viridis` and `inferno` interpolate linearly between the 9 reference colours of the perceptually
/// uniform palettes (the 9-step palettes published with viridisLite); `gray` is linear.
public enum Colormap: String, CaseIterable, Sendable {
    /// Black (0) to white (1).
    case gray
    /// Dark purple -> teal -> yellow.
    case viridis
    /// Black -> purple -> orange -> pale yellow.
    case inferno

    private static let viridisStops: [(UInt8, UInt8, UInt8)] = [
        (68, 1, 84), (71, 45, 123), (59, 82, 139), (44, 114, 142), (33, 145, 140),
        (40, 174, 128), (94, 201, 98), (173, 220, 48), (253, 231, 37),
    ]
    private static let infernoStops: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 4), (31, 12, 72), (85, 15, 109), (136, 34, 106), (186, 54, 85),
        (227, 89, 51), (249, 142, 9), (249, 203, 53), (252, 255, 164),
    ]

    /// The colour of `t` (clamped to [0, 1]; NaN maps to 0).
    public func rgb(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let u = t.isNaN ? 0 : min(max(t, 0), 1)
        switch self {
        case .gray:
            let g = UInt8((u * 255).rounded())
            return (g, g, g)
        case .viridis: return Self.interpolate(Self.viridisStops, u)
        case .inferno: return Self.interpolate(Self.infernoStops, u)
        }
    }

    private static func interpolate(_ stops: [(UInt8, UInt8, UInt8)], _ u: Float) -> (UInt8, UInt8, UInt8) {
        let x = u * Float(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Float(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Float(p) + (Float(q) - Float(p)) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Renders row-major `values` (`height` rows of `width`) as an RGB image, mapping `window.lo...window.hi`
    /// to [0, 1] (e.g. a CT window in HU).
    public func render(_ values: [Float], width: Int, height: Int, window: (lo: Float, hi: Float)) -> PixelImage {
        precondition(values.count == width * height, "render: \(values.count) values for \(width)x\(height)")
        var px = [UInt8](repeating: 0, count: width * height * 3)
        let scale = window.hi > window.lo ? 1 / (window.hi - window.lo) : 0
        for i in 0..<values.count {
            let (r, g, b) = rgb((values[i] - window.lo) * scale)
            px[3 * i] = r; px[3 * i + 1] = g; px[3 * i + 2] = b
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: px)
    }
}

/// Distinct colours for label values: 0 = background (black), then red, green, blue, yellow, cyan, magenta,
/// orange, purple, ... cycling after 12.
public enum LabelPalette {
    static let colours: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (60, 180, 75), (0, 130, 200), (255, 225, 25), (70, 240, 240), (240, 50, 230),
        (245, 130, 48), (145, 30, 180), (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40),
    ]

    /// The RGB colour of label `label` (0 is black).
    public static func rgb(_ label: Int) -> (UInt8, UInt8, UInt8) {
        label <= 0 ? (0, 0, 0) : colours[(label - 1) % colours.count]
    }

    /// Renders a row-major label map as RGB.
    public static func render(_ labels: [Int], width: Int, height: Int) -> PixelImage {
        precondition(labels.count == width * height, "render: \(labels.count) labels for \(width)x\(height)")
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<labels.count {
            let (r, g, b) = rgb(labels[i])
            px[3 * i] = r; px[3 * i + 1] = g; px[3 * i + 2] = b
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: px)
    }
}
