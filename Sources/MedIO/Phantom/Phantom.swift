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
}

/// Deterministic synthetic abdominal CT phantoms with realistic nuisances.
///
/// Each case draws (from `seed` and the case index only): voxel spacing (in-plane 2.3-2.9 mm, slices
/// 3.5-5.5 mm: anisotropic), a body outline with a subcutaneous fat layer of random thickness, muscle wall,
/// mesenteric fat and bowel loops (some with gas), kidneys, stomach with gas, aorta and IVC, liver, spleen
/// (the spleen is as bright as the liver: the two overlap in HU), vertebra and ribs (bone); a random
/// pose (rotation about z, tilt, shift) and random organ shapes; then partial-volume blur, a smooth bias
/// field and Gaussian noise (8-25 HU). The affine is `diag(-sx, -sy, sz)` (DICOM-like LPS voxel axes) with
/// the grid centred near the target organ, so readers must honour the affine to place labels correctly.
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

    private struct Paint {
        var shape: PhantomShape
        var hu: Float
        var label: UInt8
        /// Only paint where the label map already holds this value (lesions inside the liver).
        var onlyInside: UInt8?
    }

    /// Generates case `index` of the dataset with `seed`.
    public func generate(seed: UInt64, index: Int) -> PhantomCase {
        var rng = PhantomRNG(seed: seed, stream: UInt64(index) + 1)
        let nx = shape[0], ny = shape[1], nz = shape[2]
        let is2D = nz == 1
        let sxy = rng.uniform(2.3, 2.9)
        let sz: Float = is2D ? 5 : rng.uniform(3.5, 5.5)
        func jitter(_ a: Float) -> Float { rng.uniform(-a, a) }

        // Body and tissue intensities (HU) for this case.
        let bodyRx = rng.uniform(135, 165), bodyRy = rng.uniform(100, 122)
        let s = bodyRx / 150
        let fatT = rng.uniform(8, 28)
        let fatHU = rng.uniform(-115, -85), muscleHU = rng.uniform(35, 60), cavityHU = rng.uniform(10, 35)
        let liverHU = rng.uniform(90, 125), spleenHU = liverHU + rng.uniform(-12, 18)
        let kidneyHU = rng.uniform(135, 190), aortaHU = rng.uniform(130, 220), ivcHU = rng.uniform(100, 150)
        let bowelHU = rng.uniform(25, 70), stomachHU = rng.uniform(5, 35)
        let cortexHU = rng.uniform(450, 900), marrowHU = rng.uniform(150, 300)

        var paints: [Paint] = []
        func blob(_ c: SIMD3<Float>, _ r: SIMD3<Float>, pert: Float, angle: Float = 0, tilt: Float = 0) -> PhantomShape {
            var sh = PhantomShape(centre: c, radii: r)
            var p = SIMD8<Float>.zero
            for k in 0..<8 { p[k] = rng.uniform(-pert, pert) }
            sh.pert = p
            sh.rotate(z: angle, x: tilt)
            return sh
        }
        func cyl(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, pert: Float) -> PhantomShape {
            var sh = blob(SIMD3(cx, cy, 0), SIMD3(rx, ry, 1), pert: pert)
            sh.pert[1] = 0; sh.pert[2] = 0; sh.pert[4] = 0; sh.pert[5] = 0
            sh.cylinder = true
            return sh
        }
        paints.append(Paint(shape: cyl(0, 0, bodyRx, bodyRy, pert: 0.04), hu: fatHU, label: 0))
        paints.append(Paint(shape: cyl(0, jitter(4), bodyRx - fatT, bodyRy - fatT * 0.8, pert: 0.03), hu: muscleHU, label: 0))
        let cavRx = bodyRx - fatT - 12, cavRy = bodyRy - fatT * 0.8 - 10
        paints.append(Paint(shape: cyl(0, 4, cavRx, cavRy, pert: 0.03), hu: cavityHU, label: 0))
        // Mesenteric fat and bowel loops (some with gas) fill the anterior abdomen.
        for _ in 0..<7 {
            let c = SIMD3<Float>(jitter(cavRx * 0.7), rng.uniform(-10, cavRy * 0.8), jitter(120))
            paints.append(Paint(shape: blob(c, SIMD3(repeating: rng.uniform(15, 35)), pert: 0.2), hu: fatHU + 15, label: 0))
        }
        for _ in 0..<10 {
            let c = SIMD3<Float>(jitter(cavRx * 0.75), rng.uniform(-20, cavRy * 0.85), jitter(130))
            let r = rng.uniform(10, 24)
            paints.append(Paint(shape: blob(c, SIMD3(r, r * rng.uniform(0.7, 1.3), r * 1.5), pert: 0.15, angle: jitter(3)),
                                hu: bowelHU + jitter(15), label: 0))
            if rng.unit() < 0.35 {
                paints.append(Paint(shape: blob(c + SIMD3(0, r * 0.4, 0), SIMD3(repeating: r * 0.45), pert: 0.1), hu: -850, label: 0))
            }
        }
        // Kidneys (bright, posterior), stomach (left, with gas), great vessels.
        for side: Float in [-1, 1] {
            let c = SIMD3<Float>(side * 68 * s + jitter(8), -48 * s + jitter(6), -35 + jitter(15))
            var k = blob(c, SIMD3(27, 21, 48) * s * rng.uniform(0.85, 1.15), pert: 0.08, angle: side * 0.4 + jitter(0.2))
            k.bite = (SIMD3(-side * 1.0, 0.2, 0), SIMD3(0.45, 0.4, 0.5))
            paints.append(Paint(shape: k, hu: kidneyHU + jitter(10), label: 0))
        }
        let stomachC = SIMD3<Float>(-45 * s + jitter(10), 35 * s + jitter(10), 45 + jitter(15))
        paints.append(Paint(shape: blob(stomachC, SIMD3(48, 34, 50) * s * rng.uniform(0.8, 1.2), pert: 0.15, angle: jitter(0.4)),
                            hu: stomachHU, label: 0))
        paints.append(Paint(shape: blob(stomachC + SIMD3(0, 20 * s, 15), SIMD3(22, 12, 20) * s, pert: 0.1), hu: -870, label: 0))
        paints.append(Paint(shape: cyl(-14 * s + jitter(3), -42 * s + jitter(4), 11, 11, pert: 0.05), hu: aortaHU, label: 0))
        paints.append(Paint(shape: cyl(22 * s + jitter(3), -35 * s + jitter(4), 12, 9, pert: 0.08), hu: ivcHU, label: 0))
        // Liver (right), lesions inside it, spleen (left, posterior-lateral, crescent shaped).
        let liverC = SIMD3<Float>(68 * s + jitter(10), 2 * s + jitter(10), 30 + jitter(15))
        var liver = blob(liverC, SIMD3(78, 72, 75) * s * SIMD3(rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15)),
                         pert: 0.12, angle: jitter(0.25), tilt: jitter(0.15))
        liver.bite = (SIMD3(-1.05 + jitter(0.1), -0.35 + jitter(0.15), -0.6 + jitter(0.2)), SIMD3(0.75, 0.8, 0.75))
        paints.append(Paint(shape: liver, hu: liverHU, label: kind == .liver ? 1 : 0))
        var lesionCentres: [SIMD3<Float>] = []
        if kind == .liver {
            let count = 1 + Int(rng.unit() * 3)
            for _ in 0..<count {
                var q = SIMD3<Float>(jitter(0.6), jitter(0.6), jitter(0.6))
                while (q * q).sum() > 0.36 || liver.bite.map({ b in (((q - b.0) / b.1) * ((q - b.0) / b.1)).sum() < 1.4 }) == true {
                    q = SIMD3<Float>(jitter(0.6), jitter(0.6), jitter(0.6))
                }
                // local -> frame: transpose of the rotation rows
                let l = q * liver.radii
                let c = liver.centre + liver.rot.0 * l.x + liver.rot.1 * l.y + liver.rot.2 * l.z
                lesionCentres.append(c)
                let r = rng.uniform(7, 22)
                paints.append(Paint(shape: blob(c, SIMD3(r, r, r) * SIMD3(rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2), 1), pert: 0.15),
                                    hu: liverHU - rng.uniform(25, 65), label: 2, onlyInside: 1))
            }
        }
        let spleenC = SIMD3<Float>(-88 * s + jitter(12), -26 * s + jitter(12), 42 + jitter(15))
        var spleen = blob(spleenC, SIMD3(30, 50, 50) * s * SIMD3(rng.uniform(0.75, 1.25), rng.uniform(0.75, 1.25), rng.uniform(0.75, 1.25)),
                          pert: 0.12, angle: rng.uniform(0.3, 0.9), tilt: jitter(0.2))
        spleen.bite = (SIMD3(1.1 + jitter(0.15), jitter(0.2), jitter(0.2)), SIMD3(0.7, 0.75, 0.9))
        paints.append(Paint(shape: spleen, hu: spleenHU, label: kind == .spleen ? 1 : 0))
        // Bone: vertebra (cortex + marrow + spinous process) and rib cross-sections in the body wall.
        let spineY = -(bodyRy - fatT) + 32 * s
        paints.append(Paint(shape: cyl(0, spineY, 20 * s, 17 * s, pert: 0.03), hu: cortexHU, label: 0))
        paints.append(Paint(shape: cyl(0, spineY, 15 * s, 12 * s, pert: 0.03), hu: marrowHU, label: 0))
        paints.append(Paint(shape: cyl(0, spineY - 24 * s, 5 * s, 11 * s, pert: 0.05), hu: cortexHU, label: 0))
        for level in 0..<5 {
            for side: Float in [-1, 1] {
                for a in [0.35, 0.75, 1.15, 1.55, 2.0] as [Float] {
                    let ang = a + jitter(0.08)
                    let c = SIMD3<Float>(side * (cavRx + 7) * cosf(ang - 0.2), (cavRy + 6) * sinf(ang - 0.2) * -1 * 0.9,
                                         Float(level - 2) * 38 + 15 + jitter(5))
                    paints.append(Paint(shape: blob(c, SIMD3(6, 6, 9), pert: 0.1), hu: cortexHU * 0.8, label: 0))
                }
            }
        }

        // Pose and grid placement.
        let poseAngle = jitter(0.17), poseTilt = jitter(0.05)
        let poseShift = SIMD3<Float>(jitter(15), jitter(15), jitter(10))
        var pose = PhantomShape(centre: poseShift, radii: SIMD3(repeating: 1))
        pose.rotate(z: poseAngle, x: poseTilt)
        let target: SIMD3<Float>
        if is2D {
            let t = kind == .liver ? (lesionCentres.first ?? liverC) : spleenC
            target = SIMD3(0, 0, t.z + jitter(kind == .liver ? 4 : 12))
        } else {
            target = SIMD3(0, 0, (kind == .liver ? liverC.z : spleenC.z) * 0.6 + jitter(15))
        }
        // world = R^T frame + shift, so frame = R (world - shift); grid centre follows the target's world z.
        let targetWorld = pose.rot.0 * target.x + pose.rot.1 * target.y + pose.rot.2 * target.z + poseShift
        let ox = sxy * Float(nx - 1) / 2, oy = sxy * Float(ny - 1) / 2
        let oz = targetWorld.z - sz * Float(nz - 1) / 2
        let affine: [[Double]] = [[Double(-sxy), 0, 0, Double(ox)], [0, Double(-sxy), 0, Double(oy)],
                                  [0, 0, Double(sz), Double(oz)], [0, 0, 0, 1]]

        let n = nx * ny * nz
        var hu = [Float](repeating: -1000, count: n)
        var lab = [UInt8](repeating: 0, count: n)
        hu.withUnsafeMutableBufferPointer { H in
            lab.withUnsafeMutableBufferPointer { L in
                for p in paints {
                    // Voxel bounding box of the shape (frame box corners -> world -> voxel indices).
                    var lo = SIMD3<Float>(repeating: .infinity), hi = SIMD3<Float>(repeating: -.infinity)
                    let reach = p.shape.reach + 2
                    for corner in 0..<8 {
                        let d = SIMD3<Float>(corner & 1 == 0 ? -reach : reach, corner & 2 == 0 ? -reach : reach,
                                             corner & 4 == 0 ? -reach : reach)
                        let f = p.shape.centre + d
                        let w = pose.rot.0 * f.x + pose.rot.1 * f.y + pose.rot.2 * f.z + poseShift
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
                                let w = SIMD3<Float>(ox - sxy * Float(i), wy, wz) - poseShift
                                let f = SIMD3<Float>((pose.rot.0 * w).sum(), (pose.rot.1 * w).sum(), (pose.rot.2 * w).sum())
                                guard p.shape.contains(f) else { continue }
                                if let only = p.onlyInside, L[row + i] != only { continue }
                                H[row + i] = p.hu
                                L[row + i] = p.label
                            }
                        }
                    }
                }
                PhantomNuisance.blur(H, nx: nx, ny: ny, nz: nz)
                PhantomNuisance.biasAndNoise(H, nx: nx, ny: ny, nz: nz, rng: &rng)
            }
        }
        let geometry = Geometry(affine: affine)
        return PhantomCase(image: Volume(shape: [nx, ny, nz], data: hu, geometry: geometry),
                           label: Volume(shape: [nx, ny, nz], data: lab.map(Float.init), geometry: geometry))
    }
}
