import Engine
import Foundation
import MedIO

/// How raw NIfTI volumes become network inputs, and predictions go back: saved as `RUN/preprocessing.json`
/// so `predict` applies exactly what training used.
///
/// Order: resample to `spacing` (mm, x y z) or resize to `resize` (`[D, H, W]` voxels), then intensity normalisation.
/// Tensors: image `[C, D, H, W]` with D = z, H = y, W = x (NIfTI's x-fastest order, so no transposition); label `[D, H, W]`.
public struct Preprocessing: Codable, Sendable, Equatable {
    public var resize: [Int]?
    public var spacing: [Double]?
    /// "ct", "mri", "mri-nonzero", "window" or "none".
    public var normalization: String
    /// Training-set foreground statistics for "ct" (HU).
    public var ct: CTStatistics?
    /// HU window for "window".
    public var huWindow: [Double]?
    /// Classes including background.
    public var classes: Int
    /// Image channels (modalities).
    public var channels: Int
    /// Class names from dataset.json, by value.
    public var labelNames: [String: String]

    /// The intensity transform (nil for "none").
    public var intensity: IntensityNormalization? {
        switch normalization {
        case "ct": return ct.map { .ct($0) }
        case "window": return huWindow.map { .window(lower: Float($0[0]), upper: Float($0[1])) }
        case "mri": return .zScore(nonzeroMask: false)
        case "mri-nonzero": return .zScore(nonzeroMask: true)
        default: return nil
        }
    }

    /// Puts a volume on the training grid (no intensity change).
    public func toGrid(_ v: Volume, interpolation: Interpolation) -> Volume {
        if let r = resize { return v.resized(to: [r[2], r[1], r[0]], interpolation: interpolation) }
        if let s = spacing { return v.resampled(toSpacing: s, interpolation: interpolation) }
        return v
    }

    /// The network input `[C, D, H, W]` for a raw image volume.
    public func imageTensor(_ v: Volume) -> Tensor {
        var g = toGrid(v, interpolation: .linear)
        if let n = intensity { g = n.apply(g) }
        return Preprocessing.tensor(g)
    }

    /// The training target `[D, H, W]` for a raw label volume (nearest-neighbour on the grid).
    public func labelTensor(_ v: Volume) -> Tensor {
        let g = toGrid(v, interpolation: .nearest)
        let s = g.spatialShape
        return Tensor(g.data.map { $0.rounded() }, shape: [s[2], s[1], s[0]])
    }

    /// A volume's data as `[C, D, H, W]`.
    static func tensor(_ v: Volume) -> Tensor {
        let s = v.spatialShape
        return Tensor(v.data, shape: [v.channels, s[2], s[1], s[0]])
    }

    /// Maps a `[K, D, H, W]` map computed on the grid of `original` back onto `original`'s grid and geometry
    /// (linear interpolation), as a K-channel volume.
    public func restore(maps: Tensor, like original: Volume) -> Volume {
        let grid = toGrid(Volume(zeros: original.spatialShape, geometry: original.geometry), interpolation: .nearest)
        let k = maps.shape[0]
        var v = Volume(shape: grid.spatialShape + (k > 1 ? [k] : []), data: maps.scalars, geometry: grid.geometry)
        v = v.restored(toShape: original.spatialShape, geometry: original.geometry, interpolation: .linear)
        return v
    }

    /// Labels on `original`'s grid: probabilities restored linearly, then argmax (as nnU-Net exports).
    public func restoreLabels(probabilities p: Tensor, like original: Volume) -> Volume {
        let r = restore(maps: p, like: original)
        let n = r.voxelsPerChannel, k = p.shape[0]
        var labels = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var best = r.data[i], bi = 0
            for c in 1..<k where r.data[c * n + i] > best { best = r.data[c * n + i]; bi = c }
            labels[i] = Float(bi)
        }
        return Volume(shape: original.spatialShape, data: labels, geometry: original.geometry)
    }

    /// Reads `RUN/preprocessing.json`.
    public static func load(_ url: URL) throws -> Preprocessing {
        do { return try JSONDecoder().decode(Preprocessing.self, from: Data(contentsOf: url)) } catch {
            throw TrainingError("\(url.path): cannot read preprocessing (\(error))")
        }
    }

    /// Writes pretty JSON atomically.
    public func save(_ url: URL) throws {
        let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try e.encode(self), to: url)
    }
}
