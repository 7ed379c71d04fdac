import ArgumentParser
import Evaluation
import Experiments
import Foundation
import MedIO
import Training

/// `semiseg evaluate`: metrics of a folder of predicted label maps against reference label maps (docs/ARCHITECTURE.md §7, §8).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dice, IoU, HD95, ASSD, NSD, precision, recall per case and class, with means (JSON).",
        discussion: """
        Cases are paired by file name; a case missing on either side is an error naming it. Distances are in mm \
        from the reference's spacing. Undefined values (e.g. HD95 with an empty mask) are null, excluded from the \
        means and counted under "undefined".
        """)

    @Option(help: "Folder of predicted label maps (.nii/.nii.gz).") var pred: String
    @Option(help: "Folder of reference label maps (for an MSD folder: its labelsTs).") var gt: String
    @Option(help: "Output JSON file.") var out: String
    @Option(help: "Classes including background (default: largest label seen + 1).") var classes: Int?
    @Option(name: .customLong("nsd-tolerance"), help: "Surface Dice tolerance in mm (default: the largest voxel spacing of the references).") var nsdTolerance: Double?
    @Flag(help: "Also report the 2D summary metrics (mean IoU, mean Dice, mean/frequency-weighted/overall accuracy).") var semantic = false

    func run() throws {
        try reportingFailures {
            var gtDir = gt
            if FileManager.default.fileExists(atPath: URL(fileURLWithPath: gt).appendingPathComponent("dataset.json").path) {
                gtDir = URL(fileURLWithPath: gt).appendingPathComponent("labelsTs").path
            }
            let predFiles = try labelFiles(pred), refFiles = try labelFiles(gtDir)
            var predMaps: [(id: String, value: LabelMap)] = [], refMaps: [(id: String, value: LabelMap)] = []
            var maxLabel = 0
            for (id, path) in refFiles {
                let m = try readLabels(path)
                maxLabel = max(maxLabel, Int(m.maxLabel)); refMaps.append((id, m))
            }
            for (id, path) in predFiles {
                var m = try readLabels(path)
                maxLabel = max(maxLabel, Int(m.maxLabel))
                if let ref = refMaps.first(where: { $0.id == id })?.value {
                    guard m.shape == ref.shape else { throw CLIError(file: path, problem: "shape \(m.shape) differs from the reference's \(ref.shape)") }
                    m = try LabelMap(labels: m.labels, shape: m.shape, spacing: ref.spacing)
                }
                predMaps.append((id, m))
            }
            let k = classes ?? max(maxLabel + 1, 2)
            guard maxLabel < k else { throw CLIError(file: pred, problem: "label \(maxLabel) is not below --classes \(k)") }
            let voxel = RunPipeline.defaultNSDTolerance(refMaps.map(\.value))
            let smallest = refMaps.flatMap(\.value.spacing).filter { $0 > 0 }.min() ?? voxel
            let tolerance = nsdTolerance ?? voxel
            if let t = nsdTolerance {
                guard t > 0, t.isFinite else { throw CLIError(file: "--nsd-tolerance", problem: "must be a positive number of mm, got \(t)") }
                if t < smallest {
                    printError(String(format: "warning: --nsd-tolerance %g mm is below the voxel size of the references (%.3g mm): NSD then counts "
                                      + "only surface points that coincide exactly", t, smallest))
                }
            } else {
                print(String(format: "note: NSD tolerance %.3g mm, the largest voxel spacing of the references (--nsd-tolerance to change it)", tolerance))
            }
            let results: [CaseResult]
            do {
                results = try evaluateCases(predictions: predMaps, references: refMaps, classes: k, options: MetricOptions(nsdTolerance: tolerance))
            } catch let e as EvaluationError { throw CLIError(file: pred, problem: "\(e)") }
            let report = try EvaluationReport(results: results, includeSemantic: semantic)
            try writeAtomically(try report.jsonData(), to: URL(fileURLWithPath: out))
            let fg = report.foregroundMean[.dice].map { String(format: "%.4f", $0) } ?? "n/a"
            print("\(results.count) cases, foreground Dice \(fg) -> \(out)")
        }
    }

    /// `(case id, path)` of every label file in a folder, sorted by id.
    func labelFiles(_ folder: String) throws -> [(String, String)] {
        try inputImages(folder).map { (URL(fileURLWithPath: $0).lastPathComponent, $0) }
    }

    /// Reads a label map: values must be integers in 0...255; spacing from the file (z, y, x order).
    func readLabels(_ path: String) throws -> LabelMap {
        let v = try Nifti.read(path)
        do { return try RunPipeline.labelMap(v) } catch let e as TrainingError { throw CLIError(file: path, problem: e.description) }
    }
}
