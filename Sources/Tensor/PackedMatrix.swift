import CKernels

// A weight matrix B (k, n) prepared for many small-M products C = A·B
// (the per-step products of a recurrence, `BLAS.packedSGEMM`), laid out for
// one kernel set, chosen when it is packed (once per window, never per step):
//
//   a set with a table  column panels of its `gemm_nr` floats (`ck_gemm.h`),
//           each panel k × nr contiguous, zero-padded at the right edge, so
//           that the product reads it as one sequential stream and never packs it again.
//   portable B (k, n) row-major, dense: `SmallGEMM` reads its rows in place
//           (Swift SIMD, so it vectorises on ARM64 too; never OpenBLAS, whose
//           sgemm would copy B again at every call).
//
// Either way the buffer holds one copy of B (plus the panel padding), so one
// `PackedMatrix` can replace a transposed copy of the weights, and the source
// of `pack` may change or go away afterwards.

/// B (k, n) packed for `BLAS.packedSGEMM`. Reusable: `pack` reallocates only
/// when it needs more room than any shape before.
public final class PackedMatrix {
    /// B is (rows, columns) = (k, n).
    public private(set) var rows = 0
    public private(set) var columns = 0
    /// The kernel set it is laid out for (`pack`'s `kernels`), which the product then runs.
    public private(set) var kernels = KernelSet.portable
    private var storage: AlignedBuffer<Float>

    public init() { storage = AlignedBuffer(count: 0) }

    /// Floats allocated (for tests and memory accounting).
    public var capacity: Int { storage.count }

    /// Packs B (k, n). `transposed` false: source is B itself, (k, n) with leading
    /// dimension ld ≥ n; true: source is Bᵀ stored (n, k) with ld ≥ k (for
    /// example weight_hh (G·H, H) read as B = weight_hhᵀ, k = H, n = G·H).
    /// `kernels`: the set to lay B out for, which the product then runs (the model's one choice, or a test's).
    public func pack(from source: UnsafePointer<Float>, ld: Int, transposed: Bool, rows k: Int, columns n: Int,
                     kernels: KernelSet) {
        precondition(k >= 0 && n >= 0, "PackedMatrix.pack: negative shape (\(k), \(n))")
        precondition(ld >= (transposed ? k : n), "PackedMatrix.pack: ld \(ld) too small for (\(k), \(n))")
        precondition(kernels.isSupported, "PackedMatrix.pack: this CPU cannot run the \(kernels) kernels")
        let panelWidth: Int? = kernels.table?.pointee.gemm_nr
        let needed = panelWidth.map { Int(ck_gemm_packed_count(k, n, $0)) } ?? k * n
        if storage.count < needed { storage = AlignedBuffer(count: needed) }
        rows = k
        columns = n
        self.kernels = kernels
        if let panelWidth {
            ck_gemm_pack(source, ld, transposed ? 1 : 0, k, n, panelWidth, storage.base)
        } else if transposed {
            BLAS.transpose(source, rows: n, columns: k, lda: ld, into: storage.base)  // Bᵀ (n, k) → B (k, n)
        } else {
            for p in 0..<k { (storage.base + p * n).update(from: source + p * ld, count: n) }
        }
    }

    /// The product of the kernel set the matrix was packed for.
    @usableFromInline
    func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float,
                  c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 0 && lda >= max(1, rows) && ldc >= max(1, columns), "packedSGEMM: bad shape")
        precondition(beta == 0 || beta == 1, "packedSGEMM: beta must be 0 or 1 (got \(beta))")
        if let table = kernels.table {
            table.pointee.sgemm_packed(m, columns, rows, a, lda, storage.base, beta == 0 ? 0 : 1, c, ldc)
        } else {
            SmallGEMM.multiply(m: m, n: columns, k: rows, a: a, lda: lda, b: storage.base, ldb: columns,
                               beta: beta, c: c, ldc: ldc)
        }
    }
}

extension BLAS {
    /// C (m, n) = A (m, k) · B + beta · C for B packed in `packed` (k, n);
    /// beta is 0 (C not read) or 1. For small m (the per-step products of a
    /// recurrence), in the kernel set `packed` was packed for. AVX-512 and
    /// AVX2: each element of C is one FMA chain over k in order, whatever m
    /// is, so a row's result does not depend on which rows it was computed
    /// with (and the two sets agree bit for bit). Portable: `SmallGEMM`, also
    /// one chain per element in order (multiply then add, no FMA).
    public static func packedSGEMM(m: Int, a: UnsafePointer<Float>, lda: Int, packed: PackedMatrix,
                                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        packed.multiply(m: m, a: a, lda: lda, beta: beta, c: c, ldc: ldc)
    }
}
