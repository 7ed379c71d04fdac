import Engine
import Foundation
import MCDropoutPlugin
import NN
import Training

/// `semiseg bench --sliding D,H,W` and `--mc-samples T`: inference benchmarks of a 3D network on CT-sized inputs.
extension Bench {
    /// The sliding-window patch and overlap of the benchmark (MONAI's `roi_size` / `overlap` in the reference).
    static let slidingPatch = [64, 128, 128]
    static let slidingOverlap = 0.5

    /// Parses `D,H,W` (positive integers).
    static func parseVolume(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let dims = parts as? [Int], dims.allSatisfy({ $0 > 0 }) else {
            throw CLIError(file: "bench", problem: "--sliding must be three positive integers D,H,W, got '\(text)'")
        }
        return dims
    }

    /// Gaussian-weighted sliding-window inference (patch 64x128x128, overlap 0.5, sigma 1/8 of the patch, one patch per
    /// forward, softmax probabilities accumulated) of a random volume `[1, D, H, W]`; prints one line (JSON with `--json`).
    func benchSliding(net: String, config: NetworkSpec, volume: [Int]) throws {
        guard config.dims == 3 else { throw CLIError(file: "bench", problem: "--sliding needs a 3D network (unet3d-s8), got '\(net)'") }
        let model = NetworkRegistry.build(config, seed: 0)
        model.eval()
        var rng = RNG(seed: 0)
        let image = Tensor.randn([1] + volume, rng: &rng)
        let window = SlidingWindow(patch: Bench.slidingPatch, stepFraction: 1 - Bench.slidingOverlap)
        let windows = (0..<3).map { SlidingWindow.starts(size: volume[$0], p: Bench.slidingPatch[$0], step: window.stepFraction).count }
            .reduce(1, *)
        // Warm-up: one patch through the network (as the reference does), then the timed pass over the whole volume.
        _ = withNoGrad { model(Tensor.randn([1, 1] + Bench.slidingPatch, rng: &rng)) }
        var times: [Double] = [], cpuTimes: [Double] = []
        for _ in 0..<reps {
            let t = DispatchTime.now().uptimeNanoseconds, c = processCPUSeconds()
            let probs = window.predict(image, classes: config.classes) { model($0) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
            cpuTimes.append(processCPUSeconds() - c)
            precondition(probs.shape == [config.classes] + volume, "bench: sliding window returned \(probs.shape)")
        }
        let infer = times.sorted()[times.count / 2], inferCPU = cpuTimes.sorted()[cpuTimes.count / 2], rss = peakRSSMegabytes()
        let vol = volume.map(String.init).joined(separator: ",")
        if json {
            print(String(format: "{\"net\":\"%@-sliding\",\"volume\":[%@],\"patch\":[64,128,128],\"overlap\":0.5,\"windows\":%d,"
                         + "\"threads\":%d,\"infer_s\":%.4f,\"infer_cpu_s\":%.4f,\"peak_rss_mb\":%.1f}", net, vol, windows, threads, infer,
                         inferCPU, rss))
        } else {
            print(String(format: "%@ sliding window over %@: %d windows of 64x128x128 (overlap 0.5, Gaussian), %.3f s (%.3f CPU s), peak RSS %.0f MB (%d threads)",
                         net, volume.map(String.init).joined(separator: "x"), windows, infer, inferCPU, rss, threads))
        }
        fflush(stdout)
    }

    /// MC-dropout inference of one 64x128x128 case with T stochastic passes: all T in one forward of a T-sample batch
    /// (`batch-passes` 0) against T separate forwards (`batch-passes` 1), alternating, medians of `--reps`.
    func benchMCDropout(net: String, config: NetworkSpec, samples: Int) throws {
        guard config.dims == 3 else { throw CLIError(file: "bench", problem: "--mc-samples needs a 3D network (unet3d-s8), got '\(net)'") }
        guard samples >= 1 else { throw CLIError(file: "bench", problem: "--mc-samples must be >= 1, got \(samples)") }
        var cfg = config
        let strategy = try MCDropout(options: StrategyOptions([:]))
        strategy.configure(model: &cfg)
        let model = NetworkRegistry.build(cfg, seed: 0)
        var rng = RNG(seed: 0)
        let image = Tensor.randn([1] + Bench.slidingPatch, rng: &rng)
        let window = SlidingWindow(patch: Bench.slidingPatch, stepFraction: 0.5)
        func timed(_ batchPasses: Int) throws -> (Double, [Tensor]) {
            let t = DispatchTime.now().uptimeNanoseconds
            let draws = try MCDropout.sample(image, model: model, classes: cfg.classes, window: window, samples: samples,
                                             batchPasses: batchPasses, seed: 0)
            return (Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9, draws)
        }
        _ = try timed(1)  // warm-up
        var batched: [Double] = [], separate: [Double] = []
        var maxDiff: Float = 0
        for _ in 0..<reps {
            let (ts, a) = try timed(1)
            let (tb, b) = try timed(0)
            separate.append(ts); batched.append(tb)
            for (x, y) in zip(a, b) { for (u, v) in zip(x.scalars, y.scalars) { maxDiff = Swift.max(maxDiff, abs(u - v)) } }
        }
        let mb = batched.sorted()[reps / 2], ms = separate.sorted()[reps / 2], rss = peakRSSMegabytes()
        if json {
            print(String(format: "{\"net\":\"%@-\(MCDropout.name)\",\"case\":[64,128,128],\"samples\":%d,\"threads\":%d,\"batched_s\":%.4f,"
                         + "\"separate_s\":%.4f,\"ratio\":%.3f,\"max_abs_diff\":%.2e,\"peak_rss_mb\":%.1f}",
                         net, samples, threads, mb, ms, mb / ms, Double(maxDiff), rss))
        } else {
            print(String(format: "%@ MC dropout T = %d on 64x128x128: one batched forward %.3f s, %d separate forwards %.3f s (ratio %.2f; "
                         + "max |difference| of the sampled probabilities %.1e), peak RSS %.0f MB (%d threads)",
                         net, samples, mb, samples, ms, mb / ms, Double(maxDiff), rss, threads))
        }
        fflush(stdout)
    }
}
