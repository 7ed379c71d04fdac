// Label maps: integer class per voxel on a 2D or 3D grid with physical spacing.

/// A grid geometry: extents and voxel spacing, both in array-axis order.
///
/// - `shape` is `[H, W]` (2D) or `[D, H, W]` (3D); storage is row-major (the last axis varies fastest).
/// - `spacing` is the voxel size in millimetres per axis, in the same order as `shape`
///   (for NIfTI data read as `[D, H, W]` that is the reversed pixdim triple).
public struct GridGeometry: Equatable, Sendable {
    /// Extents per axis, `[H, W]` or `[D, H, W]`.
    public let shape: [Int]
    /// Voxel size in mm per axis, same order as `shape`.
    public let spacing: [Double]

    /// Validates and stores a geometry. Spacing defaults to 1 mm per axis.
    public init(shape: [Int], spacing: [Double]? = nil) throws {
        guard shape.count == 2 || shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw EvaluationError.badShape(shape)
        }
        let sp = spacing ?? [Double](repeating: 1, count: shape.count)
        guard sp.count == shape.count, sp.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw EvaluationError.badSpacing(sp)
        }
        self.shape = shape
        self.spacing = sp
    }

    /// Number of voxels (product of `shape`).
    public var count: Int { shape.reduce(1, *) }
}

/// A segmentation: one class index per voxel (`0` = background), row-major over `geometry.shape`.
public struct LabelMap: Sendable {
    /// Class per voxel, flat row-major `[D*H*W]` or `[H*W]`.
    public let labels: [UInt8]
    /// Grid extents (`[D, H, W]` or `[H, W]`) and spacing in mm in the same order.
    public let geometry: GridGeometry

    /// Wraps flat labels; throws when `labels.count` differs from the product of `shape` or the geometry is invalid.
    public init(labels: [UInt8], shape: [Int], spacing: [Double]? = nil) throws {
        let g = try GridGeometry(shape: shape, spacing: spacing)
        guard labels.count == g.count else {
            throw EvaluationError.sizeMismatch(expected: g.count, got: labels.count, what: "label map")
        }
        self.labels = labels
        self.geometry = g
    }

    /// Grid extents, `[H, W]` or `[D, H, W]`.
    public var shape: [Int] { geometry.shape }
    /// Voxel spacing in mm, same axis order as `shape`.
    public var spacing: [Double] { geometry.spacing }

    /// One-vs-rest mask for class `c`: `true` where the label equals `c`.
    public func mask(of c: UInt8) -> [Bool] { labels.map { $0 == c } }

    /// Largest label present (0 for an all-background map).
    public var maxLabel: UInt8 { labels.max() ?? 0 }
}
