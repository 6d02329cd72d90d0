import CKernels

// A weight matrix B (k, n) prepared for many small-M products C = A·B
// (the per-step products of a recurrence, `BLAS.packedSGEMM`).
//
// With the AVX-512 kernels, B is copied into column panels of 32 floats
// (`ck_gemm.h`): each panel k × 32 contiguous, zero-padded at the right edge,
// so that the product reads it as one sequential stream and never packs it
// again. Portable path: the product is `BLAS.skinnySGEMM`, which wants B in
// both layouts, (k, n) and (n, k); the matrix keeps a pointer to the layout
// it was given and holds a copy of the other one. Either way the buffer
// holds one copy of B (plus the panel padding), so one `PackedMatrix` can
// replace a transposed copy of the weights.
//
// The source of `pack` is read again by the portable product: it must stay
// valid and unchanged until the matrix is packed again.

/// B (k, n) packed for `BLAS.packedSGEMM`. Reusable: `pack` reallocates only
/// when it needs more room than any shape before.
public final class PackedMatrix {
    /// B is (rows, columns) = (k, n).
    public private(set) var rows = 0
    public private(set) var columns = 0
    /// True when packed for the AVX-512 kernel (`pack`'s `panels`, by default `Kernels.useAVX512`).
    public private(set) var isPanels = false
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
    /// `panels`: pack for the AVX-512 kernel (tests choose; the engine takes the default).
    public func pack(from source: UnsafePointer<Float>, ld: Int, transposed: Bool, rows k: Int, columns n: Int,
                     panels: Bool = Kernels.useAVX512) {
        precondition(k >= 0 && n >= 0, "PackedMatrix.pack: negative shape (\(k), \(n))")
        precondition(ld >= (transposed ? k : n), "PackedMatrix.pack: ld \(ld) too small for (\(k), \(n))")
        precondition(!panels || Kernels.avx512Available, "PackedMatrix.pack: no AVX-512 on this CPU")
        let needed = panels ? Int(ck_gemm_packed_count(k, n)) : k * n
        if storage.count < needed { storage = AlignedBuffer(count: needed) }
        rows = k
        columns = n
        isPanels = panels
        if panels {
            ck_gemm_pack(source, ld, transposed ? 1 : 0, k, n, storage.base)
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

    /// The products, portable or AVX-512 depending on how the matrix was packed.
    @usableFromInline
    func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float,
                  c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m >= 0 && lda >= max(1, rows) && ldc >= max(1, columns), "packedSGEMM: bad shape")
        precondition(beta == 0 || beta == 1, "packedSGEMM: beta must be 0 or 1 (got \(beta))")
        if isPanels {
            ck_sgemm_packed(m, columns, rows, a, lda, storage.base, beta == 0 ? 0 : 1, c, ldc)
        } else {
            BLAS.skinnySGEMM(m: m, n: columns, k: rows, a: a, lda: lda, b: b!, bT: bT!, beta: beta, c: c, ldc: ldc)
        }
    }
}

extension BLAS {
    /// C (m, n) = A (m, k) · B + beta · C for B packed in `packed` (k, n);
    /// beta is 0 (C not read) or 1. For small m (the per-step products of a
    /// recurrence). AVX-512: each element of C is one FMA chain over k in
    /// order, whatever m is, so a row's result does not depend on which rows
    /// it was computed with. Portable: `skinnySGEMM`.
    public static func packedSGEMM(m: Int, a: UnsafePointer<Float>, lda: Int, packed: PackedMatrix,
                                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        packed.multiply(m: m, a: a, lda: lda, beta: beta, c: c, ldc: ldc)
    }
}
