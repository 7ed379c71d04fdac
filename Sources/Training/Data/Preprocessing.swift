import Engine
import Foundation
import MedIO

/// How raw NIfTI volumes become network inputs, and predictions go back: saved as `RUN/preprocessing.json`
/// so `predict` applies exactly what training used.
///
/// Order: reorient to RAS (`reorient`), resample to `spacing` (mm, x y z) or resize to `resize` (`[D, H, W]` voxels),
/// then intensity normalisation. Predictions go back through the inverse (resize to the RAS shape, original axis
/// order, original geometry copied verbatim).
/// Tensors: image `[C, D, H, W]` with D = z, H = y, W = x (NIfTI's x-fastest order, so no transposition); label `[D, H, W]`.
public struct Preprocessing: Codable, Sendable, Equatable {
    public var resize: [Int]?
    public var spacing: [Double]?
    /// The intensity normalisation (`TrainConfig.normalization`).
    public var normalization: NormalizationChoice
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
    /// Reorient every volume to RAS voxel order first, so cases stored in different orientations share one layout.
    public var reorient: Bool = true

    /// The intensity transform (nil for "none").
    public var intensity: IntensityNormalization? {
        switch normalization {
        case .ct: return ct.map { .ct($0) }
        case .window: return huWindow.map { .window(lower: Float($0[0]), upper: Float($0[1])) }
        case .mri: return .zScore(nonzeroMask: false)
        case .mriNonzero: return .zScore(nonzeroMask: true)
        case .none: return nil
        }
    }

    /// Puts a volume on the training grid (no intensity change).
    public func toGrid(_ v: Volume, interpolation: Interpolation) -> Volume { toGridWithRecord(v, interpolation: interpolation).volume }

    /// `toGrid`, with the record that undoes it.
    public func toGridWithRecord(_ v: Volume, interpolation: Interpolation) -> (volume: Volume, record: GridRecord) {
        let record = gridRecord(for: v)
        let ras = reorient ? v.transposed(by: record.orientation) : v
        if let r = resize { return (ras.resized(to: [r[2], r[1], r[0]], interpolation: interpolation), record) }
        if let s = spacing { return (ras.resampled(toSpacing: s, interpolation: interpolation), record) }
        return (ras, record)
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
        let s = maps.shape, k = s[0]
        // `restored(with:)` resizes to the RAS shape and then copies the original geometry verbatim, so the grid
        // volume's own geometry never reaches the result.
        let v = Volume(shape: [s[3], s[2], s[1]] + (k > 1 ? [k] : []), data: maps.scalars, geometry: original.geometry)
        return v.restored(with: gridRecord(for: original), interpolation: .linear)
    }

    /// The record that undoes `toGrid` for `original`, derived from its header alone (no voxel is transformed).
    func gridRecord(for original: Volume) -> GridRecord {
        let o = reorient ? original.orientation : .ras
        let shape = original.spatialShape
        var rasShape = [0, 0, 0]
        for i in 0..<3 { rasShape[o.axes[i]] = shape[i] }
        return GridRecord(originalShape: original.shape, originalGeometry: original.geometry, orientation: o, rasShape: rasShape)
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

    enum CodingKeys: String, CodingKey { case resize, spacing, normalization, ct, huWindow, classes, channels, labelNames, reorient }

    public init(resize: [Int]?, spacing: [Double]?, normalization: NormalizationChoice, ct: CTStatistics?, huWindow: [Double]?, classes: Int,
                channels: Int, labelNames: [String: String], reorient: Bool = true) {
        self.resize = resize; self.spacing = spacing; self.normalization = normalization; self.ct = ct; self.huWindow = huWindow
        self.classes = classes; self.channels = channels; self.labelNames = labelNames; self.reorient = reorient
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(resize: try c.decodeIfPresent([Int].self, forKey: .resize), spacing: try c.decodeIfPresent([Double].self, forKey: .spacing),
                  normalization: try c.decode(NormalizationChoice.self, forKey: .normalization), ct: try c.decodeIfPresent(CTStatistics.self, forKey: .ct),
                  huWindow: try c.decodeIfPresent([Double].self, forKey: .huWindow), classes: try c.decode(Int.self, forKey: .classes),
                  channels: try c.decode(Int.self, forKey: .channels), labelNames: try c.decode([String: String].self, forKey: .labelNames),
                  reorient: try c.decodeIfPresent(Bool.self, forKey: .reorient) ?? false)
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
