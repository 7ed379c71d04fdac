#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deformed ellipsoid (or elliptic cylinder) in the phantom's frame (mm): the building block of phantoms.
///
/// A point `p` is inside when `|q| < 1 + sum_k a_k * h_k(q/|q|)` with `q = R (p - centre) / radii` and
/// `h_k` low-order polynomials of the direction (smooth random shape), and not inside the optional `bite`
/// ellipsoid (given in `q` coordinates), which carves crescent/wedge shapes such as the spleen's hilum.
struct PhantomShape {
    var centre: SIMD3<Float>
    var radii: SIMD3<Float>
    /// Rows of the rotation taking frame offsets into the shape's local axes.
    var rot: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>) = (SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))
    /// Shape perturbation coefficients (|a_k| small, ~0.1).
    var pert: SIMD8<Float> = .zero
    /// Optional carved-out ellipsoid (centre, radii) in normalised local coordinates.
    var bite: (SIMD3<Float>, SIMD3<Float>)?
    /// A cylinder ignores z (infinite along the local z axis).
    var cylinder = false

    /// Largest extent in mm from the centre (for bounding boxes).
    var reach: Float {
        let m = 1 + abs(pert[0]) + abs(pert[1]) + abs(pert[2]) + abs(pert[3]) + abs(pert[4]) + abs(pert[5]) + abs(pert[6]) + abs(pert[7])
        return (cylinder ? max(radii.x, radii.y) : max(radii.x, radii.y, radii.z)) * m
    }

    /// Rotates the shape by `angle` radians about the frame's z axis and `tilt` about its x axis.
    mutating func rotate(z angle: Float, x tilt: Float) {
        let c = cosf(angle), s = sinf(angle), ct = cosf(tilt), st = sinf(tilt)
        // local = Rx(tilt) * Rz(angle) * offset (rows of the product)
        let rz0 = SIMD3<Float>(c, s, 0), rz1 = SIMD3<Float>(-s, c, 0), rz2 = SIMD3<Float>(0, 0, 1)
        rot = (rz0, ct * rz1 + st * rz2, -st * rz1 + ct * rz2)
    }

    /// Normalised local coordinates of frame point `p`.
    @inline(__always) func local(_ p: SIMD3<Float>) -> SIMD3<Float> {
        let d = p - centre
        var q = SIMD3<Float>((rot.0 * d).sum(), (rot.1 * d).sum(), (rot.2 * d).sum()) / radii
        if cylinder { q.z = 0 }
        return q
    }

    /// Whether normalised local point `q` is inside.
    @inline(__always) func contains(local q: SIMD3<Float>) -> Bool {
        let r2 = (q * q).sum()
        if r2 < 0.3 && bite == nil { return true }
        let r = r2.squareRoot()
        if r > 2 { return false }
        let u = r > 1e-6 ? q / r : SIMD3<Float>(1, 0, 0)
        let h = SIMD8<Float>(u.x * u.y, u.y * u.z, u.x * u.z, u.x * u.x - u.y * u.y, u.z * u.z - 0.333,
                             u.x * u.y * u.z, u.x * (u.x * u.x - 0.6), u.y * (u.y * u.y - 0.6))
        guard r < 1 + (pert * h).sum() else { return false }
        if let (bc, br) = bite {
            let b = (q - bc) / br
            if (b * b).sum() < 1 { return false }
        }
        return true
    }

    /// Whether frame point `p` is inside.
    @inline(__always) func contains(_ p: SIMD3<Float>) -> Bool { contains(local: local(p)) }

    /// Half-width (mm) of the undeformed ellipsoid along the unit frame direction `u` (its support function),
    /// used to place neighbouring organs in contact.
    func extent(along u: SIMD3<Float>) -> Float {
        let l = SIMD3<Float>((rot.0 * u).sum(), (rot.1 * u).sum(), (rot.2 * u).sum()) * radii
        return (l * l).sum().squareRoot()
    }

    /// The frame point at normalised local coordinates `q` (inverse of `local`).
    func point(local q: SIMD3<Float>) -> SIMD3<Float> {
        let l = q * radii
        return centre + rot.0 * l.x + rot.1 * l.y + rot.2 * l.z
    }
}

/// A smooth intensity texture added to a painted organ (HU): `amplitude * sin(k1.p + p1 + 1.5 sin(k2.p + p2))`
/// with `p` in frame mm; wavy bands such as the spleen's arciform arterial enhancement or mottled stool.
struct PhantomTexture {
    var amplitude: Float
    var k1: SIMD3<Float>, k2: SIMD3<Float>
    var p1: Float, p2: Float

    /// A random texture with wavelengths between `minWave` and `maxWave` mm.
    init(amplitude: Float, minWave: Float, maxWave: Float, rng: inout PhantomRNG) {
        func wave() -> SIMD3<Float> {
            var d = SIMD3<Float>(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1))
            let n = (d * d).sum().squareRoot()
            d = n > 1e-3 ? d / n : SIMD3(1, 0, 0)
            return d * (2 * Float.pi / rng.uniform(minWave, maxWave))
        }
        self.amplitude = amplitude
        k1 = wave(); k2 = wave()
        p1 = rng.uniform(0, 6.283); p2 = rng.uniform(0, 6.283)
    }

    @inline(__always) func value(_ p: SIMD3<Float>) -> Float {
        amplitude * sinf((k1 * p).sum() + p1 + 1.5 * sinf((k2 * p).sum() + p2))
    }
}
