import ArgumentParser
import Engine
import Foundation
import NN

/// `semiseg bench`: times one training step (forward + backward + Adam) and one inference pass of the benchmark
/// U-Nets (docs/ARCHITECTURE.md §9), median of `--reps` after a warm-up, with the peak RSS of a process running only that net.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark the reference U-Nets (train step, inference, peak memory).")

    @Flag(help: "One JSON line per network.") var json = false
    @Option(name: [.customLong("net"), .customLong("model")], help: "Run only this network (--net or --model): a benchmark preset (unet3d-s8, unet2d-s16) or any network of `semiseg models` (with --dims, --base, --input); without it each preset runs in its own child process.")
    var net: String?
    @Option(help: "Rank of a registry network given to --net (default 3).") var dims = 3
    @Option(help: "Width of a registry network given to --net (default 8).") var base = 8
    @Option(help: "Input shape N,C,spatial... of a registry network (default: the preset's of that rank, 1,1,64,128,128 or 8,1,256,256).")
    var input: String?
    @Option(name: .customLong("model-opt"), help: "Option of a registry network, key=value (repeatable; see `semiseg models`).")
    var modelOpt: [String] = []
    @Option(help: "Timed repetitions (median reported).") var reps = 3
    @Option(help: "Worker threads.") var threads = 2
    @Flag(help: "Per convolution shape: ms and GFLOP/s (per wall second and per CPU second) of forward, backward-data and backward-weight; each op family's share of a step.")
    var layers = false
    @Option(help: "Convolution kernels: auto, gemm (im2col + sgemm only), direct (direct SIMD kernels wherever possible, no Winograd) or winograd (Winograd F(4x4,3x3) for every supported 3x3 stride-1 convolution, training forward and backward-data included; auto uses it for inference, training's backward passes and 2D training forwards of convolutions with >= 16 channels) or winograd-training (auto plus training's 3D forward, without auto's small-map rules).")
    var conv = "auto"
    @Option(help: "Gaussian-weighted sliding-window inference (patch 64x128x128, overlap 0.5) of a random volume of this size D,H,W (e.g. 96,384,384) with the 3D network (default unet3d-s8).")
    var sliding: String?
    @Option(help: "MC-dropout inference of one 64x128x128 case with this many stochastic passes: one batched forward against separate forwards (3D network, default unet3d-s8).")
    var mcSamples: Int?

    static let inputs: [String: [Int]] = ["unet3d-s8": [1, 1, 64, 128, 128], "unet2d-s16": [8, 1, 256, 256]]

    /// The network and input of `--net`: a preset (docs/ARCHITECTURE.md §9) or a registry network at `--dims`/`--base`.
    func benchNetwork(_ net: String) throws -> (spec: NetworkSpec, shape: [Int]) {
        if let preset = NetworkRegistry.benchmarkPresets[net], let shape = Bench.inputs[net] { return (preset, shape) }
        guard NetworkRegistry.lookup(net) != nil else {
            throw CLIError(file: "bench", problem: "unknown network '\(net)' (presets: unet3d-s8, unet2d-s16; networks: \(NetworkRegistry.names.joined(separator: ", ")))")
        }
        var options: [String: String] = [:]
        for o in modelOpt {
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CLIError(file: "bench", problem: "--model-opt must be key=value, got '\(o)'") }
            options[kv[0]] = kv[1]
        }
        let spec = NetworkSpec(name: NetworkRegistry.lookup(net)?.entry.name ?? net, dims: NetworkRegistry.lookup(net)?.aliasDims ?? dims,
                               base: base, options: options)
        let problems = NetworkRegistry.problems(spec)
        guard problems.isEmpty else { throw CLIError(file: "bench", problem: problems.joined(separator: "; ")) }
        var shape = spec.dims == 3 ? [1, 1, 64, 128, 128] : [8, 1, 256, 256]
        if let input {
            let v = input.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard v.count == spec.dims + 2, let ints = v as? [Int], ints.allSatisfy({ $0 > 0 }), ints[1] == 1 else {
                throw CLIError(file: "bench", problem: "--input must be N,1,\(spec.dims == 3 ? "D,H,W" : "H,W") (positive), got '\(input)'")
            }
            shape = ints
        }
        let div = NetworkRegistry.divisor(spec)
        guard shape.dropFirst(2).allSatisfy({ $0 % div == 0 }) else {
            throw CLIError(file: "bench", problem: "--input spatial sizes must be divisible by \(div) for \(spec.name), got \(shape)")
        }
        return (spec, shape)
    }

    func run() throws {
        try reportingFailures { try bench() }
    }

    private func bench() throws {
        guard reps >= 1 else { throw CLIError(file: "bench", problem: "--reps must be >= 1") }
        guard let net = net ?? (sliding != nil || mcSamples != nil ? "unet3d-s8" : nil) else {
            // One child process per network so each peak RSS is that network's alone.
            for name in ["unet3d-s8", "unet2d-s16"] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
                if !FileManager.default.isExecutableFile(atPath: p.executableURL?.path ?? "") {
                    p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                }
                p.arguments = ["bench", "--net", name, "--reps", String(reps), "--threads", String(threads)] + (json ? ["--json"] : [])
                    + (layers ? ["--layers"] : []) + ["--conv", conv]
                try p.run()
                p.waitUntilExit()
                if p.terminationStatus != 0 { throw CLIError(file: "bench", problem: "benchmark of \(name) failed (exit \(p.terminationStatus))") }
            }
            return
        }
        let (config, shape) = try benchNetwork(net)
        Parallel.threads = max(1, threads)
        switch conv {
        case "auto": ConvKernels.algorithm = .automatic
        case "gemm": ConvKernels.algorithm = .gemm
        case "direct": ConvKernels.algorithm = .direct
        case "winograd": ConvKernels.algorithm = .winograd
        case "winograd-training": ConvKernels.algorithm = .winogradTraining
        default: throw CLIError(file: "bench", problem: "--conv must be auto, gemm, direct, winograd or winograd-training, got '\(conv)'")
        }
        if let sliding {
            try benchSliding(net: net, config: config, volume: try Bench.parseVolume(sliding))
            return
        }
        if let mcSamples {
            try benchMCDropout(net: net, config: config, samples: mcSamples)
            return
        }
        let model = NetworkRegistry.build(config, seed: 0)
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
        if layers {
            // The machine's peak on all threads (wall clock), and one core's (single-threaded, per CPU second: OpenBLAS's
            // waiting threads spin, which inflates a multi-threaded run's CPU seconds when other processes load the machine).
            let peak = Profiler.sgemmPeakGFLOPS(threads: Parallel.threads), core = Profiler.sgemmPeakGFLOPS(threads: 1)
            print(String(format: "sgemm peak (OpenBLAS, 2048^3, best of 3): %.1f GFLOP/s on %d threads; %.1f GFLOP per CPU second on 1 thread "
                         + "(one core); %%pk below = a layer's GFLOP per CPU second / the one-core figure (steady under machine load)",
                         peak.wall, Parallel.threads, core.perCPUSecond))
            printLayers(net: net, model: model, adam: adam, x: x, y: y, peak: core.perCPUSecond)
            return
        }
        // Wall seconds and process CPU seconds (user + system, all threads) of each repetition; medians of each.
        func timedBoth(_ body: () -> Void) -> (Double, Double) {
            let c = processCPUSeconds()
            let w = timed(body)
            return (w, processCPUSeconds() - c)
        }
        let trainRuns = (0..<reps).map { _ in timedBoth(step) }
        model.eval()
        _ = withNoGrad { model(x) }
        let inferRuns = (0..<reps).map { _ in timedBoth { _ = withNoGrad { model(x) } } }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        let train = median(trainRuns.map(\.0)), infer = median(inferRuns.map(\.0))
        let trainCPU = median(trainRuns.map(\.1)), inferCPU = median(inferRuns.map(\.1))
        let rss = peakRSSMegabytes()
        if json {
            print(String(format: "{\"net\":\"%@\",\"threads\":%d,\"train_step_s\":%.4f,\"infer_s\":%.4f,\"train_cpu_s\":%.4f,"
                         + "\"infer_cpu_s\":%.4f,\"peak_rss_mb\":%.1f,\"params\":%d}",
                         net, threads, train, infer, trainCPU, inferCPU, rss, model.parameterCount))
        } else {
            print(String(format: "%@  train step %.3f s (%.3f CPU s)  inference %.3f s (%.3f CPU s)  peak RSS %.0f MB  (%d parameters, %d threads)",
                         net, train, trainCPU, infer, inferCPU, rss, model.parameterCount, threads))
        }
        fflush(stdout)
    }
}

