import Engine
import Training

extension BCP {
    /// Where the mixing box goes (`box-at`).
    enum BoxPlacement: String, CaseIterable {
        /// Uniformly random (the reference's `generate_mask` / `context_mask`).
        case random
        /// Over a foreground voxel of the labeled images whose box is pasted (see `boxCoveringForeground`).
        case foreground
    }

    /// `box-at foreground`: `b` moved (same size) so that it contains one foreground voxel (class ≥ 1) of `targets`
    /// `[n, *spatial]` (class indices as Float), drawn uniformly among all of them; the start is uniform among the
    /// positions that keep that voxel inside. `spatial` is `[D, H, W]` (D = 1 for 2D). Unchanged when the targets hold
    /// no foreground. With small structures (a lung tumour in a 2/3-side box) a uniformly placed box often carries no
    /// labeled foreground into the mixed image; this one does whenever the pasted labeled images have any.
    static func boxCoveringForeground(_ b: MixBox, targets: Tensor, spatial: [Int], rng: inout RNG) -> MixBox {
        precondition(spatial.count == 3, "boxCoveringForeground: spatial is [D, H, W]")
        let per = spatial.reduce(1, *)
        var foreground: [Int] = []
        for (i, v) in targets.scalars.enumerated() where v >= 1 { foreground.append(i % per) }
        guard !foreground.isEmpty else { return b }
        let v = foreground[rng.int(below: foreground.count)]
        let p = [v / (spatial[1] * spatial[2]), (v / spatial[2]) % spatial[1], v % spatial[2]]
        let start = (0..<3).map { k -> Int in
            let lo = max(0, p[k] - b.size[k] + 1), hi = min(p[k], spatial[k] - b.size[k])
            return lo + rng.int(below: hi - lo + 1)
        }
        return MixBox(start: start, size: b.size)
    }
}
