/// Fused elementwise chains (docs/ARCHITECTURE.md §1, Engine): one pass over the data where the composite ops take two
/// or three, bit for bit their values and gradients. Used by additive attention gates (`relu(a + b)`, then
/// `x * sigmoid(psi)` broadcast over the channels).

extension Tensor {
    /// `(self + other).relu()` in one pass, with its backward rule (the gradient g where the sum is positive, else 0,
    /// to both inputs). Same shapes only (no broadcasting).
    public func addingRelu(_ other: Tensor) -> Tensor {
        precondition(shape == other.shape, "addingRelu: shapes \(shape) and \(other.shape) differ")
        let out = Tensor.empty(shape)
        let pa = storage.pointer, pb = other.storage.pointer, po = out.storage.pointer
        Parallel.forEachChunk(count, minPerChunk: elementwiseChunk) { r in
            let zero = SIMD8<Float>(repeating: 0)
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let y = UnsafeRawPointer(pa + i).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(pb + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(po + i).storeBytes(of: y.replacing(with: zero, where: .!(y .> zero)), as: SIMD8<Float>.self)
                i += 8
            }
            while i < r.upperBound { let y = pa[i] + pb[i]; po[i] = y > 0 ? y : 0; i += 1 }
        }
        let outStorage = out.storage  // the storage, not the tensor: no reference cycle through the tape
        let n = count, inShape = shape
        return Tensor.record("add_relu", out, inputs: [self, other]) { g in
            let gi = Tensor.empty(inShape)
            Tensor.reluKernel(mask: outStorage.pointer, values: g.storage.pointer, gi.storage.pointer, n)  // y > 0 iff a + b > 0
            return [gi, gi]  // the same tensor for both inputs, as `+` returns for equal shapes
        }
    }

    /// `self * gate.sigmoid()` with `gate` `[N, 1, *spatial]` broadcast over the channels of `self` `[N, C, *spatial]`:
    /// the sigmoid once per voxel and the product in one pass, with the backward rules of the two ops (bit for bit:
    /// the gate's gradient sums g·x over the channels in channel order, then multiplies by σ(1 − σ)).
    public func scaledBySigmoid(_ gate: Tensor) -> Tensor {
        precondition(rank >= 2 && gate.rank == rank && gate.shape[0] == shape[0] && gate.shape[1] == 1
                     && Array(gate.shape.dropFirst(2)) == Array(shape.dropFirst(2)),
                     "scaledBySigmoid: gate \(gate.shape) must be [N, 1, *spatial] of \(shape)")
        let n = shape[0], c = shape[1], s = count / Swift.max(n * c, 1)
        let alpha = Tensor.empty(gate.shape)
        let pz = gate.storage.pointer, pa = alpha.storage.pointer
        Parallel.forEachChunk(gate.count, minPerChunk: elementwiseChunk) { r in for i in r { pa[i] = 1 / (1 + fexp(-pz[i])) } }
        let out = Tensor.empty(shape)
        let px = storage.pointer, po = out.storage.pointer
        Tensor.broadcastChannelProduct(px, pa, po, n: n, c: c, s: s)
        return Tensor.record("sigmoid_mul", out, inputs: [self, gate]) { g in
            let pg = g.storage.pointer, pa = alpha.storage.pointer, px = self.storage.pointer
            let gx = self.requiresGrad ? Tensor.empty(self.shape) : nil
            let gz = gate.requiresGrad ? Tensor(zeros: gate.shape) : nil
            let pgx = gx?.storage.pointer, pgz = gz?.storage.pointer
            // One pass over g per block of a sample's positions: gx = g·α, and Σ_c g·x accumulated in channel order
            // (as `sum(axes: [1])`), then times σ(1 − σ). Blocks of 1024 positions keep α and the sums in L1.
            let block = 1024, blocks = (s + block - 1) / block
            Parallel.forEachChunk(n * blocks, minPerChunk: Swift.max(1, elementwiseChunk / (block * Swift.max(c, 1)))) { r in
                for unit in r {
                    let b = unit / blocks, j0 = (unit % blocks) * block, j1 = Swift.min(s, j0 + block)
                    let ab = pa + b * s, acc = pgz.map { $0 + b * s }
                    for ch in 0..<c {
                        let base = (b * c + ch) * s
                        var j = j0
                        while j + 8 <= j1 {
                            let gv = UnsafeRawPointer(pg + base + j).loadUnaligned(as: SIMD8<Float>.self)
                            if let pgx {
                                let v = gv * UnsafeRawPointer(ab + j).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(pgx + base + j).storeBytes(of: v, as: SIMD8<Float>.self)
                            }
                            if let acc {
                                let prod = gv * UnsafeRawPointer(px + base + j).loadUnaligned(as: SIMD8<Float>.self)
                                let a = UnsafeRawPointer(acc + j).loadUnaligned(as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(acc + j).storeBytes(of: a + prod, as: SIMD8<Float>.self)
                            }
                            j += 8
                        }
                        while j < j1 {
                            if let pgx { pgx[base + j] = pg[base + j] * ab[j] }
                            if let acc { acc[j] += pg[base + j] * px[base + j] }
                            j += 1
                        }
                    }
                    if let acc { for j in j0..<j1 { let y = ab[j]; acc[j] = acc[j] * (y * (1 - y)) } }
                }
            }
            return [gx, gz]
        }
    }

    /// out[b][ch][j] = x[b][ch][j] * a[b][j] for n samples of c channels of s values (planes in parallel).
    static func broadcastChannelProduct(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                        n: Int, c: Int, s: Int) {
        Parallel.forEachChunk(n * c, minPerChunk: Swift.max(1, elementwiseChunk / Swift.max(s, 1))) { r in
            for plane in r {
                let b = plane / c, xo = x + plane * s, ao = a + b * s, oo = out + plane * s
                var j = 0
                while j + 8 <= s {
                    let v = UnsafeRawPointer(xo + j).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(ao + j).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(oo + j).storeBytes(of: v, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < s { oo[j] = xo[j] * ao[j]; j += 1 }
            }
        }
    }
}
