import Foundation
import MedIO
import Training

/// Pictures of a run while it trains, in `RUN/figures/`:
///
/// - `val-progress/epoch-NNNN.png`: per validation, the first validation case's most-foreground slice as four panels
///   (image, reference labels in green, predicted labels in red (darker shades for classes 2...6), overlay with the
///   reference contour green and the prediction contour red),
///   titled with the epoch and the validation Dice;
/// - `val-progress.gif`: those frames in epoch order, one per validation (rebuilt at each validation, 0.5 s a frame);
/// - `curves.png`: training and validation loss, and validation Dice, against epoch.
///
/// Slices are shown as stored on the training grid (rows = `H`, columns = `W`). A resumed run first drops frames of
/// epochs after its checkpoint, so the GIF keeps exactly one frame per validation.
public final class TrainingProgress: TrainingObserver {
    /// Smallest panel height in pixels (small slices are enlarged by an integer factor).
    public var minimumPanelHeight = 128

    /// Encoded GIF frames by epoch file name (each frame PNG is read and LZW-encoded once per process).
    private var encoded: [String: (width: Int, height: Int, bytes: [UInt8])] = [:]
    private let palette = GIF.progressPalette()
    private lazy var quantizer = GIF.Quantizer(palette: palette)

    public init() {}

    static func figures(_ run: RunContext) -> URL { run.runDirectory.appendingPathComponent("figures") }
    static func framesFolder(_ run: RunContext) -> URL { figures(run).appendingPathComponent("val-progress") }

    public func trainingWillStart(_ run: RunContext, epochsDone: Int) throws {
        let dir = TrainingProgress.framesFolder(run)
        let frames = TrainingProgress.frameFiles(dir)
        let stale = frames.filter { $0.epoch > epochsDone }
        for f in stale { try? FileManager.default.removeItem(at: f.url); encoded[f.url.lastPathComponent] = nil }
        if !stale.isEmpty { try writeGIF(run) }
    }

    public func epochDidEnd(_ run: RunContext, epoch: EpochMetrics, history: [EpochMetrics], validation: ValidationResult?) throws {
        let fig = TrainingProgress.figures(run)
        do { try FileManager.default.createDirectory(at: TrainingProgress.framesFolder(run), withIntermediateDirectories: true) } catch {
            throw TrainingError("\(fig.path): cannot create the figures folder (\(error.localizedDescription))")
        }
        try PNG.write(curves(history), to: fig.appendingPathComponent("curves.png").path)
        guard let v = validation, let snap = v.snapshot else { return }
        let frame = self.frame(snap, epoch: epoch.epoch, dice: v.dice)
        let name = String(format: "epoch-%04d.png", epoch.epoch)
        try PNG.write(frame, to: TrainingProgress.framesFolder(run).appendingPathComponent(name).path)
        encoded[name] = nil
        try writeGIF(run)
    }

    /// The four-panel frame of one validation.
    public func frame(_ s: ValidationSnapshot, epoch: Int, dice: Double?) -> PixelImage {
        let factor = max(1, (minimumPanelHeight + s.height - 1) / s.height)
        let panels = [
            ("image", Colormap.gray.render(s.image, width: s.width, height: s.height, window: s.window)),
            ("reference", TrainingProgress.render(s.reference, width: s.width, height: s.height, colour: ValidationSnapshot.referenceColour)),
            ("prediction", TrainingProgress.render(s.prediction, width: s.width, height: s.height, colour: ValidationSnapshot.predictionColour)),
            ("overlay", s.overlay()),
        ].map { Canvas.titled($0.1.scaled(by: factor), [$0.0], scale: 1, margin: 4) }
        let diceText = dice.map { String(format: "val Dice %.3f", $0) } ?? "val Dice n/a"
        return Canvas.titled(Canvas.hstack(panels, gap: 4),
                             ["epoch \(epoch)  \(diceText)", "\(s.caseID) slice \(s.slice)  reference green, prediction red"], scale: 2, margin: 6)
    }

    /// Class `k` (>= 1) in a shade of `colour`: class 1 the colour itself, higher classes darker (up to class 6).
    public static func shade(_ colour: (UInt8, UInt8, UInt8), class k: Int) -> RGB {
        let f = [1.0, 0.7, 0.5, 0.38, 0.3, 0.24][min(max(k, 1), 6) - 1]
        func s(_ v: UInt8) -> UInt8 { UInt8((Double(v) * f).rounded()) }
        return RGB(s(colour.0), s(colour.1), s(colour.2))
    }

    /// A label map on black, class k in `shade(colour, class: k)`.
    static func render(_ labels: [Int], width: Int, height: Int, colour: (UInt8, UInt8, UInt8)) -> PixelImage {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<labels.count where labels[i] > 0 {
            let c = shade(colour, class: labels[i])
            px[3 * i] = c.r; px[3 * i + 1] = c.g; px[3 * i + 2] = c.b
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: px)
    }

    /// Training and validation loss (left) and validation Dice (right) against epoch.
    func curves(_ history: [EpochMetrics]) -> PixelImage {
        func points(_ f: (EpochMetrics) -> Double?) -> [(x: Double, y: Double)] {
            history.compactMap { m in f(m).map { (x: Double(m.epoch), y: $0) } }
        }
        var loss = [ChartSeries(name: "train loss", color: RGB.series(0), points: points { $0.loss })]
        let valLoss = points { $0.validationLoss }
        if !valLoss.isEmpty { loss.append(ChartSeries(name: "validation loss", color: RGB.series(1), points: valLoss)) }
        let left = Charts.lineChart(title: "Loss", xLabel: "epoch", yLabel: "loss (lower is better)", series: loss)
        let dice = points { $0.validationDice }
        guard !dice.isEmpty else { return left }
        let right = Charts.lineChart(title: "Validation Dice", xLabel: "epoch", yLabel: "foreground Dice",
                                     series: [ChartSeries(name: "validation Dice", color: RGB.series(2), points: dice)], yRange: 0...1)
        return Canvas.hstack([left, right], gap: 16)
    }

    /// Rebuilds `val-progress.gif` from the frame PNGs (frames of another size than the newest are skipped).
    func writeGIF(_ run: RunContext) throws {
        let frames = TrainingProgress.frameFiles(TrainingProgress.framesFolder(run))
        let gifURL = TrainingProgress.figures(run).appendingPathComponent("val-progress.gif")
        guard !frames.isEmpty else { try? FileManager.default.removeItem(at: gifURL); return }
        var list: [(width: Int, height: Int, bytes: [UInt8])] = []
        for f in frames {
            let key = f.url.lastPathComponent
            if let e = encoded[key] { list.append(e); continue }
            let image = try PNG.read(f.url.path, channels: 3)
            let e = (image.width, image.height, GIF.encodeFrame(quantizer.indices(image), width: image.width, height: image.height, delay: 50))
            encoded[key] = e
            list.append(e)
        }
        guard let last = list.last else { return }
        let same = list.filter { $0.width == last.width && $0.height == last.height }.map(\.bytes)
        try writeAtomically(GIF.assemble(encodedFrames: same, width: last.width, height: last.height, palette: palette), to: gifURL)
    }

    /// Frame files `epoch-NNNN.png` in `dir` with their epochs, in epoch order.
    static func frameFiles(_ dir: URL) -> [(epoch: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.compactMap { n -> (epoch: Int, url: URL)? in
            guard n.hasPrefix("epoch-"), n.hasSuffix(".png"), let e = Int(n.dropFirst(6).dropLast(4)) else { return nil }
            return (e, dir.appendingPathComponent(n))
        }.sorted { $0.epoch < $1.epoch }
    }
}