/// CPU seconds (user + system) this process has used so far, all threads.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Peak resident set size of this process in MB (Linux `ru_maxrss` is in KiB).
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

extension Bench {
    /// Profiles one training step and one inference pass (after the warm-up) against the sgemm peak `peak` (GFLOP/s)
    /// and prints, for each, the per-shape convolution table and the op-family shares.
    func printLayers(net: String, model: any SegmentationNetwork, adam: Adam, x: Tensor, y: Tensor, peak: Double) {
        Profiler.reset()
        Profiler.isEnabled = true
        let t0 = DispatchTime.now().uptimeNanoseconds, c0 = processCPUSeconds()
        model.zeroGrad()
        Profiler.restartLap()
        let loss = Losses.crossEntropy(model(x), y)
        let t1 = DispatchTime.now().uptimeNanoseconds
        loss.backward()
        let t2 = DispatchTime.now().uptimeNanoseconds, c2 = processCPUSeconds()
        adam.step()
        let t3 = DispatchTime.now().uptimeNanoseconds, c3 = processCPUSeconds()
        let adamCPU = c3 - c2
        Profiler.isEnabled = false
        let total = Double(t3 - t0) / 1e9
        print("\(net): one training step \(String(format: "%.3f", total)) s (forward+loss \(String(format: "%.3f", Double(t1 - t0) / 1e9)), "
              + "backward \(String(format: "%.3f", Double(t2 - t1) / 1e9)), Adam \(String(format: "%.3f", Double(t3 - t2) / 1e9))); "
              + String(format: "%.3f CPU s (user + system, all threads)", c3 - c0))
        printProfile(Profiler.report, total: total, extra: [("optimizer (Adam)", Double(t3 - t2) / 1e9, adamCPU)], peak: peak)

        // Inference: eval mode, no recording (the fused conv + batch norm + ReLU path), after one warm-up pass.
        model.eval()
        _ = withNoGrad { model(x) }
        Profiler.reset()
        Profiler.isEnabled = true
        let i0 = DispatchTime.now().uptimeNanoseconds, ic0 = processCPUSeconds()
        Profiler.restartLap()
        _ = withNoGrad { model(x) }
        let i1 = DispatchTime.now().uptimeNanoseconds, ic1 = processCPUSeconds()
        Profiler.isEnabled = false
        let inferTotal = Double(i1 - i0) / 1e9
        print("")
        print("\(net): one inference pass (eval, no grad) \(String(format: "%.3f", inferTotal)) s; "
              + String(format: "%.3f CPU s (user + system, all threads)", ic1 - ic0))
        printProfile(Profiler.report, total: inferTotal, extra: [], peak: peak)
        model.train()
        print(String(format: "peak RSS %.0f MB", peakRSSMegabytes()))
        fflush(stdout)
    }

