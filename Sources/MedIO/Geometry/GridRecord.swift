/// Everything needed to bring a network-grid volume (e.g. a prediction) back onto an original image's
/// grid: its shape, geometry and voxel orientation.
public struct GridRecord: Sendable, Equatable {
    /// Original volume shape `[nx, ny, nz(, nc)]`.
    public var originalShape: [Int]
    /// Original geometry (affine, pixdim, qform/sform and codes), copied back verbatim on export.
    public var originalGeometry: Geometry
    /// Orientation of the original voxel axes (`.ras` if no reorientation was done).
    public var orientation: Orientation
    /// Spatial shape in RAS voxel order, before resizing.
    public var rasShape: [Int]

    /// Creates a record (see `toNetworkGrid` for the usual way to get one).
    public init(originalShape: [Int], originalGeometry: Geometry, orientation: Orientation, rasShape: [Int]) {
        self.originalShape = originalShape
        self.originalGeometry = originalGeometry
        self.orientation = orientation
        self.rasShape = rasShape
    }
}

extension Volume {
    /// Prepares a volume for the network: optionally reorients to RAS, then resizes to `shape` (x, y, z;
    /// e.g. `[128, 128, 64]` for the seed workflow's 64x128x128 D,H,W). Returns the record to undo it.
    public func toNetworkGrid(shape target: [Int], interpolation: Interpolation, reorient: Bool = true) -> (volume: Volume, record: GridRecord) {
        let (ras, o) = reorient ? reorientedToRAS() : (self, .ras)
        let rec = GridRecord(originalShape: shape, originalGeometry: geometry, orientation: o, rasShape: ras.spatialShape)
        return (ras.resized(to: target, interpolation: interpolation), rec)
    }

    /// Brings a network-grid volume back: resized to the RAS shape, voxel axes restored, and the original
    /// geometry copied exactly, so the result overlays the original image (ITK-SNAP, 3D Slicer).
    public func restored(with r: GridRecord, interpolation: Interpolation) -> Volume {
        var v = resized(to: r.rasShape, interpolation: interpolation).restoringOrientation(r.orientation)
        v.geometry = r.originalGeometry
        return v
    }
}
