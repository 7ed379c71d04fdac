import Engine

/// Largest-connected-component filter for hard (pseudo-)labels, per sample and per foreground class: every voxel of
/// class c outside the largest connected region of class c becomes background (0). BCP filters its teacher's
/// pseudo-labels this way (`get_ACDC_2DLargestCC` per slice, `LargestCC` on LA volumes; scikit-image `label` with its
/// default full connectivity: 8-neighbourhood in 2D, 26 in 3D). A class absent from a sample stays absent; ties keep
/// the component found first in raster order (as `argmax` of the reference's `bincount`).
public enum LargestComponent {
    /// Filters `labels` `[B, *spatial]` (model layout: `[B, H, W]` for 2D, `[B, D, H, W]` for 3D; class indices as
    /// Float). Classes `1..<classes` are filtered; 0 is background.
    public static func filter(_ labels: Tensor, classes: Int) -> Tensor {
        let b = labels.shape[0]
        let spatial = labels.rank == 3 ? [1, labels.shape[1], labels.shape[2]] : Array(labels.shape.suffix(3))
        let n = spatial.reduce(1, *)
        var v = labels.scalars
        for s in 0..<b {
            var sample = Array(v[(s * n)..<((s + 1) * n)])
            for c in 1..<max(classes, 1) { keepLargest(&sample, value: Float(c), spatial: spatial) }
            v.replaceSubrange((s * n)..<((s + 1) * n), with: sample)
        }
        return Tensor(v, shape: labels.shape)
    }

    /// Sets every voxel equal to `value` outside its largest full-connectivity component of `grid` `[D, H, W]` to 0.
    static func keepLargest(_ grid: inout [Float], value: Float, spatial: [Int]) {
        let (d, h, w) = (spatial[0], spatial[1], spatial[2])
        var component = [Int32](repeating: -1, count: grid.count)
        var sizes: [Int] = []
        var stack: [Int] = []
        for start in 0..<grid.count where grid[start] == value && component[start] < 0 {
            let id = Int32(sizes.count)
            var size = 0
            component[start] = id
            stack.append(start)
            while let i = stack.popLast() {
                size += 1
                let z = i / (h * w), y = (i / w) % h, x = i % w
                for dz in -1...1 where z + dz >= 0 && z + dz < d {
                    for dy in -1...1 where y + dy >= 0 && y + dy < h {
                        for dx in -1...1 where x + dx >= 0 && x + dx < w {
                            let j = ((z + dz) * h + (y + dy)) * w + (x + dx)
                            if grid[j] == value && component[j] < 0 { component[j] = id; stack.append(j) }
                        }
                    }
                }
            }
            sizes.append(size)
        }
        guard sizes.count > 1, let largest = sizes.indices.max(by: { sizes[$0] < sizes[$1] || (sizes[$0] == sizes[$1] && $0 > $1) }) else { return }
        for i in 0..<grid.count where grid[i] == value && component[i] != Int32(largest) { grid[i] = 0 }
    }
}
