/// Rank-generic geometry shared by the spatial ops (convolution, pooling): 2D is treated as 3D with depth 1.

// MARK: - Window geometry

/// Sizes of one sliding-window op over `[N, C, *spatial]` with 2 or 3 spatial dims, always stored as 3 dims
/// (depth 1, kernel 1, stride 1, padding 0, dilation 1 in front for 2D).
struct WindowGeometry {
    /// Number of spatial dims of the caller's tensors (2 or 3).
    let spatialRank: Int
    /// Input extents (d, h, w).
    let input: [Int]
    /// Kernel extents (d, h, w).
    let kernel: [Int]
    let stride: [Int]
    let padding: [Int]
    let dilation: [Int]
    /// Output extents (d, h, w).
    private(set) var output: [Int]

    var inputVolume: Int { input[0] * input[1] * input[2] }
    var outputVolume: Int { output[0] * output[1] * output[2] }
    var kernelVolume: Int { kernel[0] * kernel[1] * kernel[2] }

    /// The caller-facing spatial extents of the input (2 or 3 dims).
    var inputSpatial: [Int] { Array(input.suffix(spatialRank)) }
    /// The caller-facing spatial extents of the output (2 or 3 dims).
    var outputSpatial: [Int] { Array(output.suffix(spatialRank)) }

    /// Whether every output position reads exactly one input position with no padding (1x1x1, stride 1).
    var isPointwise: Bool {
        kernel == [1, 1, 1] && stride == [1, 1, 1] && padding == [0, 0, 0]
    }

    /// Validates and expands per-dim parameters; `output` is computed with the convolution / pooling formula.
    init(op: String, inputSpatial: [Int], kernel k: [Int], stride s: [Int]?, padding p: [Int]?, dilation dl: [Int]?) {
        let r = inputSpatial.count
        precondition(r == 2 || r == 3, "\(op): expected 2 or 3 spatial dims, got input spatial shape \(inputSpatial)")
        precondition(k.count == r, "\(op): kernel \(k) has \(k.count) dims for \(r) spatial dims (input spatial \(inputSpatial))")
        let s = s ?? [Int](repeating: 1, count: r)
        let p = p ?? [Int](repeating: 0, count: r)
        let dl = dl ?? [Int](repeating: 1, count: r)
        precondition(s.count == r && p.count == r && dl.count == r,
                     "\(op): stride \(s), padding \(p), dilation \(dl) must each have \(r) entries")
        precondition(k.allSatisfy { $0 > 0 }, "\(op): kernel sizes must be positive, got \(k)")
        precondition(s.allSatisfy { $0 > 0 }, "\(op): strides must be positive, got \(s)")
        precondition(dl.allSatisfy { $0 > 0 }, "\(op): dilations must be positive, got \(dl)")
        precondition(p.allSatisfy { $0 >= 0 }, "\(op): padding must be non-negative, got \(p)")
        var out = [Int](repeating: 0, count: r)
        for d in 0..<r {
            let span = dl[d] * (k[d] - 1) + 1
            precondition(span <= inputSpatial[d] + 2 * p[d],
                         "\(op): kernel \(k) (dilation \(dl)) is larger than the padded input \(inputSpatial) + 2*\(p)")
            out[d] = (inputSpatial[d] + 2 * p[d] - span) / s[d] + 1
            precondition(out[d] > 0, "\(op): output size \(out) is not positive for input \(inputSpatial)")
        }
        let lead = 3 - r
        spatialRank = r
        input = [Int](repeating: 1, count: lead) + inputSpatial
        kernel = [Int](repeating: 1, count: lead) + k
        stride = [Int](repeating: 1, count: lead) + s
        padding = [Int](repeating: 0, count: lead) + p
        dilation = [Int](repeating: 1, count: lead) + dl
        output = [Int](repeating: 1, count: lead) + out
    }

    /// Geometry with a given output size (transposed convolution: `input` is the conv-side input, i.e. the
    /// transposed op's output). The forward formula may reach further than `outputSpatial` (output padding
    /// >= stride with dilation); only the first `outputSpatial` positions are then used.
    init(op: String, inputSpatial: [Int], outputSpatial: [Int], kernel k: [Int], stride s: [Int], padding p: [Int], dilation dl: [Int]) {
        self.init(op: op, inputSpatial: inputSpatial, kernel: k, stride: s, padding: p, dilation: dl)
        let full = self.outputSpatial
        precondition(zip(outputSpatial, full).allSatisfy { $0 <= $1 && $0 > 0 },
                     "\(op): inconsistent geometry \(inputSpatial) -> \(full) vs requested \(outputSpatial)")
        output = [Int](repeating: 1, count: 3 - spatialRank) + outputSpatial
    }
}

/// Expands a possibly nil per-dim parameter list to `rank` entries.
@inline(__always)
func spatialParam(_ p: [Int]?, _ rank: Int, default value: Int) -> [Int] {
    p ?? [Int](repeating: value, count: rank)
}

// MARK: - Worker-indexed parallel loop

extension Parallel {
    /// Like `forEachChunk`, but also passes the worker index (0..<workers) so each worker can own scratch
    /// buffers; returns the number of workers used.
    @discardableResult
    static func forEachWorker(_ n: Int, minPerChunk: Int = 1, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) -> Int {
        let chunks = Swift.min(threads, Swift.max(1, n / Swift.max(minPerChunk, 1)))
        if chunks <= 1 || n <= 1 { if n > 0 { body(0, 0..<n) }; return 1 }
        run(chunks: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(c, lo..<hi) }
        }
        return chunks
    }

    /// The number of workers `forEachWorker` will use for `n` items.
    static func workerCount(_ n: Int, minPerChunk: Int = 1) -> Int {
        let chunks = Swift.min(threads, Swift.max(1, n / Swift.max(minPerChunk, 1)))
        return (chunks <= 1 || n <= 1) ? 1 : chunks
    }
}

import Dispatch
