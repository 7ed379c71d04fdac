/// Contrast phase of a synthetic CT: decides how bright each organ is relative to the others.
///
/// Nominal values (HU, before the per-case enhancement factor and jitter) follow typical abdominal CT:
/// unenhanced, the spleen (~45) is darker than the liver (~58); in the late arterial phase it is much brighter
/// (~115 vs ~75) and heterogeneous ("zebra" enhancement); portal venous it is slightly brighter (~120 vs ~110);
/// delayed the two are about equal (~90). Kidneys go from darker than the spleen (unenhanced) to much brighter.
public enum PhantomPhase: String, CaseIterable, Sendable {
    /// Unenhanced CT.
    case nonContrast = "non-contrast"
    /// Late arterial phase (~35 s): heterogeneous, bright spleen; bright kidney cortex and aorta.
    case arterial
    /// Portal venous phase (~70 s), the usual abdominal CT.
    case portalVenous = "portal-venous"
    /// Delayed phase (3-5 min).
    case delayed

    /// Draws a phase: portal venous 40 %, the other three 20 % each (portal venous dominates real datasets).
    static func draw(_ rng: inout PhantomRNG) -> PhantomPhase {
        let u = rng.unit()
        return u < 0.2 ? .nonContrast : u < 0.4 ? .arterial : u < 0.8 ? .portalVenous : .delayed
    }

    /// Column of `PhantomTissues.table` for this phase.
    var column: Int {
        switch self {
        case .nonContrast: return 0
        case .arterial: return 1
        case .portalVenous: return 2
        case .delayed: return 3
        }
    }
}

/// Soft-tissue intensities (HU) of one case, drawn from its contrast phase.
struct PhantomTissues {
    var spleen: Float, liver: Float, kidneyCortex: Float, kidneyMedulla: Float
    var aorta: Float, ivc: Float, splenicVein: Float, pancreas: Float
    var stomachWall: Float, bowelWall: Float, muscle: Float
    /// Whether the liver is fatty (20-55 HU darker than normal: can invert the liver/spleen order).
    var fattyLiver: Bool

    /// Nominal HU per phase: non-contrast, arterial, portal venous, delayed.
    static let table: [String: SIMD4<Float>] = [
        "spleen": SIMD4(45, 115, 120, 90), "liver": SIMD4(58, 75, 110, 92),
        "kidneyCortex": SIMD4(32, 185, 165, 125), "kidneyMedulla": SIMD4(32, 80, 150, 130),
        "aorta": SIMD4(40, 280, 165, 110), "ivc": SIMD4(38, 70, 140, 105), "splenicVein": SIMD4(40, 120, 170, 105),
        "pancreas": SIMD4(42, 110, 100, 80), "stomachWall": SIMD4(40, 95, 85, 70), "bowelWall": SIMD4(38, 75, 75, 60),
        "muscle": SIMD4(50, 55, 60, 58),
    ]

    /// Draws every tissue for `phase`: `unenhanced + e * (phase - unenhanced) + jitter`, with one enhancement
    /// factor `e` in [0.75, 1.25] per case (dose, timing, cardiac output) and an independent jitter per tissue.
    static func draw(_ phase: PhantomPhase, _ rng: inout PhantomRNG) -> PhantomTissues {
        let e = rng.uniform(0.75, 1.25)
        func hu(_ name: String, _ spread: Float) -> Float {
            let v = table[name] ?? SIMD4(repeating: 40)
            return v[0] + e * (v[phase.column] - v[0]) + rng.uniform(-spread, spread)
        }
        var t = PhantomTissues(spleen: hu("spleen", 10), liver: hu("liver", 12), kidneyCortex: hu("kidneyCortex", 15),
                               kidneyMedulla: hu("kidneyMedulla", 15), aorta: hu("aorta", 25), ivc: hu("ivc", 15),
                               splenicVein: hu("splenicVein", 15), pancreas: hu("pancreas", 12),
                               stomachWall: hu("stomachWall", 12), bowelWall: hu("bowelWall", 12), muscle: hu("muscle", 8),
                               fattyLiver: rng.unit() < 0.15)
        if t.fattyLiver { t.liver -= rng.uniform(20, 55) }
        return t
    }

    /// Named values for `PhantomInfo.tissueHU`.
    var named: [String: Float] {
        ["spleen": spleen, "liver": liver, "kidneyCortex": kidneyCortex, "kidneyMedulla": kidneyMedulla, "aorta": aorta,
         "ivc": ivc, "splenicVein": splenicVein, "pancreas": pancreas, "stomachWall": stomachWall, "bowelWall": bowelWall,
         "muscle": muscle]
    }
}
