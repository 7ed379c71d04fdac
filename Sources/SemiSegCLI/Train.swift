import ArgumentParser
import Engine
import Experiments
import Foundation
import MedIO
import Reporting
import Training

/// `semiseg train`: one run of one strategy on an MSD dataset (docs/ARCHITECTURE.md §7).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a network (U-Net by default) with a strategy on an MSD dataset and evaluate it on the test cases.")

    @OptionGroup var options: RunOptions
    @Flag(help: "Continue from RUN/checkpoints/last.safetensors (same config and split); a damaged last falls back to the newest intact older checkpoint.") var resume = false
    @Flag(help: "Replace the run already in --out (refused without it; removed only once the new run's settings and data are valid).") var overwrite = false
    @Option(name: .customLong("keep-checkpoints"), help: "Checkpoints kept: last plus K-1 older ones (epochE-stepS.safetensors), for --resume when last is damaged.") var keepCheckpoints: Int = 2

    func run() throws {
        try reportingFailures {
            let config = try options.trainConfig()
            guard keepCheckpoints >= 1 else { throw CLIError(file: "--keep-checkpoints", problem: "must be >= 1, got \(keepCheckpoints)") }
            try RunFolder.checkTrain(URL(fileURLWithPath: config.out), resume: resume, overwrite: overwrite)
            Parallel.threads = options.threads
            Interrupt.install()
            let summary = try RunPipeline.run(config, makeStrategy: { try makeStrategy(config.strategy, $0) }, resume: resume, overwrite: overwrite,
                                              logSteps: options.logSteps, keepCheckpoints: keepCheckpoints,
                                              log: options.quiet ? { _ in } : { print($0); fflush(stdout) },
                                              observers: [TrainingProgress()])
            if let d = summary.test?.foregroundMean[.dice] { print(String(format: "test Dice %.4f  (%@/summary.json)", d, config.out)) }
        }
    }
}
