import AtomicIO
import Foundation

/// Writes a synthetic MSD-layout dataset: `dataset.json`, `imagesTr/`, `labelsTr/`, `imagesTs/`, `labelsTs/`.
///
/// Files are `<kind>_<index>.nii.gz`: images int16 HU, labels uint8, sharing one affine per case.
/// Training cases are indices `0..<cases`, test cases follow. Everything is a pure function of `seed`.
public enum SyntheticDataset {
    /// What was written.
    public struct Summary: Sendable {
        /// Training case file names (`spleen_0.nii.gz`, ...).
        public var training: [String]
        /// Test case file names.
        public var test: [String]
    }

    /// Generates and writes the dataset into `folder` (created if missing; existing case files are replaced).
    /// Cases are generated in parallel (`DispatchQueue.concurrentPerform`).
    @discardableResult
    public static func write(to folder: String, kind: PhantomKind, dims: Int, cases: Int, testCases: Int,
                             seed: UInt64, shape: [Int]? = nil) throws -> Summary {
        guard dims == 2 || dims == 3 else { throw MedIOError(folder, "--dims must be 2 or 3, got \(dims)") }
        guard cases >= 1, testCases >= 0 else { throw MedIOError(folder, "need at least one training case") }
        let fm = FileManager.default
        let root = URL(fileURLWithPath: folder)
        for sub in ["imagesTr", "labelsTr", "imagesTs", "labelsTs"] {
            do { try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true) } catch {
                throw MedIOError(folder, "cannot create \(sub): \(error.localizedDescription)")
            }
        }
        let gen = PhantomGenerator(kind: kind, dims: dims, shape: shape)
        let total = cases + testCases
        let names = (0..<total).map { "\(kind.rawValue)_\($0).nii.gz" }
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: total) { i in
            guard !errors.hasError else { return }
            let c = gen.generate(seed: seed, index: i)
            let split = i < cases ? "Tr" : "Ts"
            do {
                try Nifti.write(c.image, to: root.appendingPathComponent("images\(split)/\(names[i])").path, datatype: .int16)
                try Nifti.write(c.label, to: root.appendingPathComponent("labels\(split)/\(names[i])").path, datatype: .uint8)
            } catch {
                errors.set(error)
            }
        }
        if let e = errors.error { throw e }
        let training = Array(names[0..<cases]), test = Array(names[cases...])
        let labels = kind.labelNames.enumerated().map { "\"\($0.offset)\": \"\($0.element)\"" }.joined(separator: ", ")
        let trainingJSON = training.map { "    {\"image\": \"./imagesTr/\($0)\", \"label\": \"./labelsTr/\($0)\"}" }.joined(separator: ",\n")
        let testJSON = test.map { "    \"./imagesTs/\($0)\"" }.joined(separator: ",\n")
        let json = """
        {
          "name": "Synthetic\(kind.rawValue.capitalized)",
          "description": "SemiSeg synthetic abdominal CT phantoms (kind \(kind.rawValue), seed \(seed)); labelsTs holds test labels",
          "reference": "semiseg synth",
          "licence": "CC0",
          "tensorImageSize": "\(dims)D",
          "modality": {"0": "CT"},
          "labels": {\(labels)},
          "numTraining": \(training.count),
          "numTest": \(test.count),
          "training": [
        \(trainingJSON)
          ],
          "test": [
        \(testJSON)
          ]
        }

        """
        do { try AtomicWrite.write(Data(json.utf8), to: root.appendingPathComponent("dataset.json")) } catch let f as AtomicWrite.Failure {
            throw MedIOError(f.path, f.noSpace ? "no space left on device" : "cannot write: \(f.reason)")
        }
        return Summary(training: training, test: test)
    }
}

/// First error raised by any worker of a concurrent loop.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?
    var hasError: Bool { lock.lock(); defer { lock.unlock() }; return first != nil }
    var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
    func set(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
}
