import CKernels

// A weight matrix B (k, n) prepared for many small-M products C = A·B
// (the per-step products of a recurrence, `BLAS.packedSGEMM`), laid out for
// one kernel set, chosen when it is packed (once per window, never per step):
//
//   avx512  column panels of 32 floats (`ck_gemm.h`, CK_GEMM_NR)
//   avx2    column panels of 16 floats (CK_GEMM_AVX2_NR)
//           each panel k × NR contiguous, zero-padded at the right edge, so
//           that the product reads it as one sequential stream and never packs it again.
//   portable the product is `BLAS.skinnySGEMM`, which wants B in both layouts,
//           (k, n) and (n, k); the matrix keeps a pointer to the layout it was
//           given and holds a copy of the other one.
//
// Either way the buffer holds one copy of B (plus the panel padding), so one
// `PackedMatrix` can replace a transposed copy of the weights.
//
// The source of `pack` is read again by the portable product: it must stay
// valid and unchanged until the matrix is packed again.

/// B (k, n) packed for `BLAS.packedSGEMM`. Reusable: `pack` reallocates only
/// when it needs more room than any shape before.
public final class PackedMatrix {
    /// B is (rows, columns) = (k, n).
    public private(set) var rows = 0
    public private(set) var columns = 0
    /// The kernel set it is laid out for (`pack`'s `kernels`), which the product then runs.
    public private(set) var kernels = KernelSet.portable
    private var storage: AlignedBuffer<Float>
    // Portable layout: b (k, n) with ld n, bT (n, k) with ld k; one of them is `storage`.
    private var b: UnsafePointer<Float>?
    private var bT: UnsafePointer<Float>?

    public init() { storage = AlignedBuffer(count: 0) }

    /// Floats allocated (for tests and memory accounting).
    public var capacity: Int { storage.count }

    /// Packs B (k, n). `transposed` false: source is B itself, (k, n) with leading
    /// dimension ld ≥ n; true: source is Bᵀ stored (n, k) with ld ≥ k (for
    /// example weight_hh (G·H, H) read as B = weight_hhᵀ, k = H, n = G·H).
    /// The portable path needs a dense source (ld = n, or k when transposed).
    /// `kernels`: the set to lay B out for (tests choose; the engine takes the default).
    public func pack(from source: UnsafePointer<Float>, ld: Int, transposed: Bool, rows k: Int, columns n: Int,
                     kernels: KernelSet = Kernels.current) {
        precondition(k >= 0 && n >= 0, "PackedMatrix.pack: negative shape (\(k), \(n))")
        precondition(ld >= (transposed ? k : n), "PackedMatrix.pack: ld \(ld) too small for (\(k), \(n))")
        precondition(Kernels.available.contains(kernels), "PackedMatrix.pack: this CPU cannot run the \(kernels) kernels")
        let panelWidth: Int? = switch kernels {
        case .portable: nil
        case .avx2: Int(CK_GEMM_AVX2_NR)
        case .avx512: Int(CK_GEMM_NR)
        }
        let needed = panelWidth.map { Int(ck_gemm_packed_count(k, n, $0)) } ?? k * n
        if storage.count < needed { storage = AlignedBuffer(count: needed) }
        rows = k
        columns = n
        self.kernels = kernels
        if let panelWidth {
            ck_gemm_pack(source, ld, transposed ? 1 : 0, k, n, panelWidth, storage.base)
            b = nil
            bT = nil
        } else {
            precondition(ld == (transposed ? k : n) || k * n == 0, "PackedMatrix.pack: the portable path needs a dense source")
            if transposed {
                BLAS.transpose(source, rows: n, columns: k, into: storage.base)  // (k, n)
                b = UnsafePointer(storage.base)
                bT = source
            } else {
                BLAS.transpose(source, rows: k, columns: n, into: storage.base)  // (n, k)
                b = source
                bT = UnsafePointer(storage.base)
            }
        }
    }

    /// The product of the kernel set the matrix was packed for.
    @usableFromInline
    func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float,
                  c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 0 && lda >= max(1, rows) && ldc >= max(1, columns), "packedSGEMM: bad shape")
        precondition(beta == 0 || beta == 1, "packedSGEMM: beta must be 0 or 1 (got \(beta))")
        switch kernels {
        case .avx512: ck_sgemm_packed(m, columns, rows, a, lda, storage.base, beta == 0 ? 0 : 1, c, ldc)
        case .avx2: ck_sgemm_packed_avx2(m, columns, rows, a, lda, storage.base, beta == 0 ? 0 : 1, c, ldc)
        case .portable: BLAS.skinnySGEMM(m: m, n: columns, k: rows, a: a, lda: lda, b: b!, bT: bT!, beta: beta, c: c, ldc: ldc)
        }
    }
}

extension BLAS {
    /// C (m, n) = A (m, k) · B + beta · C for B packed in `packed` (k, n);
    /// beta is 0 (C not read) or 1. For small m (the per-step products of a
    /// recurrence), in the kernel set `packed` was packed for. AVX-512 and
    /// AVX2: each element of C is one FMA chain over k in order, whatever m
    /// is, so a row's result does not depend on which rows it was computed
    /// with (and the two sets agree bit for bit). Portable: `skinnySGEMM`.
    public static func packedSGEMM(m: Int, a: UnsafePointer<Float>, lda: Int, packed: PackedMatrix,
                                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        packed.multiply(m: m, a: a, lda: lda, beta: beta, c: c, ldc: ldc)
    }
}
