import ArgumentParser
import Foundation
import MedIO

/// `semiseg synth`: a deterministic synthetic abdominal CT dataset in MSD layout.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic CT phantoms (dataset.json, imagesTr, labelsTr, imagesTs, labelsTs).",
        discussion: """
        Kinds: spleen (labels 0 background, 1 spleen) and liver (0 background, 1 liver, 2 lesion). 3D cases are \
        128x128x64 voxels (x, y, z) with anisotropic spacing; 2D cases one 128x128 axial slice. Images are int16 HU, \
        labels uint8. The same --seed always gives the same files.
        """)

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Number of training cases (imagesTr/labelsTr).")
    var cases = 40

    @Option(help: "Number of test cases (imagesTs/labelsTs); default: a quarter of --cases, at least 2.")
    var testCases: Int?

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "spleen or liver.")
    var kind = "spleen"

    @Option(help: "2 or 3.")
    var dims = 3

    func run() throws {
        try reportingBadInput {
            guard let k = PhantomKind(rawValue: kind) else { throw CLIError(file: out, problem: "unknown --kind \(kind) (spleen or liver)") }
            guard dims == 2 || dims == 3 else { throw CLIError(file: out, problem: "--dims must be 2 or 3") }
            guard cases >= 1 else { throw CLIError(file: out, problem: "--cases must be at least 1") }
            let test = testCases ?? max(2, (cases + 3) / 4)
            let start = Date()
            let s = try SyntheticDataset.write(to: out, kind: k, dims: dims, cases: cases, testCases: test, seed: seed)
            print("wrote \(s.training.count) training + \(s.test.count) test \(dims)D \(k.rawValue) cases to \(out) "
                  + "in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
    }
}
