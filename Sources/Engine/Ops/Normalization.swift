/// Batch, instance and group normalization over `[N, C, *spatial]` tensors: each one fused op with an analytic
/// backward rule (activations are not kept beyond the input and per-group mean / inverse std).

// MARK: - Reductions (Float blocks accumulated in Double)

enum NormKernels {
    static let block = 1024

    /// Loads 16 floats from `p + i`.
    @inline(__always) static func load16(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Sum of `n` floats (16-lane partial sums per block, blocks accumulated in Double).
    @inline(__always) static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        var total: Double = 0, i = 0
        while i < n {
            let e = Swift.min(n, i + block)
            var v = SIMD16<Float>(repeating: 0), j = i
            while j + 16 <= e { v += load16(p, j); j += 16 }
            var acc = v.sum()
            while j < e { acc += p[j]; j += 1 }
            total += Double(acc); i = e
        }
        return total
    }

    /// Sum of squared deviations from `mean`.
    @inline(__always) static func sumSqDev(_ p: UnsafePointer<Float>, _ n: Int, _ mean: Float) -> Double {
        var total: Double = 0, i = 0
        let m = SIMD16<Float>(repeating: mean)
        while i < n {
            let e = Swift.min(n, i + block)
            var v = SIMD16<Float>(repeating: 0), j = i
            while j + 16 <= e { let d = load16(p, j) - m; v.addProduct(d, d); j += 16 }
            var acc = v.sum()
            while j < e { let d = p[j] - mean; acc += d * d; j += 1 }
            total += Double(acc); i = e
        }
        return total
    }

    /// (sum g, sum g * (x - mean)).
    @inline(__always) static func gradSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ mean: Float) -> (Double, Double) {
        var sg: Double = 0, sgx: Double = 0, i = 0
        let m = SIMD16<Float>(repeating: mean)
        while i < n {
            let e = Swift.min(n, i + block)
            var va = SIMD16<Float>(repeating: 0), vb = va, j = i
            while j + 16 <= e { let gv = load16(g, j); va += gv; vb.addProduct(gv, load16(x, j) - m); j += 16 }
            var a = va.sum(), b = vb.sum()
            while j < e { a += g[j]; b += g[j] * (x[j] - mean); j += 1 }
            sg += Double(a); sgx += Double(b); i = e
        }
        return (sg, sgx)
    }

    /// out = k1 * g + k2 * (x - mean) + k3 (the normalization input gradient).
    @inline(__always) static func affineGrad(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                             _ n: Int, mean: Float, k1: Float, k2: Float, k3: Float) {
        for j in 0..<n { out[j] = k1 * g[j] + k2 * (x[j] - mean) + k3 }
    }

    /// (sum g', sum g' * (x - mean)) with g' = g where y = max(x * a + b, 0) > 0, else 0 (ReLU folded into the
    /// gradient). The mask is recomputed from x with the forward's own `x * a + b` (same roundings, no FMA contraction),
    /// so it is exactly `y > 0` without reading the output.
    @inline(__always) static func gradSumsMasked(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, a: Float, b: Float,
                                                 _ n: Int, _ mean: Float) -> (Double, Double) {
        var sg: Double = 0, sgx: Double = 0, i = 0
        let m = SIMD16<Float>(repeating: mean), zero = SIMD16<Float>(repeating: 0)
        let va16 = SIMD16<Float>(repeating: a), vb16 = SIMD16<Float>(repeating: b)
        while i < n {
            let e = Swift.min(n, i + block)
            var va = zero, vb = zero, j = i
            while j + 16 <= e {
                let xv = load16(x, j)
                let gv = zero.replacing(with: load16(g, j), where: xv * va16 + vb16 .> zero)
                va += gv; vb.addProduct(gv, xv - m); j += 16
            }
            var sa = va.sum(), sb = vb.sum()
            while j < e { let gj = x[j] * a + b > 0 ? g[j] : 0; sa += gj; sb += gj * (x[j] - mean); j += 1 }
            sg += Double(sa); sgx += Double(sb); i = e
        }
        return (sg, sgx)
    }

    /// out = k1 * g' + k2 * (x - mean) + k3 with g' = g where x * a + b > 0 (the forward's ReLU input), else 0.
    @inline(__always) static func affineGradMasked(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, a: Float, b: Float,
                                                   _ out: UnsafeMutablePointer<Float>, _ n: Int, mean: Float, k1: Float, k2: Float, k3: Float) {
        for j in 0..<n { out[j] = k1 * (x[j] * a + b > 0 ? g[j] : 0) + k2 * (x[j] - mean) + k3 }
    }

    /// (1 / sqrt(variance + eps), scale, shift) of a normalization: y = x * scale + shift with scale = gamma * istd and
    /// shift = beta - mean * scale.
    @inline(__always) static func affine(mean: Float, variance: Float, gamma: Float, beta: Float, eps: Float) -> (Float, Float, Float) {
        let istd = 1 / (variance + eps).squareRoot()
        let a = istd * gamma
        return (istd, a, beta - mean * a)
    }

    /// out = max(x * a + b, 0).
    @inline(__always) static func scaleShiftReLU(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, a: Float, b: Float) {
        for j in 0..<n { out[j] = Swift.max(x[j] * a + b, 0) }
    }

    /// out = x * a + b.
    @inline(__always) static func scaleShift(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, a: Float, b: Float) {
        for j in 0..<n { out[j] = x[j] * a + b }
    }
}

