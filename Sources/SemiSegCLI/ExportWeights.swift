import ArgumentParser
import Foundation
import Training

extension WeightExport.Checkpoint: ExpressibleByArgument {}

/// `semiseg export-weights RUN [--checkpoint best|last] --out model.safetensors`: the run's network as a plain PyTorch
/// state dict (see `WeightExport`).
struct ExportWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-weights",
        abstract: "Write a run's network as a plain PyTorch state dict (safetensors) for load_state_dict.",
        discussion: """
        Names are those of the reference PyTorch U-Net (scripts/reference/nn_reference.py: inc.b.0.weight, \
        down.0.b.1.running_mean, ..., head.bias), without model./optim. prefixes; the metadata records the network \
        (model, base, depth, classes, in_channels, norm, upsampling, epoch).
        """)

    @Argument(help: "A run folder (with checkpoints/).") var runFolder: String
    @Option(help: "Which checkpoint: \(WeightExport.Checkpoint.allCases.map(\.rawValue).joined(separator: " or ")).")
    var checkpoint: WeightExport.Checkpoint = .best
    @Option(help: "Output .safetensors file.") var out: String

    func run() throws {
        try reportingFailures {
            let n = try WeightExport.write(run: URL(fileURLWithPath: runFolder), checkpoint: checkpoint, to: URL(fileURLWithPath: out))
            print("\(out): \(n) tensors from \(runFolder)/checkpoints/\(checkpoint.rawValue).safetensors")
        }
    }
}
