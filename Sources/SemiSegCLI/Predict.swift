import ArgumentParser
import Engine
import Experiments
import Foundation
import MedIO
import Reporting
import Training

/// `semiseg predict`: segments every NIfTI image in a folder with a finished run; outputs overlay the inputs exactly.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict label maps (and uncertainty maps) for a folder of NIfTI images with a trained run.",
        discussion: """
        Writes <case>.nii.gz (uint8 labels) in the input's original grid and geometry, and for every uncertainty \
        map the strategy produces (entropy; MC dropout adds variance and mutual_information) \
        uncertainty/<case>_<map>.nii.gz (float32), so the output folder itself holds only label maps and can be \
        passed to `semiseg evaluate --pred`. --png writes one montage per case: image | prediction overlay | \
        uncertainty heat maps.
        """)

    @Option(name: .customLong("run"), help: "Run folder written by `semiseg train`.") var runFolder: String
    @Option(help: "Folder of .nii/.nii.gz images (for an MSD folder, its imagesTs is used).") var input: String
    @Option(help: "Output folder.") var out: String
    @Option(name: .customLong("mc-samples"), help: "Stochastic passes for an \(strategies(takingPredictFlag: "mc-samples")) run.") var mcSamples: Int?
    @Option(help: "Also write PNG montages to this folder.") var png: String?
    @Flag(help: "Also write class probabilities as probabilities/<case>.nii.gz (4D, one channel per class).") var probabilities = false
    @Option(help: "Worker threads.") var threads: Int = 2

    func run() throws {
        try reportingFailures {
            Parallel.threads = max(1, threads)
            let dir = URL(fileURLWithPath: runFolder)
            let configURL = dir.appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: configURL.path) else { throw CLIError(file: runFolder, problem: "not a run folder (no config.json)") }
            var config = try TrainConfig.loadValidated(configURL)
            let prep = try Preprocessing.load(dir.appendingPathComponent("preprocessing.json"))
            try config.setClasses(prep.classes)
            var opts = config.strategyOptions
            if let t = mcSamples { try applyPredictFlag("mc-samples", t, strategy: config.strategy, runFolder: runFolder, to: &opts) }
            let strategy = try makeStrategy(config.strategy, StrategyOptions(opts, owner: config.strategy))
            let store = CaseStore(labeled: [], unlabeled: [], validation: [], test: [])
            let trainer = try Trainer(validated: config, strategy: strategy, data: store, split: try DataSplit.load(dir.appendingPathComponent("split.json")),
                                      runDirectory: dir, forInference: true, log: { _ in })
            let outDir = URL(fileURLWithPath: out)
            try trainer.loadBest()
            let files = try inputImages(input)
            let uncertaintyDir = outDir.appendingPathComponent("uncertainty"), probDir = outDir.appendingPathComponent("probabilities")
            // Every output folder is created and probed before the first (slow) prediction: a read-only or
            // impossible path is one `error: <path>: ...` line, not an error from deep inside a write.
            var folders = [outDir, uncertaintyDir]
            if probabilities { folders.append(probDir) }
            if let png { folders.append(URL(fileURLWithPath: png)) }
            for f in folders { try ensureWritableFolder(f) }
            // One writer per output folder (FolderLock): a second predict, or a run training there, is refused.
            let lock = try FolderLock.acquire(outDir, command: "predict")
            defer { lock.release() }
            let catalogue = MapCatalogue(declared: declaredUncertaintyMaps)
            let labelNames = Dictionary(uniqueKeysWithValues: prep.labelNames.compactMap { k, v in Int(k).map { ($0, v) } })
            for path in files {
                let name = URL(fileURLWithPath: path).lastPathComponent
                let stem = NiftiFiles.stem(name)
                let volume = try Nifti.read(path)
                guard volume.channels == prep.channels else {
                    throw CLIError(file: path, problem: "has \(volume.channels) channel(s), the run was trained on \(prep.channels)")
                }
                let prediction = try MirroredBorder.predict(trainer, prep.imageTensor(volume))
                let labels = prep.restoreLabels(probabilities: prediction.probabilities, like: volume)
                try Nifti.write(labels, to: outDir.appendingPathComponent(stem + ".nii.gz").path, datatype: .uint8)
                var heat: [CaseMontage.HeatMap] = []
                for (key, map) in prediction.uncertainty.sorted(by: { $0.key < $1.key }) {
                    let v = prep.restore(maps: map.reshaped([1] + map.shape), like: volume)
                    // Entropy-type maps have the fixed range [0, ln K] (nats); others use their own maximum.
                    heat.append(CaseMontage.heatMap(named: key, map: v, classes: prep.classes, catalogue: catalogue))
                    try Nifti.write(v, to: uncertaintyDir.appendingPathComponent("\(stem)_\(key).nii.gz").path, datatype: .float32)
                }
                if probabilities {
                    try Nifti.write(prep.restore(maps: prediction.probabilities, like: volume),
                                    to: probDir.appendingPathComponent(stem + ".nii.gz").path, datatype: .float32)
                }
                if let png {
                    let img = CaseMontage.render(image: volume.channel(0), caseName: stem, overlays: [("prediction", labels)],
                                                 heatmaps: heat, classes: prep.classes, labelNames: labelNames)
                    try PNG.write(img, to: URL(fileURLWithPath: png).appendingPathComponent("\(stem).png").path)
                }
                print("\(name): \(labels.data.filter { $0 > 0 }.count) foreground voxels")
            }
        }
    }
}

/// Creates `folder` (with parents) and checks that a file can be written in it.
/// - Throws: `CLIError` "`<folder>`: cannot create the folder (...)" or "`<folder>`: not writable (...)".
func ensureWritableFolder(_ folder: URL) throws {
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw CLIError(file: folder.path, problem: "cannot create the folder (\(posixReason(error)))")
    }
    do { try Preflight.checkWritable(folder) } catch {
        throw CLIError(file: folder.path, problem: "not writable (permission denied or read-only file system)")
    }
}

/// The short reason of a Foundation file error ("Permission denied", "Read-only file system", ...), never the
/// `NSCocoaErrorDomain Code=...` dump.
func posixReason(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
       let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
        return String(cString: strerror(code.rawValue))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    switch ns.code {
    case NSFileWriteNoPermissionError: return "Permission denied"
    case NSFileWriteVolumeReadOnlyError: return "Read-only file system"
    case NSFileWriteOutOfSpaceError: return "No space left on device"
    default: return ns.localizedDescription
    }
}

/// The `.nii`/`.nii.gz` image paths of a folder, sorted, skipping `._*`; a folder with an `imagesTs` subfolder
/// (an MSD root) resolves to it.
func inputImages(_ folder: String) throws -> [String] {
    var dir = URL(fileURLWithPath: folder)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
        throw CLIError(file: folder, problem: "no such folder")
    }
    let ts = dir.appendingPathComponent("imagesTs")
    if FileManager.default.fileExists(atPath: ts.path, isDirectory: &isDir), isDir.boolValue { dir = ts }
    let images = NiftiFiles.names(in: dir)
    guard !images.isEmpty else { throw CLIError(file: dir.path, problem: "no .nii or .nii.gz images") }
    return images.map { dir.appendingPathComponent($0).path }
}