extension Tensor {
    // MARK: - Batch norm

    /// Batch normalization as PyTorch's `batch_norm`: per channel over (N, spatial).
    ///
    /// `self` is `[N, C, *spatial]` (any number of spatial dims, including none); `weight` / `bias` are `[C]` or nil;
    /// `runningMean` / `runningVar` are `[C]` buffers. With `training`, batch statistics normalize (biased variance)
    /// and the buffers are updated in place: `r = (1 - momentum) * r + momentum * batchStat`, with the unbiased
    /// variance for `runningVar`. Otherwise the running statistics normalize. Gradients flow to `self`, `weight`, `bias`.
    /// With `fusedReLU`, returns `relu(batchNorm(x))` as one op (no intermediate tensor is kept for the backward pass).
    public func batchNorm(weight: Tensor?, bias: Tensor?, runningMean: Tensor, runningVar: Tensor, training: Bool,
                          momentum: Float = 0.1, eps: Float = 1e-5, fusedReLU: Bool = false) -> Tensor {
        let c = checkNormArgs("batchNorm", weight: weight, bias: bias)
        precondition(runningMean.shape == [c] && runningVar.shape == [c],
                     "batchNorm: running stats \(runningMean.shape), \(runningVar.shape) must be [\(c)] for input \(shape)")
        let batch = shape[0], s = count / Swift.max(batch * c, 1), m = batch * s
        precondition(!training || m > 1, "batchNorm: training needs more than 1 value per channel, input \(shape)")
        let px = storage.pointer, pw = weight?.storage.pointer, pb = bias?.storage.pointer
        var mean = [Float](repeating: 0, count: c), invStd = mean, scaleA = mean, shiftB = mean
        let out = Tensor.empty(shape)
        let po = out.storage.pointer
        let rm = runningMean.storage.pointer, rv = runningVar.storage.pointer
        mean.withUnsafeMutableBufferPointer { mb in invStd.withUnsafeMutableBufferPointer { ib in
        scaleA.withUnsafeMutableBufferPointer { ab in shiftB.withUnsafeMutableBufferPointer { bb in
            guard let pm = mb.baseAddress, let pi = ib.baseAddress, let pa = ab.baseAddress, let pbb = bb.baseAddress else { return }
            Parallel.forEachChunk(c, minPerChunk: Swift.max(1, 65536 / Swift.max(m, 1))) { range in
                for ch in range {
                    var mu: Float, variance: Float
                    if training {
                        var total: Double = 0
                        for n in 0..<batch { total += NormKernels.sum(px + (n * c + ch) * s, s) }
                        mu = Float(total / Double(m))
                        var sq: Double = 0
                        for n in 0..<batch { sq += NormKernels.sumSqDev(px + (n * c + ch) * s, s, mu) }
                        variance = Float(sq / Double(m))
                        rm[ch] = (1 - momentum) * rm[ch] + momentum * mu
                        rv[ch] = (1 - momentum) * rv[ch] + momentum * Float(sq / Double(m - 1))
                    } else {
                        mu = rm[ch]; variance = rv[ch]
                    }
                    let (istd, a, b) = NormKernels.affine(mean: mu, variance: variance, gamma: pw?[ch] ?? 1, beta: pb?[ch] ?? 0, eps: eps)
                    pm[ch] = mu; pi[ch] = istd; pa[ch] = a; pbb[ch] = b
                    for n in 0..<batch {
                        if fusedReLU {
                            NormKernels.scaleShiftReLU(px + (n * c + ch) * s, po + (n * c + ch) * s, s, a: a, b: b)
                        } else {
                            NormKernels.scaleShift(px + (n * c + ch) * s, po + (n * c + ch) * s, s, a: a, b: b)
                        }
                    }
                }
            }
        } } } }
        // The backward rule reads only the input: the fused ReLU's mask is recomputed from x (see gradSumsMasked).
        return Tensor.record(fusedReLU ? "batch_norm_relu" : "batch_norm", out, inputs: [self] + [weight, bias].compactMap { $0 }) { gy in
            let pg = gy.storage.pointer
            let gx = self.requiresGrad ? Tensor.empty(self.shape) : nil
            let gw = weight.map { Tensor.empty($0.shape) }, gb = bias.map { Tensor.empty($0.shape) }
            let pgx = gx?.storage.pointer, pgw = gw?.storage.pointer, pgb = gb?.storage.pointer
            Parallel.forEachChunk(c, minPerChunk: Swift.max(1, 65536 / Swift.max(m, 1))) { range in
                for ch in range {
                    let mu = mean[ch], istd = invStd[ch]
                    var sg: Double = 0, sgx: Double = 0
                    for n in 0..<batch {
                        let off = (n * c + ch) * s
                        let (a, b) = fusedReLU ? NormKernels.gradSumsMasked(pg + off, px + off, a: scaleA[ch], b: shiftB[ch], s, mu)
                            : NormKernels.gradSums(pg + off, px + off, s, mu)
                        sg += a; sgx += b
                    }
                    pgw?[ch] = Float(sgx) * istd
                    pgb?[ch] = Float(sg)
                    guard let pgx else { continue }
                    let gamma = pw?[ch] ?? 1
                    let k1 = gamma * istd
                    let k2 = training ? -k1 * istd * istd * Float(sgx / Double(m)) : 0
                    let k3 = training ? -k1 * Float(sg / Double(m)) : 0
                    for n in 0..<batch {
                        let off = (n * c + ch) * s
                        if fusedReLU {
                            NormKernels.affineGradMasked(pg + off, px + off, a: scaleA[ch], b: shiftB[ch], pgx + off, s, mean: mu, k1: k1, k2: k2, k3: k3)
                        } else {
                            NormKernels.affineGrad(pg + off, px + off, pgx + off, s, mean: mu, k1: k1, k2: k2, k3: k3)
                        }
                    }
                }
            }
            var grads: [Tensor?] = [gx]
            if weight != nil { grads.append(gw) }
            if bias != nil { grads.append(gb) }
            return grads
        }
    }

