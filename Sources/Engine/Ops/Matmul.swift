import CBLAS

/// Row-major single-precision GEMM: C[m,n] = alpha * op(A) * op(B) + beta * C (OpenBLAS cblas_sgemm).
@inline(__always)
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

extension Tensor {
    /// Matrix product of `[m,k]` and `[k,n]` tensors.
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank == 2 && other.rank == 2 && shape[1] == other.shape[0],
                     "matmul: shapes \(shape) and \(other.shape) do not form [m,k] x [k,n]")
        let m = shape[0], k = shape[1], n = other.shape[1]
        let out = Tensor.empty([m, n])
        if m * n > 0 {
            if k == 0 { out.storage.pointer.initialize(repeating: 0, count: m * n) } else {
                sgemm(transA: false, transB: false, m: m, n: n, k: k, a: storage.pointer, lda: k,
                      b: other.storage.pointer, ldb: n, c: out.storage.pointer, ldc: n)
            }
        }
        return Tensor.record("matmul", out, inputs: [self, other]) { g in
            var ga: Tensor?, gb: Tensor?
            if self.requiresGrad {  // dA = G * B^T
                let t = Tensor(zeros: [m, k])
                if n > 0 && k > 0 { sgemm(transA: false, transB: true, m: m, n: k, k: n, a: g.storage.pointer, lda: n, b: other.storage.pointer, ldb: n, c: t.storage.pointer, ldc: k) }
                ga = t
            }
            if other.requiresGrad {  // dB = A^T * G
                let t = Tensor(zeros: [k, n])
                if m > 0 && k > 0 { sgemm(transA: true, transB: false, m: k, n: n, k: m, a: self.storage.pointer, lda: k, b: g.storage.pointer, ldb: n, c: t.storage.pointer, ldc: n) }
                gb = t
            }
            return [ga, gb]
        }
    }
}
