import Foundation
import MedIO
import Training

/// The network's dimensionality against the data's: the default model follows the dataset, and a 3D model on 2D
/// images (or a 2D model on whole 3D volumes) is refused before anything is written, naming the flag to change.
public enum ModelDims {
    /// Whether the dataset holds 2D images: dataset.json's `tensorImageSize` is "2D", or its first training image
    /// has a single slice (MSD "2D" data are stored as one-slice NIfTI volumes).
    public static func datasetIs2D(_ ds: MSDDataset) throws -> Bool {
        if ds.tensorImageSize.uppercased() == "2D" { return true }
        guard let first = ds.training.first ?? ds.test.first else { return false }
        return try ds.read(first).image.spatialShape[2] == 1
    }

    /// Resolves `config.model == "auto"` (2D data -> "unet2d"; 3D data -> "unet3d", or "unet2d" when `patch` is
    /// `[1, H, W]`, i.e. training on slices) and checks the model against the data.
    ///
    /// - Throws: `ConfigError` naming the dataset and the flag to change: a 3D model on 2D images, `--resize` with
    ///   more than one slice on 2D images, a 2D model on whole 3D volumes without a `[1, H, W]` patch, or a value
    ///   problem that only shows once the model is known (e.g. a patch not divisible by 2^depth).
    public static func resolve(_ config: inout TrainConfig, datasetIs2D is2D: Bool) throws {
        let data = config.data
        let slicePatch = config.patch.map { $0.count == 3 && $0[0] == 1 } ?? false
        if config.model == "auto" { config.model = is2D || slicePatch ? "unet2d" : "unet3d" }
        var p: [String] = []
        if is2D {
            if config.model == "unet3d" {
                p.append("\(data): the dataset is 2D (one slice per case), a 3D U-Net cannot train on it: "
                         + "use --model unet2d (or leave --model out: the default follows the data)")
            }
            if let r = config.resize, r.count == 3, r[0] != 1 {
                p.append("\(data): the dataset is 2D: --resize \(r.map(String.init).joined(separator: ",")) would stretch one slice "
                         + "into \(r[0]); use --resize 1,\(r[1]),\(r[2])")
            }
            if let pt = config.patch, pt.count == 3, pt[0] != 1 {
                p.append("\(data): the dataset is 2D: --patch \(pt.map(String.init).joined(separator: ",")) has \(pt[0]) slices; "
                         + "use --patch 1,\(pt[1]),\(pt[2])")
            }
        } else if config.model == "unet2d" && !slicePatch && !(config.resize.map { $0.count == 3 && $0[0] == 1 } ?? false) {
            p.append("\(data): the dataset holds 3D volumes: --model unet2d trains on slices, add --patch 1,H,W "
                     + "(e.g. --patch 1,128,128), or use --model unet3d (the default for 3D data)")
        }
        if p.isEmpty { p = config.problems() }
        if !p.isEmpty { throw ConfigError(problems: p) }
    }
}
