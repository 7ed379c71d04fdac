#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One organ or structure to paint: later paints overwrite earlier ones (painter's algorithm).
struct PhantomPaint {
    var shape: PhantomShape
    /// Mean intensity in HU.
    var hu: Float
    /// Label written where painted.
    var label: UInt8 = 0
    /// Organ id written to the id map (0 = anonymous); see `PhantomOrgan`.
    var id: UInt8 = 0
    /// Only paint where the id map already holds this organ (lesions inside the liver, clefts inside the spleen).
    var onlyInside: UInt8? = nil
    /// Optional smooth intensity texture (HU) added to `hu`.
    var texture: PhantomTexture? = nil
    /// When set, only paint inside this shape too (organs stay inside the abdominal cavity).
    var within: PhantomShape? = nil
}

/// Organ ids of the id map (for `PhantomPaint.onlyInside`).
enum PhantomOrgan {
    static let spleen: UInt8 = 1, liver: UInt8 = 2, kidney: UInt8 = 3
}

/// Everything drawn for one case before rendering: the paints (frame mm), the voxel spacing, where the grid
/// is centred, the image degradations and the public metadata.
struct PhantomAnatomy {
    var paints: [PhantomPaint] = []
    /// In-plane spacing and slice spacing/thickness (mm).
    var sxy: Float = 2.5, sz: Float = 5
    /// Frame z (mm) the grid is centred on (2D: the slice centre).
    var targetZ: Float = 0
    var noiseSigma: Float = 10, biasAmplitude: Float = 20, blurPasses = 1
    var info: PhantomInfo
}

