/// A dense Float32 tensor in row-major layout (images are N,C,H,W; volumes N,C,D,H,W).
///
/// Tensors are immutable values for the autodiff tape: every op returns a new tensor and, when gradients
/// are being recorded and an input requires them, a node on the tape. Parameters are the exception:
/// optimizers update their storage in place through `withMutableData` outside of recording.
public final class Tensor: CustomStringConvertible {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// Backing buffer (`Shape.count(shape)` elements).
    public let storage: TensorStorage
    /// Whether gradients flow into this tensor (parameters and everything computed from them).
    public internal(set) var requiresGrad: Bool
    /// Accumulated gradient after `backward()` (leaf tensors only), same shape as `self`.
    public var grad: Tensor?
    /// The tape node that produced this tensor (nil for leaves and for tensors made without recording).
    var gradFn: GradFn?

    // MARK: - Creation

    /// Wraps existing storage; `storage.count` must equal the element count of `shape`.
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(Shape.count(shape) == storage.count, "Tensor: shape \(shape) needs \(Shape.count(shape)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor filled with zeros.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(count: Shape.count(shape)), requiresGrad: requiresGrad)
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        let s = TensorStorage(count: Shape.count(shape), zeroed: false)
        s.pointer.initialize(repeating: value, count: s.count)
        self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
    }

    /// A tensor copying `data` (row-major) into the given shape.
    public convenience init(_ data: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(data.count == Shape.count(shape), "Tensor: \(data.count) values do not fill shape \(shape)")
        let s = TensorStorage(count: data.count, zeroed: false)
        data.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { s.pointer.initialize(from: base, count: data.count) }
        }
        self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
    }

    /// A 0-dimensional tensor holding one value.
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// Uninitialised tensor for kernels that overwrite every element.
    static func empty(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: Shape.count(shape), zeroed: false))
    }

    /// Standard normal samples scaled by `std`, from a seeded generator.
    public static func randn(_ shape: [Int], std: Float = 1, rng: inout RNG, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor.empty(shape)
        let p = t.storage.pointer
        rng.drawing { r in for i in 0..<t.count { p[i] = r.normal() * std } }
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform samples in [lo, hi), from a seeded generator.
    public static func uniform(_ shape: [Int], _ lo: Float, _ hi: Float, rng: inout RNG, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor.empty(shape)
        let p = t.storage.pointer
        rng.drawing { r in for i in 0..<t.count { p[i] = r.uniform(lo, hi) } }
        t.requiresGrad = requiresGrad
        return t
    }

    // MARK: - Access

    /// Number of elements.
    @inline(__always) public var count: Int { storage.count }
    /// Number of dimensions.
    @inline(__always) public var rank: Int { shape.count }

    /// Copies the elements out as an array (row-major).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }

    /// Element at a multi-index (slow; for tests and small data).
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == rank, "subscript: \(index.count) indices for shape \(shape)")
        var off = 0
        for (d, (i, s)) in zip(index, Shape.strides(shape)).enumerated() {
            precondition(i >= 0 && i < shape[d], "subscript: index \(index) out of range for shape \(shape)")
            off += i * s
        }
        return storage.pointer[off]
    }

    /// Read-only access to the raw elements.
    @inline(__always) public func withData<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// In-place access to the raw elements (optimizers, buffers such as BatchNorm running statistics).
    @inline(__always) public func withMutableData<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(storage.buffer)
    }

    /// A new leaf tensor with the same values that records no history.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// A deep copy (new storage) without history.
    public func copy() -> Tensor {
        let t = Tensor.empty(shape)
        t.storage.pointer.update(from: storage.pointer, count: count)
        return t
    }

    /// Marks this leaf as a parameter that accumulates gradients.
    @discardableResult public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(gradFn == nil, "requiringGrad: only leaf tensors can be marked, shape \(shape)")
        requiresGrad = flag
        return self
    }

    /// True when every element is finite (no NaN or Inf).
    public var isFinite: Bool {
        let p = storage.pointer
        var ok = true
        for i in 0..<count where !p[i].isFinite { ok = false; break }
        return ok
    }

    public var description: String {
        let shown = count <= 16 ? "\(scalars)" : "\(Array(scalars.prefix(8))) ..."
        return "Tensor(shape: \(shape), \(shown))"
    }
}
