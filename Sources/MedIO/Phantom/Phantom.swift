#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which synthetic task to generate.
public enum PhantomKind: String, CaseIterable, Sendable {
    /// Abdominal CT with one target organ (label 1 = spleen); liver, kidneys and stomach are distractors.
    case spleen
    /// Abdominal CT with liver (label 1) and hypodense lesions inside it (label 2).
    case liver

    /// MSD `labels` names by value.
    public var labelNames: [String] { self == .spleen ? ["background", "spleen"] : ["background", "liver", "lesion"] }
}

/// One synthetic case: a CT image (HU, int16-valued) and its label map on the same grid.
public struct PhantomCase: Sendable {
    /// Image in HU; shape `[nx, ny, nz]`.
    public var image: Volume
    /// Labels (0, 1 or 0, 1, 2), same grid and geometry as `image`.
    public var label: Volume
    /// What was drawn for this case (contrast phase, nominal organ HU, spleen size, noise).
    public var info: PhantomInfo
}

/// The per-case draws behind a phantom, for experiments and tests (not written to the dataset).
public struct PhantomInfo: Sendable {
    /// Contrast phase.
    public var phase: PhantomPhase
    /// Nominal tissue intensities in HU before texture, blur, bias and noise ("spleen", "liver", "kidneyCortex", ...).
    public var tissueHU: [String: Float]
    /// Whether the liver is fatty (darker than usual).
    public var fattyLiver: Bool
    /// Spleen volume relative to an average spleen (~200 ml); log-uniform in [0.5, 2.5].
    public var spleenVolumeFactor: Float = 1
    /// Standard deviation of the added Gaussian noise (HU).
    public var noiseSigma: Float = 0
    /// Slice spacing in 3D, slice thickness in 2D (mm).
    public var sliceThickness: Float = 0
}

/// Deterministic synthetic abdominal CT phantoms with realistic inter-case variability.
///
/// Each case draws (from `seed` and the case index only) its anatomy (`anatomy(_:)`): patient size and fat,
/// field of view (in-plane spacing ~1.8-3.6 mm on a 128 grid), contrast phase (non-contrast, arterial, portal
/// venous, delayed) with per-case organ HU so the spleen is sometimes darker and sometimes brighter than the
/// liver, a spleen whose volume varies 5x (crescent, lobulated or cleft) with stomach, kidney, pancreatic
/// tail, colonic flexure and liver tip touching it, bowel, vessels, vertebra and ribs; then a random pose,
/// slice thickness (2D: averaged over a 1-5 mm slab, labels from its centre; 3D: slices 2.5-6.5 mm apart),
/// partial-volume blur, a smooth bias field and Gaussian noise (4-20 HU). The affine is `diag(-sx, -sy, sz)`
/// (DICOM-like LPS voxel axes) with the grid centred near the target organ, so readers must honour the affine
/// to place labels correctly.
public struct PhantomGenerator: Sendable {
    /// Task kind.
    public var kind: PhantomKind
    /// Grid `[nx, ny, nz]` in voxels (2D: `nz == 1`).
    public var shape: [Int]

    /// A generator; `dims` 3 gives a `128x128x64` grid (x, y, z; the seed workflow's 64x128x128 D,H,W),
    /// `dims` 2 one axial `128x128` slice through the target. `shape` overrides the grid.
    public init(kind: PhantomKind, dims: Int = 3, shape: [Int]? = nil) {
        self.kind = kind
        self.shape = shape ?? (dims == 2 ? [128, 128, 1] : [128, 128, 64])
    }

