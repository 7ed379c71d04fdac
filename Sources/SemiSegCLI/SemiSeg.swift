import ArgumentParser

/// The `semiseg` command-line tool. Subcommands are registered explicitly here; the executable's main.swift runs it.
public struct SemiSeg: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "semiseg",
        abstract: "Semi-supervised medical image segmentation: train, compare and inspect U-Nets on NIfTI data.",
        subcommands: [Synth.self, Inspect.self, Train.self, Compare.self, Predict.self, Evaluate.self, Ensemble.self,
                      Figures.self, ExportNotebook.self, ExportWeights.self, AugmentPreview.self, Strategies.self, Models.self, Bench.self]
    )
}
