import Foundation

/// A scalar or multi-channel image on a voxel grid, with its world geometry.
///
/// Layout (NIfTI's own order, kept on purpose):
/// - `shape = [nx, ny, nz]` or `[nx, ny, nz, nc]` (a 2D image has `nz == 1`; the 4th NIfTI dimension is
///   the channel axis, as in multi-modal MSD tasks).
/// - `data` is flat with x fastest: index `x + nx*(y + ny*(z + nz*c))`. That is exactly row-major
///   `[C, D=nz, H=ny, W=nx]`, so turning a volume into an engine `N,C,D,H,W` tensor is a reshape.
/// - Values are Float32 after `scl_slope`/`scl_inter` (CT in HU, labels as small integers).
public struct Volume: Sendable, Equatable {
    /// `[nx, ny, nz]` or `[nx, ny, nz, nc]`, voxels.
    public var shape: [Int]
    /// Flat voxel values, x fastest (see the type documentation).
    public var data: [Float]
    /// Where the grid sits in the world (affine, spacing, qform/sform codes).
    public var geometry: Geometry

    /// Makes a volume; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float], geometry: Geometry) {
        precondition(shape.count == 3 || shape.count == 4, "Volume shape must be [nx,ny,nz(,nc)], got \(shape)")
        precondition(data.count == shape.reduce(1, *), "Volume: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
        self.geometry = geometry
    }

    /// A zero-filled volume of `shape` with `geometry`.
    public init(zeros shape: [Int], geometry: Geometry) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)), geometry: geometry)
    }

    /// Spatial size `(nx, ny, nz)` in voxels.
    public var spatialShape: [Int] { Array(shape.prefix(3)) }
    /// Number of channels (1 for a 3D file).
    public var channels: Int { shape.count == 4 ? shape[3] : 1 }
    /// Voxels per channel, `nx*ny*nz`.
    public var voxelsPerChannel: Int { shape[0] * shape[1] * shape[2] }
    /// Voxel spacing in mm, `(x, y, z)` order.
    public var spacing: [Double] { geometry.spacing }
    /// Voxel-to-world (RAS+, mm) 4x4 affine, nibabel's choice (see `Geometry.affine`).
    public var affine: [[Double]] { geometry.affine }

    /// Channel `c` as a 3D volume with the same geometry.
    public func channel(_ c: Int) -> Volume {
        let n = voxelsPerChannel
        return Volume(shape: spatialShape, data: Array(data[(c * n)..<((c + 1) * n)]), geometry: geometry)
    }

    /// The same grid and geometry holding `newData` (e.g. a label map predicted for this image).
    public func with(data newData: [Float], channels nc: Int = 1) -> Volume {
        Volume(shape: nc == 1 ? spatialShape : spatialShape + [nc], data: newData, geometry: geometry)
    }

    /// Minimum, maximum and mean of all values (NaN-free data assumed; Double accumulation).
    public var statistics: (min: Float, max: Float, mean: Double) {
        var lo = Float.infinity, hi = -Float.infinity, sum = 0.0
        data.withUnsafeBufferPointer { p in
            for v in p { lo = Swift.min(lo, v); hi = Swift.max(hi, v); sum += Double(v) }
        }
        return (lo, hi, data.isEmpty ? 0 : sum / Double(data.count))
    }
}
