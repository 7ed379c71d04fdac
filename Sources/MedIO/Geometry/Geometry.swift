import Foundation

/// Where a voxel grid sits in the world, as NIfTI stores it.
///
/// Matrices are 4x4 row-major `[[Double]]` mapping voxel indices `(i, j, k, 1)` to world RAS+ millimetres,
/// as in nibabel. `affine` follows nibabel's rule: the sform if `sformCode > 0`, else the qform if
/// `qformCode > 0`, else the pixdim scaling (x flipped, grid centred on the origin).
public struct Geometry: Sendable, Equatable {
    /// Voxel -> world (RAS+, mm) transform chosen by nibabel's rule.
    public var affine: [[Double]]
    /// Voxel size in mm, `(x, y, z)` = NIfTI `pixdim[1...3]`.
    public var spacing: [Double]
    /// NIfTI `qform_code` (0 = no qform).
    public var qformCode: Int
    /// NIfTI `sform_code` (0 = no sform).
    public var sformCode: Int
    /// The qform as a 4x4 matrix (meaningful when `qformCode > 0`).
    public var qform: [[Double]]
    /// The sform as a 4x4 matrix (meaningful when `sformCode > 0`).
    public var sform: [[Double]]

    /// Geometry with every field given (as read from a NIfTI header).
    public init(affine: [[Double]], spacing: [Double], qformCode: Int, sformCode: Int,
                qform: [[Double]], sform: [[Double]]) {
        self.affine = affine
        self.spacing = spacing
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.qform = qform
        self.sform = sform
    }

    /// Geometry of a new image: `affine` stored as both qform and sform (code 1, scanner), spacing = the
    /// lengths of the affine's first three columns (mm).
    public init(affine: [[Double]]) {
        let sp = (0..<3).map { c in (0..<3).map { r in affine[r][c] * affine[r][c] }.reduce(0, +).squareRoot() }
        self.init(affine: affine, spacing: sp, qformCode: 1, sformCode: 1, qform: affine, sform: affine)
    }

    /// An axis-aligned RAS+ grid: `spacing` in mm `(x, y, z)` and the world position of voxel (0,0,0).
    public init(spacing: [Double], origin: [Double] = [0, 0, 0]) {
        var a = Affine.identity
        for d in 0..<3 { a[d][d] = spacing[d]; a[d][3] = origin[d] }
        self.init(affine: a)
    }

    /// nibabel's fallback affine from pixdim alone (`shape_zoom_affine` with x flipped): diagonal
    /// `(-dx, dy, dz)` and the grid centre at world (0,0,0). `shape` and `zooms` are (x, y, z).
    public static func pixdimAffine(shape: [Int], zooms: [Double]) -> [[Double]] {
        var a = Affine.identity
        for d in 0..<3 {
            let z = d == 0 ? -zooms[d] : zooms[d]
            let origin = Double(shape[d] - 1) / 2
            a[d][d] = z
            a[d][3] = -origin * z
        }
        return a
    }

    /// The same world placement for a grid whose voxels are `factor[d]` times larger along axis d and
    /// whose voxel (0,0,0) centre sits at old continuous index `offset` (used by resampling and resizing).
    public func scaled(by factor: [Double], offset: [Double] = [0, 0, 0]) -> Geometry {
        var m = Affine.identity
        for d in 0..<3 { m[d][d] = factor[d]; m[d][3] = offset[d] }
        let a = Affine.multiply(affine, m)
        var g = Geometry(affine: a)
        g.qformCode = qformCode > 0 ? qformCode : 1
        g.sformCode = sformCode > 0 ? sformCode : 1
        return g
    }
}

/// Small 4x4 matrix helpers for affines (row-major `[[Double]]`).
public enum Affine {
    /// The 4x4 identity.
    public static var identity: [[Double]] { (0..<4).map { r in (0..<4).map { c in r == c ? 1 : 0 } } }

    /// `a * b` for 4x4 matrices.
    public static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        (0..<4).map { r in (0..<4).map { c in (0..<4).reduce(0.0) { $0 + a[r][$1] * b[$1][c] } } }
    }

    /// Applies the affine to point `p` (3 coordinates).
    public static func apply(_ a: [[Double]], _ p: [Double]) -> [Double] {
        (0..<3).map { r in a[r][0] * p[0] + a[r][1] * p[1] + a[r][2] * p[2] + a[r][3] }
    }

    /// Inverse of a 4x4 matrix by Gauss-Jordan elimination with partial pivoting; nil if singular.
    public static func inverse(_ m: [[Double]]) -> [[Double]]? {
        var a = m.map { $0 + [0, 0, 0, 0] }
        for i in 0..<4 { a[i][4 + i] = 1 }
        for col in 0..<4 {
            var piv = col
            for r in col..<4 where abs(a[r][col]) > abs(a[piv][col]) { piv = r }
            guard abs(a[piv][col]) > 1e-12 else { return nil }
            a.swapAt(col, piv)
            let p = a[col][col]
            for c in 0..<8 { a[col][c] /= p }
            for r in 0..<4 where r != col {
                let f = a[r][col]
                if f != 0 { for c in 0..<8 { a[r][c] -= f * a[col][c] } }
            }
        }
        return a.map { Array($0[4..<8]) }
    }

    /// Largest absolute elementwise difference between two 4x4 matrices.
    public static func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        var m = 0.0
        for r in 0..<4 { for c in 0..<4 { m = max(m, abs(a[r][c] - b[r][c])) } }
        return m
    }
}
