import ArgumentParser
import Engine
import Foundation
import NN

/// `semiseg bench`: times one training step (forward + backward + Adam) and one inference pass of the benchmark
/// U-Nets (ARCHITECTURE §6), median of `--reps` after a warm-up, with the peak RSS of a process running only that net.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark the reference U-Nets (train step, inference, peak memory).")

    @Flag(help: "One JSON line per network.") var json = false
    @Option(help: "Run only this network (unet3d-s8 or unet2d-s16); without it each network runs in its own child process.")
    var net: String?
    @Option(help: "Timed repetitions (median reported).") var reps = 3
    @Option(help: "Worker threads.") var threads = 2

    static let inputs: [String: [Int]] = ["unet3d-s8": [1, 1, 64, 128, 128], "unet2d-s16": [8, 1, 256, 256]]

    func run() throws {
        guard reps >= 1 else { throw CLIFailure("bench", "--reps must be >= 1") }
        guard let net else {
            // One child process per network so each peak RSS is that network's alone.
            for name in ["unet3d-s8", "unet2d-s16"] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
                if !FileManager.default.isExecutableFile(atPath: p.executableURL?.path ?? "") {
                    p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                }
                p.arguments = ["bench", "--net", name, "--reps", String(reps), "--threads", String(threads)] + (json ? ["--json"] : [])
                try p.run()
                p.waitUntilExit()
                if p.terminationStatus != 0 { throw CLIFailure("bench", "benchmark of \(name) failed (exit \(p.terminationStatus))") }
            }
            return
        }
        guard let config = UNetConfig.preset(named: net), let shape = Bench.inputs[net] else {
            throw CLIFailure("bench", "unknown network '\(net)' (known: unet3d-s8, unet2d-s16)")
        }
        Parallel.threads = max(1, threads)
        let model = UNet(config, seed: 0)
        let adam = Adam(model.namedParameters(), learningRate: 1e-3)
        var rng = RNG(seed: 0)
        let x = Tensor.randn(shape, rng: &rng)
        let labelShape = [shape[0]] + Array(shape.dropFirst(2))
        let y = Tensor((0..<Shape.count(labelShape)).map { _ in Float(rng.int(below: 2)) }, shape: labelShape)
        func step() {
            model.zeroGrad()
            let loss = Losses.crossEntropy(model(x), y)
            loss.backward()
            adam.step()
        }
        func timed(_ body: () -> Void) -> Double {
            let t = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
        }
        model.train()
        step()
        let train = (0..<reps).map { _ in timed(step) }.sorted()[reps / 2]
        model.eval()
        _ = withNoGrad { model(x) }
        let infer = (0..<reps).map { _ in timed { _ = withNoGrad { model(x) } } }.sorted()[reps / 2]
        let rss = peakRSSMegabytes()
        if json {
            print(String(format: "{\"net\":\"%@\",\"threads\":%d,\"train_step_s\":%.4f,\"infer_s\":%.4f,\"peak_rss_mb\":%.1f,\"params\":%d}",
                         net, threads, train, infer, rss, model.parameterCount))
        } else {
            print(String(format: "%@  train step %.3f s  inference %.3f s  peak RSS %.0f MB  (%d parameters, %d threads)",
                         net, train, infer, rss, model.parameterCount, threads))
        }
        fflush(stdout)
    }
}

/// Peak resident set size of this process in MB (Linux `ru_maxrss` is in KiB).
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
