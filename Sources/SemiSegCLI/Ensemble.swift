import ArgumentParser
import Engine
import Foundation
import MedIO
import Training

/// `semiseg ensemble`: combines finished runs' predictions on a folder of images, case by case.
struct Ensemble: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ensemble finished runs on a folder of NIfTI images (mean, majority vote or Dice-weighted vote).",
        discussion: """
        Every run predicts every image with its own preprocessing (all runs must share classes, channels and the \
        resize/spacing grid); predictions are combined per case id and restored to the image's original geometry. \
        Writes OUT/<case>.nii.gz (uint8 labels) and OUT/<case>_disagreement.nii.gz (entropy of the members' votes, nats).
        """)

    @Option(help: "Comma-separated run folders (from `semiseg train`).") var runs: String
    @Option(help: "mean, vote or dice-weighted.") var mode: String = "mean"
    @Option(help: "dice-weighted, two classes: foreground when the weighted fg vote exceeds this fraction of the total weight.")
    var threshold: Double = 0.5
    @Option(help: "Folder of .nii/.nii.gz images (an MSD folder's imagesTs, the MSD folder itself, or any folder).") var input: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Worker threads.") var threads: Int = 2
    @Flag(help: "Only print the final line.") var quiet = false

    func run() throws {
        try reportingFailures {
            Parallel.threads = threads
            guard let m = EnsembleMode(rawValue: mode) else {
                throw CLIError(file: "--mode", problem: "must be one of \(EnsembleMode.allCases.map { $0.rawValue }.joined(separator: ", ")), got '\(mode)'")
            }
            guard (0...1).contains(threshold) else { throw CLIError(file: "--threshold", problem: "must be in 0...1, got \(threshold)") }
            let dirs = runs.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !dirs.isEmpty else { throw CLIError(file: "--runs", problem: "no run folders given") }
            let members = try dirs.map { try TrainedRun.load(URL(fileURLWithPath: $0)) }
            try Ensemble.checkCompatible(members)
            var weights: [Double]? = nil
            if m == .diceWeighted {
                weights = try members.map { r in
                    guard let d = r.validationDice else { throw CLIError(file: r.directory.path, problem: "no validation Dice recorded; dice-weighted needs runs trained with validation cases") }
                    return d
                }
            }
            let cases = try Ensemble.listImages(input)
            let outDir = URL(fileURLWithPath: out)
            do { try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true) } catch {
                throw CLIError(file: out, problem: "cannot create the output folder (\(error.localizedDescription))")
            }
            let combiner = EnsembleCombiner(mode: m, threshold: threshold)
            for (id, path) in cases {
                let raw = try Nifti.read(path)
                // Each member predicts with its own preprocessing; its output is tagged with the case id.
                let outputs = members.map { r in [MemberPrediction(caseID: id, probabilities: r.probabilities(r.preprocessing.imageTensor(raw)))] }
                guard let probs = try EnsembleCombiner.alignByCase(outputs)[id] else { throw CLIError(file: path, problem: "no member prediction") }
                let pred = try combiner.combine(probs, weights: weights)
                let prep = members[0].preprocessing
                let labels = prep.restoreLabels(probabilities: pred.probabilities, like: raw)
                try Nifti.write(labels, to: outDir.appendingPathComponent("\(id).nii.gz").path, datatype: .uint8)
                if let d = pred.uncertainty["disagreement"] {
                    let map = prep.restore(maps: d.reshaped([1] + d.shape), like: raw)
                    try Nifti.write(map, to: outDir.appendingPathComponent("\(id)_disagreement.nii.gz").path, datatype: .float32)
                }
                if !quiet { print("\(id): \(members.count) members combined (\(m.rawValue))"); fflush(stdout) }
            }
            print("ensemble of \(members.count) runs (\(m.rawValue)) wrote \(cases.count) cases to \(out)")
        }
    }

    /// Runs must agree on what a voxel and a class are: classes, channels and the resize/spacing grid.
    static func checkCompatible(_ runs: [TrainedRun]) throws {
        guard let first = runs.first else { return }
        for r in runs.dropFirst() {
            let a = first.preprocessing, b = r.preprocessing
            var diffs: [String] = []
            if a.classes != b.classes { diffs.append("classes \(b.classes) vs \(a.classes)") }
            if a.channels != b.channels { diffs.append("channels \(b.channels) vs \(a.channels)") }
            if a.resize != b.resize { diffs.append("resize \(b.resize.map { "\($0)" } ?? "none") vs \(a.resize.map { "\($0)" } ?? "none")") }
            if a.spacing != b.spacing { diffs.append("spacing \(b.spacing.map { "\($0)" } ?? "none") vs \(a.spacing.map { "\($0)" } ?? "none")") }
            if !diffs.isEmpty {
                throw CLIError(file: r.directory.path, problem: "preprocessing differs from \(first.directory.path): \(diffs.joined(separator: ", "))")
            }
        }
    }

    /// `(case id, path)` of every `.nii`/`.nii.gz` in `dir` (or in `dir/imagesTs` when that exists), sorted by id.
    static func listImages(_ dir: String) throws -> [(String, String)] {
        try inputImages(dir).map { (NiftiFiles.stem(URL(fileURLWithPath: $0).lastPathComponent), $0) }
    }
}