    /// The per-shape convolution table (ms, GFLOP/s per wall and per CPU second, percent of `peak`) and the op-family
    /// shares of one profiled pass lasting `total` seconds; `extra` adds families timed outside the profiler.
    func printProfile(_ entries: [Profiler.Entry], total: Double, extra: [(String, Double, Double)], peak: Double) {
        var keys: [String] = []
        var byKey: [String: [String: Profiler.Entry]] = [:]
        for e in entries where e.name.hasPrefix("conv.") {
            if byKey[e.key] == nil { keys.append(e.key); byKey[e.key] = [:] }
            byKey[e.key]?[e.name] = e
        }
        // GF/s per wall second, per CPU second of the process (steady when other processes load the machine), and the
        // latter as a percentage of the sgemm peak per CPU second.
        func cell(_ e: Profiler.Entry?) -> String {
            guard let e, e.seconds > 0 else { return String(repeating: " ", count: 28) }
            let perCPU = e.flops / Swift.max(e.cpuSeconds, 1e-9) / 1e9
            return String(format: "%7.1f ms %5.1f %5.1f %3.0f%%", e.seconds * 1e3, e.flops / e.seconds / 1e9, perCPU,
                          100 * perCPU / Swift.max(peak, 1e-9))
        }
        print("convolution (cin->cout kernel @output batch)  calls |  forward ms GF/s /cpu %pk | bwd-data ms GF/s /cpu %pk"
              + " | bwd-wght ms GF/s /cpu %pk")
        var convTotal = 0.0, convFlops = 0.0
        for k in keys {
            let row = byKey[k] ?? [:]
            let f = row["conv.forward"], d = row["conv.backward_data"], w = row["conv.backward_weight"]
            for e in [f, d, w] { convTotal += e?.seconds ?? 0; convFlops += e?.flops ?? 0 }
            print(k.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: " %5d", f?.calls ?? 0)
                  + " | " + cell(f) + " | " + cell(d) + " | " + cell(w))
        }
        // Op families (forward laps and backward rules).
        func family(_ name: String) -> String {
            let base = name.hasPrefix("backward.") ? String(name.dropFirst("backward.".count)) : name
            switch base {
            case "conv", "conv_transpose": return "convolution (incl. bias)"
            case "batch_norm", "batch_norm_relu", "instance_norm", "group_norm": return "normalization (+ fused ReLU)"
            case "relu", "leaky_relu": return "activation"
            case "max_pool", "avg_pool": return "pooling"
            case "upsample": return "upsample"
            case "concat": return "concat"
            case "accumulate": return "gradient accumulation"
            default: return "loss & elementwise"
            }
        }
        // Per family: wall and process CPU seconds of the forward laps and of the backward rules; CPU / wall is how many
        // of the cores the family kept busy (2.0 = both on a 2-core run), the parallel efficiency the wall time pays for.
        var famOrder: [String] = [], fwd: [String: (Double, Double)] = [:], bwd: [String: (Double, Double)] = [:]
        for e in entries where !e.name.hasPrefix("conv.") {
            let f = family(e.name)
            if fwd[f] == nil && bwd[f] == nil { famOrder.append(f) }
            if e.name.hasPrefix("backward.") {
                let v = bwd[f] ?? (0, 0); bwd[f] = (v.0 + e.seconds, v.1 + e.cpuSeconds)
            } else {
                let v = fwd[f] ?? (0, 0); fwd[f] = (v.0 + e.seconds, v.1 + e.cpuSeconds)
            }
        }
        for (name, seconds, cpu) in extra { famOrder.append(name); fwd[name] = (seconds, cpu) }
        let accounted = fwd.values.reduce(0) { $0 + $1.0 } + bwd.values.reduce(0) { $0 + $1.0 }
        famOrder.append("other (tape, glue)"); fwd["other (tape, glue)"] = (Swift.max(0, total - accounted), 0)
        let convCPU = entries.filter { $0.name.hasPrefix("conv.") }.reduce(0) { $0 + $1.cpuSeconds }
        print(String(format: "convolution kernels: %.3f s (%.0f%% of the pass), %.3f CPU s (%.2f cores busy), %.1f GFLOP/s, "
                     + "%.1f GFLOP per CPU second = %.0f%% of the sgemm peak",
                     convTotal, 100 * convTotal / total, convCPU, convCPU / Swift.max(convTotal, 1e-9),
                     convFlops / Swift.max(convTotal, 1e-9) / 1e9, convFlops / Swift.max(convCPU, 1e-9) / 1e9,
                     100 * convFlops / Swift.max(convCPU, 1e-9) / 1e9 / Swift.max(peak, 1e-9)))
        print("op family                      seconds  share |  forward s  CPU s cores | backward s  CPU s cores")
        func part(_ v: (Double, Double)?) -> String {
            guard let v, v.0 > 0 else { return String(repeating: " ", count: 23) }
            // (A Swift String given to %s printed garbage: the blank CPU columns are spaces appended instead.)
            return v.1 > 0 ? String(format: "%10.3f %6.3f %5.2f", v.0, v.1, v.1 / v.0) : String(format: "%10.3f", v.0) + String(repeating: " ", count: 13)
        }
        for f in famOrder {
            let s = (fwd[f]?.0 ?? 0) + (bwd[f]?.0 ?? 0)
            print(f.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: " %9.3f  %4.1f%%", s, 100 * s / total)
                  + " | " + part(fwd[f]) + " | " + part(bwd[f]))
        }
        printOps(entries, total: total)
    }
}
