/// Max pooling that remembers where each maximum came from, and max-unpooling by those indices (SegNet's decoder),
/// over 2 or 3 spatial dims (NCHW / NCDHW), each with its backward rule.

/// The argmax positions of a `maxPoolWithIndices` call: for every (sample, channel) plane and output element, the flat
/// index `(z * H + y) * W + x` of the input element that won (PyTorch's `return_indices=True` convention).
public struct PoolingIndices: Sendable, Equatable {
    /// `[N, C]` of the pooled tensor.
    public let batchChannels: [Int]
    /// Spatial extents of the pooling input (2 or 3 entries): the default size of `maxUnpool`'s output.
    public let inputSpatial: [Int]
    /// Spatial extents of the pooling output (2 or 3 entries).
    public let outputSpatial: [Int]
    /// One index per element of the pooled tensor, row-major `[N, C, *outputSpatial]`.
    public let flat: [Int32]

    /// Creates indices (e.g. from PyTorch's `max_pool2d(..., return_indices=True)` for a test); every entry must be a
    /// valid flat position in a plane of `inputSpatial`.
    public init(batchChannels: [Int], inputSpatial: [Int], outputSpatial: [Int], flat: [Int32]) {
        precondition(batchChannels.count == 2 && (inputSpatial.count == 2 || inputSpatial.count == 3)
                     && outputSpatial.count == inputSpatial.count,
                     "PoolingIndices: need [N, C] and 2 or 3 spatial dims, got \(batchChannels), \(inputSpatial), \(outputSpatial)")
        precondition(flat.count == (batchChannels + outputSpatial).reduce(1, *),
                     "PoolingIndices: \(flat.count) indices for pooled shape \(batchChannels + outputSpatial)")
        self.batchChannels = batchChannels
        self.inputSpatial = inputSpatial
        self.outputSpatial = outputSpatial
        self.flat = flat
    }
}

extension Tensor {
    /// Max pooling (same values and gradient as `maxPool`) that also returns the argmax of every window, as PyTorch's
    /// `max_pool2d` / `max_pool3d` with `return_indices=True`.
    ///
    /// `self` is `[N, C, H, W]` or `[N, C, D, H, W]`; `kernel`, `stride` (nil = kernel) and `padding` (nil = 0) have one
    /// entry per spatial dim. Ties go to the first maximum in row-major order, like PyTorch.
    public func maxPoolWithIndices(kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil) -> (Tensor, PoolingIndices) {
        let r = maxPoolArgmax("maxPoolWithIndices", kernel: kernel, stride: stride, padding: padding)
        let indices = PoolingIndices(batchChannels: Array(shape[..<2]), inputSpatial: r.geometry.inputSpatial,
                                     outputSpatial: r.geometry.outputSpatial, flat: r.argmax)
        return (r.output, indices)
    }

    /// Max-unpooling, as PyTorch's `max_unpool2d` / `max_unpool3d`: a zero tensor `[N, C, *outputSize]` in which every
    /// element of `self` is written at the position its `indices` entry names (in its own plane).
    ///
    /// `self` is `[N, C, *indices.outputSpatial]` (the pooled tensor, or anything of its shape); `outputSize` defaults
    /// to `indices.inputSpatial` (the size before pooling, which also covers odd sizes). The gradient of an element is
    /// the upstream gradient at its position. Indices from overlapping windows may repeat: the last write wins in the
    /// forward pass and every duplicate receives the gradient of that position.
    public func maxUnpool(indices: PoolingIndices, outputSize: [Int]? = nil) -> Tensor {
        precondition(shape == indices.batchChannels + indices.outputSpatial,
                     "maxUnpool: input \(shape) does not match the pooled shape \(indices.batchChannels + indices.outputSpatial) of its indices")
        let outS = outputSize ?? indices.inputSpatial
        precondition(outS.count == indices.inputSpatial.count && outS.allSatisfy { $0 > 0 },
                     "maxUnpool: output size \(outS) needs \(indices.inputSpatial.count) positive entries")
        let ovol = outS.reduce(1, *), ivol = indices.outputSpatial.reduce(1, *)
        let planes = shape[0] * shape[1]
        precondition(indices.flat.allSatisfy { $0 >= 0 && Int($0) < ovol },
                     "maxUnpool: an index lies outside the output plane \(outS)")
        let out = Tensor(zeros: Array(shape[..<2]) + outS)
        let px = storage.pointer, po = out.storage.pointer
        let minChunk = Swift.max(1, 16384 / Swift.max(ivol, 1))
        indices.flat.withUnsafeBufferPointer { ib in
            guard let pi = ib.baseAddress else { return }
            Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                for plane in range {
                    let xs = px + plane * ivol, ys = po + plane * ovol, idx = pi + plane * ivol
                    for o in 0..<ivol { ys[Int(idx[o])] = xs[o] }
                }
            }
        }
        return Tensor.record("max_unpool", out, inputs: [self]) { gy in
            let gx = Tensor.empty(self.shape)
            let pg = gy.storage.pointer, pr = gx.storage.pointer
            indices.flat.withUnsafeBufferPointer { ib in
                guard let pi = ib.baseAddress else { return }
                Parallel.forEachChunk(planes, minPerChunk: minChunk) { range in
                    for plane in range {
                        let gs = pg + plane * ovol, rs = pr + plane * ivol, idx = pi + plane * ivol
                        for o in 0..<ivol { rs[o] = gs[Int(idx[o])] }
                    }
                }
            }
            return [gx]
        }
    }
}