extension PhantomGenerator {
    /// Draws the anatomy of one case (frame: mm, x to the patient's left is negative, y anterior, z superior).
    ///
    /// Inter-case variability, all from `rng`: patient frame (x0.85-1.15) and subcutaneous/visceral fat
    /// (4-50 mm; field of view follows the body, 1.02-1.15x its width), contrast phase and organ HU
    /// (`PhantomTissues`), spleen volume (log-uniform over 0.5-2.5x, i.e. 5x), shape (crescent, random
    /// deformation, lobules 30 %, fat-filled clefts 35 %, a splenule 10 %), orientation and position behind the
    /// left flank; stomach (collapsed, fluid, oral contrast or gas), pancreatic tail with splenic vein, colonic
    /// splenic flexure and (30 %) a left liver lobe tip placed in contact with the spleen; kidney upper pole
    /// height; slice spacing (3D 2.5-6.5 mm, always coarser than in-plane) or 2D slab thickness (1-5 mm);
    /// noise 4-20 HU, bias 10-40 HU and one or two blur passes.
    func anatomy(_ rng: inout PhantomRNG) -> PhantomAnatomy {
        let is2D = shape[2] == 1
        func jitter(_ a: Float) -> Float { rng.uniform(-a, a) }
        let phase = PhantomPhase.draw(&rng)
        let t = PhantomTissues.draw(phase, &rng)

        // Patient size: skeletal frame, muscle wall, subcutaneous and visceral fat; the field of view follows the body.
        let s = rng.uniform(0.85, 1.15)
        let fatT = 4 + 46 * powf(rng.unit(), 1.5)
        let visceral = min(max(fatT / 45 + jitter(0.25), 0), 1)
        let wall = rng.uniform(8, 16) * s
        let cavRx = 112 * s * rng.uniform(0.93, 1.07), cavRy = 82 * s * rng.uniform(0.9, 1.1)
        let bodyRx = cavRx + wall + fatT, bodyRy = cavRy + wall + fatT * 0.85
        var a = PhantomAnatomy(info: PhantomInfo(phase: phase, tissueHU: t.named, fattyLiver: t.fattyLiver))
        a.sxy = 2 * bodyRx * rng.uniform(1.02, 1.15) / 128
        a.sz = is2D ? rng.uniform(1, 5) : rng.uniform(max(2.5, a.sxy + 0.5), 6.5)
        let fatHU = rng.uniform(-120, -85)
        let cavityHU = visceral * (fatHU + 25) + (1 - visceral) * rng.uniform(5, 30)
        let oralContrast = rng.unit() < 0.25

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
        /// Keeps an organ centre inside the abdominal cavity (scaled ellipse).
        func inside(_ c: SIMD3<Float>, _ f: Float) -> SIMD3<Float> {
            let e = ((c.x / (cavRx * f)) * (c.x / (cavRx * f)) + (c.y / (cavRy * f)) * (c.y / (cavRy * f))).squareRoot()
            return e > 1 ? SIMD3(c.x / e, c.y / e, c.z) : c
        }
        func unit(_ v: SIMD3<Float>) -> SIMD3<Float> { v / (v * v).sum().squareRoot() }
        var cavity: PhantomShape?
        /// Adds a paint; `organ` paints are clipped to the abdominal cavity.
        func add(_ shape: PhantomShape, _ hu: Float, label: UInt8 = 0, id: UInt8 = 0, only: UInt8? = nil, texture: PhantomTexture? = nil,
                 organ: Bool = false) {
            a.paints.append(PhantomPaint(shape: shape, hu: hu, label: label, id: id, onlyInside: only, texture: texture,
                                         within: organ ? cavity : nil))
        }

        // The spleen is drawn first (its neighbours are placed against it) and painted last.
        let volumeFactor = expf(rng.uniform(logf(0.5), logf(2.5)))
        let vs = cbrtf(volumeFactor)
        a.info.spleenVolumeFactor = volumeFactor
        let phi = rng.uniform(0.1, 0.8)
        let dir = SIMD3<Float>(-cosf(phi), -sinf(phi), 0)
        let wallDist = 1 / ((dir.x / cavRx) * (dir.x / cavRx) + (dir.y / cavRy) * (dir.y / cavRy)).squareRoot()
        let sr = SIMD3<Float>(26, 48, 55) * s * vs * SIMD3(rng.uniform(0.8, 1.2), rng.uniform(0.85, 1.15), rng.uniform(0.85, 1.15))
        var spleenC = dir * (wallDist - sr.x * rng.uniform(1.0, 1.15))
        spleenC.y += (vs - 1) * 25
        spleenC.z = rng.uniform(25, 55) - (vs - 1) * 35
        var spleen = blob(spleenC, sr, pert: rng.uniform(0.05, 0.14), angle: atan2f(dir.y, dir.x) + jitter(0.35), tilt: jitter(0.35))
        spleen.bite = (SIMD3(-1.05 + jitter(0.15), jitter(0.25), jitter(0.2)), SIMD3(0.7, 0.75, 0.9) * rng.uniform(0.85, 1.15))
        /// Centre for an organ `other` (built around the origin) touching the spleen along `u`; `contact` < 1 overlaps.
        func against(_ u: SIMD3<Float>, _ other: PhantomShape, _ contact: Float, spleenFraction: Float = 1) -> SIMD3<Float> {
            spleenC + u * (spleen.extent(along: u) * spleenFraction + other.extent(along: u)) * contact
        }

        // Body wall, cavity, perisplenic fat, mesenteric fat and bowel loops.
        add(cyl(0, 0, bodyRx, bodyRy, pert: 0.04), fatHU)
        add(cyl(0, jitter(4), cavRx + wall, cavRy + wall, pert: 0.03), t.muscle)
        cavity = cyl(0, 4, cavRx, cavRy, pert: 0.03)
        if let c = cavity { add(c, cavityHU) }
        var shell = spleen
        shell.radii += SIMD3(repeating: 1 + visceral * rng.uniform(2, 9))
        add(shell, fatHU + 10)
        for _ in 0..<(2 + Int(visceral * 8)) {
            let c = SIMD3<Float>(jitter(cavRx * 0.7), rng.uniform(-10, cavRy * 0.8), jitter(120))
            add(blob(c, SIMD3(repeating: rng.uniform(15, 35)), pert: 0.2), fatHU + 15)
        }
        for _ in 0..<10 {
            let c = SIMD3<Float>(jitter(cavRx * 0.75), rng.uniform(-20, cavRy * 0.85), jitter(130))
            let r = rng.uniform(10, 24)
            add(blob(c, SIMD3(r, r * rng.uniform(0.7, 1.3), r * 1.5), pert: 0.15, angle: jitter(3)), t.bowelWall + jitter(15))
            let u = rng.unit()
            if u < 0.35 || (oralContrast && u < 0.7) {
                add(blob(c + SIMD3(0, r * 0.3, 0), SIMD3(repeating: r * 0.5), pert: 0.1), u < 0.35 ? -850 : rng.uniform(150, 350))
            }
        }

        // Kidneys: cortex, medullary pyramids, perirenal fat; the left upper pole reaches up to the spleen.
        for side: Float in [-1, 1] {
            let z = side < 0 ? spleenC.z - rng.uniform(40, 100) : rng.uniform(-70, -20)
            let c = SIMD3<Float>(side * 64 * s + jitter(8), -46 * s + jitter(6), z)
            var k = blob(c, SIMD3(26, 20, 48) * s * rng.uniform(0.85, 1.15), pert: 0.08, angle: side * 0.4 + jitter(0.2))
            k.bite = (SIMD3(-side * 1.0, 0.2, 0), SIMD3(0.45, 0.4, 0.5))
            var fat = k
            fat.radii += SIMD3(repeating: 1 + visceral * rng.uniform(3, 12))
            add(fat, fatHU + 5)
            add(k, t.kidneyCortex, id: PhantomOrgan.kidney, organ: true)
            for p in 0..<4 {
                let q = SIMD3<Float>(0.15 * side + jitter(0.1), jitter(0.2), Float(p) * 0.45 - 0.68)
                add(blob(k.point(local: q), SIMD3(9, 8, 10) * s, pert: 0.1), t.kidneyMedulla, only: PhantomOrgan.kidney)
            }
        }

        // Colonic splenic flexure below and in front of the spleen: wall, then gas or mottled stool.
        let flexU = unit(SIMD3(0.1 + jitter(0.2), 0.55 + jitter(0.2), -0.8))
        let flex = inside(against(flexU, PhantomShape(centre: .zero, radii: SIMD3(repeating: 20 * s)), rng.uniform(0.9, 1.2)), 0.85)
        let stool = rng.unit() < 0.5
        for seg in 0..<2 {
            let c = flex + (seg == 0 ? SIMD3(35 * s, 5, 0) : SIMD3(-5, -5, -45))
            let r = seg == 0 ? SIMD3<Float>(45, 18, 18) * s : SIMD3<Float>(18, 18, 50) * s
            let tube = blob(inside(c, 0.9), r * rng.uniform(0.8, 1.2), pert: 0.12, angle: jitter(0.3))
            add(tube, t.bowelWall, organ: true)
            var lumen = tube
            lumen.radii -= SIMD3(repeating: 3)
            if stool {
                add(lumen, rng.uniform(-120, 20), texture: PhantomTexture(amplitude: rng.uniform(60, 160), minWave: 6, maxWave: 14, rng: &rng), organ: true)
            } else {
                add(lumen, -880, organ: true)
            }
        }

        // Stomach against the spleen's visceral surface: collapsed (wall only), fluid/food, or oral contrast; gas.
        let stomachU = unit(SIMD3(0.75 + jitter(0.2), 0.6 + jitter(0.25), 0.15 + jitter(0.2)))
        var stomach = blob(.zero, SIMD3(42, 32, 48) * s * rng.uniform(0.7, 1.25), pert: 0.15, angle: jitter(0.4))
        stomach.centre = inside(against(stomachU, stomach, rng.uniform(0.85, 1.15), spleenFraction: 0.8), 0.8)
        let collapsed = rng.unit() < 0.3
        add(stomach, t.stomachWall, texture: collapsed ? PhantomTexture(amplitude: 10, minWave: 8, maxWave: 16, rng: &rng) : nil, organ: true)
        if !collapsed {
            var lumen = stomach
            lumen.radii -= SIMD3(repeating: rng.uniform(3, 7))
            add(lumen, oralContrast ? rng.uniform(180, 400) : rng.uniform(0, 45), organ: true)
        }
        if rng.unit() < 0.7 {
            add(blob(stomach.centre + SIMD3(0, stomach.radii.y * 0.55, stomach.radii.z * 0.3), SIMD3(22, 12, 20) * s * rng.uniform(0.5, 1.2), pert: 0.1), -870)
        }

        // Liver (right) and, in 30 % of cases, its left lobe tip reaching the spleen from the front.
        let liverC = SIMD3<Float>(68 * s + jitter(10), 2 * s + jitter(10), 30 + jitter(15))
        var liver = blob(liverC, SIMD3(78, 72, 75) * s * SIMD3(rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2)),
                         pert: 0.12, angle: jitter(0.25), tilt: jitter(0.15))
        liver.bite = (SIMD3(-1.05 + jitter(0.1), -0.35 + jitter(0.15), -0.6 + jitter(0.2)), SIMD3(0.75, 0.8, 0.75))
        let liverLabel: UInt8 = kind == .liver ? 1 : 0
        let liverTexture = PhantomTexture(amplitude: rng.uniform(2, 10), minWave: 10, maxWave: 25, rng: &rng)
        add(liver, t.liver, label: liverLabel, id: PhantomOrgan.liver, texture: liverTexture, organ: true)
        if rng.unit() < 0.3 {
            let u = unit(SIMD3(0.35 + jitter(0.2), 0.9, 0.25 + jitter(0.2)))
            var tip = blob(.zero, SIMD3(45, 13, 32) * s * rng.uniform(0.8, 1.2), pert: 0.1, angle: jitter(0.4))
            tip.centre = inside(against(u, tip, rng.uniform(0.9, 1.15)), 0.85)
            add(tip, t.liver, label: liverLabel, id: PhantomOrgan.liver, texture: liverTexture, organ: true)
        }
        var lesionCentres: [SIMD3<Float>] = []
        if kind == .liver {
            let count = 1 + Int(rng.unit() * 3)
            for _ in 0..<count {
                var q = SIMD3<Float>(jitter(0.6), jitter(0.6), jitter(0.6))
                while (q * q).sum() > 0.36 || liver.bite.map({ b in (((q - b.0) / b.1) * ((q - b.0) / b.1)).sum() < 1.4 }) == true {
                    q = SIMD3<Float>(jitter(0.6), jitter(0.6), jitter(0.6))
                }
                let c = liver.point(local: q)
                lesionCentres.append(c)
                let r = rng.uniform(7, 22)
                add(blob(c, SIMD3(r, r, r) * SIMD3(rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2), 1), pert: 0.15),
                    t.liver - rng.uniform(25, 65), label: 2, only: PhantomOrgan.liver)
            }
        }

        // Pancreatic tail and splenic vein at the hilum; aorta and IVC.
        let tailU = unit(SIMD3(1, 0.25 + jitter(0.2), -0.1 + jitter(0.2)))
        var tail = blob(.zero, SIMD3(35, 11, 12) * s * rng.uniform(0.8, 1.2), pert: 0.12, angle: jitter(0.3))
        tail.centre = inside(against(tailU, tail, rng.uniform(0.9, 1.2), spleenFraction: 0.7), 0.85)
        add(tail, t.pancreas, texture: PhantomTexture(amplitude: 8, minWave: 5, maxWave: 10, rng: &rng), organ: true)
        add(blob(tail.centre + SIMD3(8, -12 * s, 0), SIMD3(42, 4.5, 4.5) * s, pert: 0.05, angle: jitter(0.2)), t.splenicVein)
        add(cyl(-14 * s + jitter(3), -42 * s + jitter(4), 11, 11, pert: 0.05), t.aorta)
        add(cyl(22 * s + jitter(3), -35 * s + jitter(4), 12, 9, pert: 0.08), t.ivc)

        // Spleen (arciform texture in the arterial phase), lobules, a splenule, fat-filled clefts.
        let spleenLabel: UInt8 = kind == .spleen ? 1 : 0
        let spleenTexture = PhantomTexture(amplitude: phase == .arterial ? rng.uniform(10, 25) : rng.uniform(0, 6),
                                           minWave: 12, maxWave: 30, rng: &rng)
        add(spleen, t.spleen, label: spleenLabel, id: PhantomOrgan.spleen, texture: spleenTexture, organ: true)
        if rng.unit() < 0.3 {
            for _ in 0..<(1 + Int(rng.unit() * 2)) {
                let q = SIMD3<Float>(rng.uniform(0.2, 0.8), jitter(0.8), jitter(0.8))
                let c = spleen.point(local: q / (q * q).sum().squareRoot() * 0.9)
                add(blob(c, SIMD3(repeating: sr.x * rng.uniform(0.35, 0.6)), pert: 0.1), t.spleen,
                    label: spleenLabel, id: PhantomOrgan.spleen, texture: spleenTexture, organ: true)
            }
        }
        if rng.unit() < 0.1 {
            let c = spleen.point(local: SIMD3(-0.8, jitter(0.6), -0.5 + jitter(0.3)))
            add(blob(c, SIMD3(repeating: rng.uniform(5, 10)), pert: 0.05), t.spleen, label: spleenLabel, id: PhantomOrgan.spleen)
        }
        if rng.unit() < 0.35 {
            for _ in 0..<(1 + Int(rng.unit() * 2)) {
                var cleft = spleen
                cleft.bite = nil
                cleft.pert = .zero
                cleft.centre = spleen.point(local: SIMD3(0.95, jitter(0.6), jitter(0.6)))
                cleft.radii = SIMD3(sr.x * rng.uniform(0.4, 0.75), rng.uniform(1.5, 3), sr.z * rng.uniform(0.2, 0.45))
                add(cleft, fatHU + 20, only: PhantomOrgan.spleen)
            }
        }

        // Bone: vertebra (cortex + marrow + spinous process) and rib cross-sections in the body wall.
        let cortexHU = rng.uniform(450, 900), marrowHU = rng.uniform(150, 300)
        let spineY = -cavRy + 22 * s
        add(cyl(0, spineY, 20 * s, 17 * s, pert: 0.03), cortexHU)
        add(cyl(0, spineY, 15 * s, 12 * s, pert: 0.03), marrowHU)
        add(cyl(0, spineY - 24 * s, 5 * s, 11 * s, pert: 0.05), cortexHU)
        for level in 0..<5 {
            for side: Float in [-1, 1] {
                for ang0 in [0.35, 0.75, 1.15, 1.55, 2.0] as [Float] {
                    let ang = ang0 + jitter(0.08)
                    let c = SIMD3<Float>(side * (cavRx + wall * 0.5) * cosf(ang - 0.2), -(cavRy + wall * 0.5) * sinf(ang - 0.2),
                                         Float(level - 2) * 38 + 15 + jitter(5))
                    add(blob(c, SIMD3(6, 6, 9), pert: 0.1), cortexHU * 0.8)
                }
            }
        }

        // Where the grid goes: 2D one slice at a random height through the target; 3D centred near it (liver: near a
        // lesion, so even a thin slab holds every class).
        if is2D {
            if kind == .liver {
                a.targetZ = (lesionCentres.first ?? liverC).z + jitter(4)
            } else {
                a.targetZ = spleenC.z + spleen.extent(along: SIMD3(0, 0, 1)) * rng.uniform(-0.35, 0.35)
            }
        } else {
            a.targetZ = kind == .liver ? (lesionCentres.first ?? liverC).z + jitter(8) : spleenC.z - 10 + jitter(20)
        }
        a.noiseSigma = 4 + 16 * powf(rng.unit(), 1.3)
        a.biasAmplitude = rng.uniform(10, 40)
        a.blurPasses = rng.unit() < 0.7 ? 1 : 2
        a.info.noiseSigma = a.noiseSigma
        a.info.sliceThickness = a.sz
        return a
    }
}
