import Foundation
import MedIO

/// Writes `RUN/tensorboard/events.out.tfevents.<unix time>.<host>.<pid>.semiseg`, one file per `train` invocation,
/// one event per epoch (step = 1-based epoch):
///
/// - scalars `train/loss`, `train/supervised_loss`, `lr`, `val/loss`, `val/dice`, `val/dice/<class name>` (validation
///   epochs only) and `strategy/<key>` for every value a strategy records;
/// - image `val/overlay` (PNG, `ValidationSnapshot.overlay`: reference contour green, prediction red) per validation.
///
/// Each event is written with one `write` call as the epoch ends, so a killed run keeps every finished epoch. On a
/// resume, events of the earlier files with a step after the checkpoint's epoch (logged by an invocation that died
/// before its checkpoint) and any torn record at a file's end are removed, so no step appears twice.
public final class TensorBoardLogger: TrainingObserver {
    /// Class index -> name used in `val/dice/<name>` tags.
    public var classNames: [Int: String]
    private var handle: FileHandle?
    private var directory: URL?

    public init(classNames: [Int: String] = [:]) { self.classNames = classNames }

    deinit { try? handle?.close() }

    public func trainingWillStart(_ run: RunContext, epochsDone: Int) throws {
        let dir = run.runDirectory.appendingPathComponent("tensorboard")
        let fm = FileManager.default
        do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw TrainingError("\(dir.path): cannot create the TensorBoard folder (\(error.localizedDescription))")
        }
        _ = AtomicFile.removeStaleTemporaries(in: dir)
        let existing = TensorBoardLogger.eventFiles(in: dir)
        for f in existing { try TensorBoardLogger.truncate(f, afterStep: Int64(epochsDone)) }
        // File names sort by time (TensorBoard reads a folder's files in name order): never earlier than an existing one.
        var stamp = Int(Date().timeIntervalSince1970)
        for f in existing {
            let parts = f.lastPathComponent.split(separator: ".")
            if parts.count > 3, let t = Int(parts[3]) { stamp = max(stamp, t + 1) }
        }
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: ".", with: "_")
        let url = dir.appendingPathComponent("events.out.tfevents.\(stamp).\(host).\(getpid()).semiseg")
        guard fm.createFile(atPath: url.path, contents: nil), let h = try? FileHandle(forWritingTo: url) else {
            throw TrainingError("\(url.path): cannot create the TensorBoard event file")
        }
        handle = h
        directory = dir
        try append(EventProto.fileVersionEvent(wallTime: Date().timeIntervalSince1970), to: url)
    }

    public func epochDidEnd(_ run: RunContext, epoch: EpochMetrics, history: [EpochMetrics], validation: ValidationResult?) throws {
        guard let dir = directory else { return }
        var values: [EventProto.Value] = [
            .scalar(tag: "train/loss", value: Float(epoch.loss)),
            .scalar(tag: "train/supervised_loss", value: Float(epoch.supervisedLoss)),
            .scalar(tag: "lr", value: Float(epoch.learningRate)),
        ]
        for (k, v) in epoch.strategyValues.sorted(by: { $0.key < $1.key }) { values.append(.scalar(tag: "strategy/\(k)", value: Float(v))) }
        if let val = validation {
            if let l = val.loss { values.append(.scalar(tag: "val/loss", value: Float(l))) }
            if let d = val.dice { values.append(.scalar(tag: "val/dice", value: Float(d))) }
            for (k, d) in val.classDice.sorted(by: { $0.key < $1.key }) {
                values.append(.scalar(tag: "val/dice/\(classNames[k] ?? "class\(k)")", value: Float(d)))
            }
            if let s = val.snapshot {
                let img = s.overlay()
                let png = try PNG.encode(img, name: dir.path)
                values.append(.image(tag: "val/overlay", width: img.width, height: img.height, channels: img.channels, png: png))
            }
        }
        let event = EventProto.summaryEvent(wallTime: Date().timeIntervalSince1970, step: Int64(epoch.epoch), values: values)
        try append(event, to: dir)
    }

    private func append(_ payload: [UInt8], to url: URL) throws {
        guard let h = handle else { return }
        do { try h.write(contentsOf: Data(TFRecord.frame(payload))) } catch {
            throw TrainingError("\(url.path): cannot write the TensorBoard event file (\(error.localizedDescription))")
        }
    }

    /// The event files in `dir`, in name order.
    static func eventFiles(in dir: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasPrefix("events.out.tfevents.") }.sorted().map { dir.appendingPathComponent($0) }
    }

    /// Rewrites `url` (atomically) without events whose step exceeds `step` and without a torn tail; untouched when
    /// nothing is to be removed.
    static func truncate(_ url: URL, afterStep step: Int64) throws {
        guard let data = try? Data(contentsOf: url) else { return }
        let bytes = [UInt8](data)
        let (records, valid) = TFRecord.records(bytes)
        let kept = records.filter { (EventProto.step(ofEvent: $0) ?? Int64.max) <= step }
        if kept.count == records.count && valid == bytes.count { return }
        try writeAtomically(Data(kept.flatMap { TFRecord.frame($0) }), to: url)
    }
}