    /// Per-channel `(scale, shift)` `[C]` each of an eval-mode batch norm, `y = x * scale + shift` with
    /// `scale = weight / sqrt(runningVar + eps)` and `shift = bias - runningMean * scale`: exactly the values
    /// `batchNorm(training: false, ...)` applies (for `convInference`). `weight` / `bias` nil mean 1 / 0.
    public static func batchNormEvalAffine(weight: Tensor?, bias: Tensor?, runningMean: Tensor, runningVar: Tensor,
                                           eps: Float = 1e-5) -> (scale: [Float], shift: [Float]) {
        let c = runningMean.count
        precondition(runningMean.shape == [c] && runningVar.shape == [c] && (weight?.shape ?? [c]) == [c] && (bias?.shape ?? [c]) == [c],
                     "batchNormEvalAffine: running stats \(runningMean.shape), \(runningVar.shape), weight \(weight?.shape ?? []), bias \(bias?.shape ?? []) must all be [C]")
        var scale = [Float](repeating: 1, count: c), shift = [Float](repeating: 0, count: c)
        let rm = runningMean.storage.pointer, rv = runningVar.storage.pointer, pw = weight?.storage.pointer, pb = bias?.storage.pointer
        for ch in 0..<c {
            let (_, a, b) = NormKernels.affine(mean: rm[ch], variance: rv[ch], gamma: pw?[ch] ?? 1, beta: pb?[ch] ?? 0, eps: eps)
            scale[ch] = a; shift[ch] = b
        }
        return (scale, shift)
    }

    // MARK: - Instance and group norm

