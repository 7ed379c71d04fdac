import ArgumentParser
import Foundation
import MedIO
import Reporting
import Training

/// `semiseg augment-preview`: shows what an augmentation setting does to one case, as a PNG.
struct AugmentPreview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment-preview",
        abstract: "Render a case and several augmented draws (label overlays + the deformation of a grid) as a PNG.")

    @Option(help: "MSD dataset folder.") var data: String
    @Option(help: "Case id (default: the first training case).") var caseID: String?
    @Option(help: "Output PNG.") var out: String
    @Option(help: "Preset: \(AugmentationPreset.allCases.map(\.rawValue).joined(separator: ", ")).") var augmentation: String = "standard"
    @Option(name: .customLong("elastic-alpha"), help: "Force elastic deformation with this magnitude (voxels).") var elasticAlpha: Double?
    @Option(name: .customLong("elastic-sigma"), help: "Elastic smoothness (voxels).") var elasticSigma: Double = 6
    @Option(help: "Number of augmented draws.") var count: Int = 4
    @Option(help: "Random seed.") var seed: UInt64 = 0

    func run() throws {
        try reportingFailures {
            guard let preset = AugmentationPreset(rawValue: augmentation) else {
                throw CLIError(file: "semiseg", problem: "unknown augmentation preset '\(augmentation)' (\(AugmentationPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var cfg = AugmentationConfig.preset(preset)
            guard (1...12).contains(count) else { throw CLIError(file: "semiseg", problem: "--count must be in 1...12") }
            if let a = elasticAlpha { cfg.elasticProbability = 1; cfg.elasticAlpha = a; cfg.elasticSigma = elasticSigma }
            let augmenter = try Augmenter(cfg)
            let ds = try MSDDataset.load(data)
            guard let c = caseID.map({ id in ds.training.first { $0.id == id } }) ?? ds.training.first else {
                throw CLIError(file: data, problem: "no training case \(caseID ?? "")")
            }
            let (image, label) = try ds.read(c)
            guard let label else { throw CLIError(file: c.image, problem: "case has no label") }
            let png = AugmentationPreview.render(image: image, label: label, augmenter: augmenter, count: count, seed: seed,
                                                 caseName: NiftiFiles.stem(c.id))
            try PNG.write(png, to: out)
            print("wrote \(out) (\(c.id), \(count) draws of '\(augmentation)'\(elasticAlpha.map { ", elastic alpha \($0)" } ?? ""))")
        }
    }
}