    /// Generates case `index` of the dataset with `seed`.
    public func generate(seed: UInt64, index: Int) -> PhantomCase {
        var rng = PhantomRNG(seed: seed, stream: UInt64(index) + 1)
        let nx = shape[0], ny = shape[1], nz = shape[2]
        let is2D = nz == 1
        let a = anatomy(&rng)
        let sxy = a.sxy, sz = a.sz

        // Pose and grid placement: world = R^T frame + shift, so frame = R (world - shift); the grid centre
        // follows the target's world z.
        let poseShift = SIMD3<Float>(rng.uniform(-15, 15), rng.uniform(-15, 15), rng.uniform(-10, 10))
        var pose = PhantomShape(centre: poseShift, radii: SIMD3(repeating: 1))
        pose.rotate(z: rng.uniform(-0.2, 0.2), x: rng.uniform(-0.06, 0.06))
        let target = SIMD3<Float>(0, 0, a.targetZ)
        let targetWorld = pose.rot.0 * target.x + pose.rot.1 * target.y + pose.rot.2 * target.z + poseShift
        let ox = sxy * Float(nx - 1) / 2, oy = sxy * Float(ny - 1) / 2
        let oz = targetWorld.z - sz * Float(nz - 1) / 2
        let affine: [[Double]] = [[Double(-sxy), 0, 0, Double(ox)], [0, Double(-sxy), 0, Double(oy)],
                                  [0, 0, Double(sz), Double(oz)], [0, 0, 0, 1]]

        let n = nx * ny * nz
        var hu = [Float](repeating: -1000, count: n)
        var lab = [UInt8](repeating: 0, count: n)
        var ids = [UInt8](repeating: 0, count: n)
        let grid = PhantomGrid(nx: nx, ny: ny, nz: nz, sxy: sxy, sz: sz, ox: ox, oy: oy, oz: oz, pose: pose, shift: poseShift)
        if is2D {
            // A thick slice: average sub-slices across the slab (partial volume); labels from the centre sub-slice.
            let subs = 5
            var sum = [Float](repeating: 0, count: n)
            for k in 0..<subs {
                let dz = sz * (Float(k) + 0.5) / Float(subs) - sz / 2
                var h = [Float](repeating: -1000, count: n), l = [UInt8](repeating: 0, count: n)
                ids = [UInt8](repeating: 0, count: n)
                grid.paint(a.paints, hu: &h, label: &l, ids: &ids, dz: dz)
                for v in 0..<n { sum[v] += h[v] }
                if k == subs / 2 { lab = l }
            }
            for v in 0..<n { hu[v] = sum[v] / Float(subs) }
        } else {
            grid.paint(a.paints, hu: &hu, label: &lab, ids: &ids, dz: 0)
        }
        hu.withUnsafeMutableBufferPointer { H in
            for _ in 0..<a.blurPasses { PhantomNuisance.blur(H, nx: nx, ny: ny, nz: nz) }
            PhantomNuisance.biasAndNoise(H, nx: nx, ny: ny, nz: nz, amplitude: a.biasAmplitude, sigma: a.noiseSigma, rng: &rng)
        }
        let geometry = Geometry(affine: affine)
        return PhantomCase(image: Volume(shape: [nx, ny, nz], data: hu, geometry: geometry),
                           label: Volume(shape: [nx, ny, nz], data: lab.map(Float.init), geometry: geometry), info: a.info)
    }
}

/// The voxel grid of one case in the phantom frame: painting with the pose applied.
struct PhantomGrid {
    var nx: Int, ny: Int, nz: Int
    var sxy: Float, sz: Float, ox: Float, oy: Float, oz: Float
    var pose: PhantomShape
    var shift: SIMD3<Float>

    /// Paints `paints` in order into x-fastest `[nz][ny][nx]` buffers, with every slice moved by `dz` mm along z.
    func paint(_ paints: [PhantomPaint], hu: inout [Float], label: inout [UInt8], ids: inout [UInt8], dz: Float) {
        let oz = self.oz + dz
        hu.withUnsafeMutableBufferPointer { H in
            label.withUnsafeMutableBufferPointer { L in
                ids.withUnsafeMutableBufferPointer { I in
                    for p in paints {
                        // Voxel bounding box of the shape (frame box corners -> world -> voxel indices).
                        var lo = SIMD3<Float>(repeating: .infinity), hi = SIMD3<Float>(repeating: -.infinity)
                        let reach = p.shape.reach + 2
                        for corner in 0..<8 {
                            let d = SIMD3<Float>(corner & 1 == 0 ? -reach : reach, corner & 2 == 0 ? -reach : reach,
                                                 corner & 4 == 0 ? -reach : reach)
                            let f = p.shape.centre + d
                            let w = pose.rot.0 * f.x + pose.rot.1 * f.y + pose.rot.2 * f.z + shift
                            let v = SIMD3<Float>((ox - w.x) / sxy, (oy - w.y) / sxy, (w.z - oz) / sz)
                            lo = pointwiseMin(lo, v); hi = pointwiseMax(hi, v)
                        }
                        let i0 = max(0, Int(floorf(lo.x))), i1 = min(nx - 1, Int(ceilf(hi.x)))
                        let j0 = max(0, Int(floorf(lo.y))), j1 = min(ny - 1, Int(ceilf(hi.y)))
                        var k0 = max(0, Int(floorf(lo.z))), k1 = min(nz - 1, Int(ceilf(hi.z)))
                        if p.shape.cylinder { k0 = 0; k1 = nz - 1 }
                        guard i0 <= i1, j0 <= j1, k0 <= k1 else { continue }
                        for k in k0...k1 {
                            let wz = oz + sz * Float(k)
                            for j in j0...j1 {
                                let wy = oy - sxy * Float(j)
                                let row = (k * ny + j) * nx
                                for i in i0...i1 {
                                    let w = SIMD3<Float>(ox - sxy * Float(i), wy, wz) - shift
                                    let f = SIMD3<Float>((pose.rot.0 * w).sum(), (pose.rot.1 * w).sum(), (pose.rot.2 * w).sum())
                                    guard p.shape.contains(f) else { continue }
                                    if let only = p.onlyInside, I[row + i] != only { continue }
                                    if let w = p.within, !w.contains(f) { continue }
                                    H[row + i] = p.texture.map { p.hu + $0.value(f) } ?? p.hu
                                    L[row + i] = p.label
                                    I[row + i] = p.id
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