    /// Instance normalization as PyTorch's `instance_norm` without running statistics: per (sample, channel) over
    /// the spatial dims. `self` is `[N, C, *spatial]`; `weight` / `bias` are `[C]` or nil.
    public func instanceNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let c = checkNormArgs("instanceNorm", weight: weight, bias: bias)
        return groupNormCore("instance_norm", groups: c, weight: weight, bias: bias, eps: eps)
    }

    /// Group normalization as PyTorch's `group_norm`: per (sample, group of C/groups consecutive channels) over those
    /// channels and the spatial dims. `self` is `[N, C, *spatial]`; `weight` / `bias` are per channel `[C]` or nil.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let c = checkNormArgs("groupNorm", weight: weight, bias: bias)
        precondition(groups > 0 && c % groups == 0, "groupNorm: \(c) channels of input \(shape) do not split into \(groups) groups")
        return groupNormCore("group_norm", groups: groups, weight: weight, bias: bias, eps: eps)
    }

    /// Validates a normalization call; returns the channel count.
    private func checkNormArgs(_ op: String, weight: Tensor?, bias: Tensor?) -> Int {
        precondition(rank >= 2, "\(op): input must be [N, C, *spatial], got \(shape)")
        let c = shape[1]
        if let weight { precondition(weight.shape == [c], "\(op): weight \(weight.shape) must be [\(c)] for input \(shape)") }
        if let bias { precondition(bias.shape == [c], "\(op): bias \(bias.shape) must be [\(c)] for input \(shape)") }
        return c
    }

    /// Fused group normalization (instance norm is groups == C).
    private func groupNormCore(_ name: String, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let batch = shape[0], c = shape[1], s = count / Swift.max(batch * c, 1)
        let cg = c / groups, m = cg * s, nGroups = batch * groups
        let px = storage.pointer, pw = weight?.storage.pointer, pb = bias?.storage.pointer
        var mean = [Float](repeating: 0, count: nGroups), invStd = mean
        let out = Tensor.empty(shape)
        let po = out.storage.pointer
        let minChunk = Swift.max(1, 65536 / Swift.max(m, 1))
        mean.withUnsafeMutableBufferPointer { mb in invStd.withUnsafeMutableBufferPointer { ib in
            guard let pm = mb.baseAddress, let pi = ib.baseAddress else { return }
            Parallel.forEachChunk(nGroups, minPerChunk: minChunk) { range in
                for grp in range {
                    let base = px + grp * m
                    let mu = Float(NormKernels.sum(base, m) / Double(Swift.max(m, 1)))
                    let variance = Float(NormKernels.sumSqDev(base, m, mu) / Double(Swift.max(m, 1)))
                    let istd = 1 / (variance + eps).squareRoot()
                    pm[grp] = mu; pi[grp] = istd
                    for j in 0..<cg {
                        let ch = (grp % groups) * cg + j, off = grp * m + j * s
                        let a = istd * (pw?[ch] ?? 1), b = (pb?[ch] ?? 0) - mu * a
                        NormKernels.scaleShift(px + off, po + off, s, a: a, b: b)
                    }
                }
            }
        } }
        return Tensor.record(name, out, inputs: [self] + [weight, bias].compactMap { $0 }) { gy in
            let pg = gy.storage.pointer
            let gx = self.requiresGrad ? Tensor.empty(self.shape) : nil
            let pgx = gx?.storage.pointer
            // Per (sample, channel) partial sums: sum g and sum g * (x - mean).
            var partG = [Double](repeating: 0, count: batch * c), partGX = partG
            partG.withUnsafeMutableBufferPointer { ab in partGX.withUnsafeMutableBufferPointer { bb in
                guard let sg = ab.baseAddress, let sgx = bb.baseAddress else { return }
                Parallel.forEachChunk(nGroups, minPerChunk: minChunk) { range in
                    for grp in range {
                        let mu = mean[grp], istd = invStd[grp]
                        var a: Double = 0, b: Double = 0
                        for j in 0..<cg {
                            let ch = (grp % groups) * cg + j, off = grp * m + j * s, nc = grp * cg + j
                            (sg[nc], sgx[nc]) = NormKernels.gradSums(pg + off, px + off, s, mu)
                            let gamma = Double(pw?[ch] ?? 1)
                            a += gamma * sg[nc]; b += gamma * sgx[nc]
                        }
                        guard let pgx else { continue }
                        let k2 = -istd * istd * istd * Float(b / Double(m)), k3 = -istd * Float(a / Double(m))
                        for j in 0..<cg {
                            let ch = (grp % groups) * cg + j, off = grp * m + j * s
                            NormKernels.affineGrad(pg + off, px + off, pgx + off, s, mean: mu, k1: istd * (pw?[ch] ?? 1), k2: k2, k3: k3)
                        }
                    }
                }
            } }
            var grads: [Tensor?] = [gx]
            if let weight {
                let t = Tensor.empty(weight.shape), p = t.storage.pointer
                for ch in 0..<c {
                    var acc: Double = 0
                    for n in 0..<batch { acc += partGX[n * c + ch] * Double(invStd[n * groups + ch / cg]) }
                    p[ch] = Float(acc)
                }
                grads.append(t)
            }
            if let bias {
                let t = Tensor.empty(bias.shape), p = t.storage.pointer
                for ch in 0..<c {
                    var acc: Double = 0
                    for n in 0..<batch { acc += partG[n * c + ch] }
                    p[ch] = Float(acc)
                }
                grads.append(t)
            }
            return grads
        }
    }
}
