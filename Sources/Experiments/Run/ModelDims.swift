import Foundation
import MedIO
import NN
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

    /// Resolves the model's rank when neither an alias ("unet2d") nor `modelDims` fixes it (2D data -> 2D; 3D data ->
    /// 3D, or 2D when `patch` is `[1, H, W]`, i.e. training on slices; "auto" is the default network), stores it the
    /// way run folders keep it (`TrainConfig.resolveModel`), and checks the model against the data.
    ///
    /// - Throws: `ConfigError` naming the dataset and the flag to change: a 3D model on 2D images, `--resize` with
    ///   more than one slice on 2D images, a 2D model on whole 3D volumes without a `[1, H, W]` patch, or a value
    ///   problem that only shows once the model is known (e.g. a patch not divisible by 2^depth). The rest of the
    ///   config was checked where it entered (`ValidatedConfig`).
    public static func resolve(_ config: inout ValidatedConfig, datasetIs2D is2D: Bool) throws {
        let data = config.data
        let slicePatch = config.patch.map { $0.count == 3 && $0[0] == 1 } ?? false
        // A validated config names a known network (or "auto") with a valid rank.
        let fixed = NetworkRegistry.lookup(config.model)?.aliasDims ?? config.modelDims
        try config.resolveModel(dims: fixed ?? (is2D || slicePatch ? 2 : 3)) { resolved in
            problems(resolved, datasetIs2D: is2D, slicePatch: slicePatch, data: data)
        }
    }

    /// The resolved model against the data, naming the flag to change (empty = fits).
    static func problems(_ config: TrainConfig, datasetIs2D is2D: Bool, slicePatch: Bool, data: String) -> [String] {
        let name = config.model
        let entry = NetworkRegistry.lookup(name)?.entry
        let alias2D = entry.map { NetworkRegistry.storedName($0.name, dims: 2) } ?? name
        let as2D = alias2D == entry?.name ? "--model \(alias2D) --dims 2" : "--model \(alias2D)"
        let alias3D = entry.map { NetworkRegistry.storedName($0.name, dims: 3) } ?? name
        let as3D = alias3D == entry?.name ? "--model \(alias3D) --dims 3" : "--model \(alias3D)"
        var p: [String] = []
        if is2D {
            if config.dims == 3 {
                p.append("\(data): the dataset is 2D (one slice per case), a 3D \(config.networkName) cannot train on it: "
                         + "use \(as2D) (or leave the rank out: the default follows the data)")
            }
            if let r = config.resize, r.count == 3, r[0] != 1 {
                p.append("\(data): the dataset is 2D: --resize \(r.map(String.init).joined(separator: ",")) would stretch one slice "
                         + "into \(r[0]); use --resize 1,\(r[1]),\(r[2])")
            }
            if let pt = config.patch, pt.count == 3, pt[0] != 1 {
                p.append("\(data): the dataset is 2D: --patch \(pt.map(String.init).joined(separator: ",")) has \(pt[0]) slices; "
                         + "use --patch 1,\(pt[1]),\(pt[2])")
            }
        } else if config.dims == 2 && !slicePatch && !(config.resize.map { $0.count == 3 && $0[0] == 1 } ?? false) {
            p.append("\(data): the dataset holds 3D volumes: \(as2D) trains on slices, add --patch 1,H,W "
                     + "(e.g. --patch 1,128,128), or use \(as3D) (the default for 3D data)")
        }
        return p
    }
}
