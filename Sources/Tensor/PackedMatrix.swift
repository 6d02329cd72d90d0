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
// Either way the buffer holds one copy of B (plus the panel padding), in fp32
// or, for sampling, in bf16 or int8 (`WeightPrecision`; int8 in quads along k
// for the integer dot products, `I8Dot`), so one
// `PackedMatrix` can replace a transposed copy of the weights, and the source
// of `pack` may change or go away afterwards.

/// B (k, n) packed for `BLAS.packedSGEMM`. Reusable: `pack` reallocates only
/// when it needs more room than any shape before.
///
/// In fp32 (training and sampling as trained), bf16 or int8 (sampling from
/// reduced weights, `WeightPrecision`): bf16 in the same panels of 2 bytes an
/// element; int8 in panels of quads along k with a scale and an offset per column
/// of B (`ck_gemm_pack_quads`), multiplied by quantized rows of A (`I8Dot`). The
/// portable layout is one panel as wide as B (dense rows).
public final class PackedMatrix {
    /// B is (rows, columns) = (k, n).
    public private(set) var rows = 0
    public private(set) var columns = 0
    /// The kernel set it is laid out for (`pack`'s `kernels`), which the product then runs.
    public private(set) var kernels = KernelSet.portable
    /// The precision of the packed elements.
    public private(set) var precision = WeightPrecision.fp32
    /// Columns per panel: the set's `gemm_nr`, or all of them (portable, dense rows).
    public private(set) var panelWidth = 0
    /// Training in bf16 (`ProductPrecision.bf16`, `packPairs`): B in bf16 pairs along k, and the
    /// product rounds A too (`precision` is then fp32 and says nothing).
    public private(set) var pairs = false
    private var storage: AlignedBuffer<UInt8>
    /// int8 only: one scale and one offset (128·Σ of the column) per column, padded to whole panels.
    private var scales: AlignedBuffer<Float>
    private var offsets: AlignedBuffer<Int32>

    public init() {
        storage = AlignedBuffer(count: 0)
        scales = AlignedBuffer(count: 0)
        offsets = AlignedBuffer(count: 0)
    }

    /// Storage allocated, in floats (for tests and memory accounting; `bytes` counts a reduced copy's scales too).
    public var capacity: Int { storage.count / 4 }
    /// Bytes of the packed elements, scales and offsets.
    public var bytes: Int { storage.count + 4 * scales.count + 4 * offsets.count }

    /// Packs B (k, n). `transposed` false: source is B itself, (k, n) with leading
    /// dimension ld ≥ n; true: source is Bᵀ stored (n, k) with ld ≥ k (for
    /// example weight_hh (G·H, H) read as B = weight_hhᵀ, k = H, n = G·H).
    /// `kernels`: the set to lay B out for, which the product then runs (the model's one choice, or a test's).
    /// `precision`: of the copy (bf16 rounds as `WeightPrecision.round` does; int8 quantizes each column
    /// of B, `ck_gemm.h`, and needs k ≤ `I8Dot.maxK`).
    public func pack(from source: UnsafePointer<Float>, ld: Int, transposed: Bool, rows k: Int, columns n: Int,
                     kernels: KernelSet, precision: WeightPrecision = .fp32) {
        precondition(precision != .int8 || k <= I8Dot.maxK, "PackedMatrix: k = \(k) is over the int8 product's \(I8Dot.maxK)")
        let nr = prepare(ld: ld, transposed: transposed, rows: k, columns: n, kernels: kernels, pairs: false, precision: precision) { nr in
            precision == .int8 ? Int(ck_gemm_quads_count(k, n, nr)) : Int(ck_gemm_packed_count(k, n, nr)) * precision.bytesPerWeight
        }
        let scaleCount = precision == .int8 ? (n + nr - 1) / nr * nr : 0
        if scales.count < scaleCount {
            scales = AlignedBuffer(count: scaleCount)
            offsets = AlignedBuffer(count: scaleCount)
        }
        let t: Int32 = transposed ? 1 : 0
        let raw = UnsafeMutableRawPointer(storage.base)
        switch precision {
        case .fp32: ck_gemm_pack(source, ld, t, k, n, nr, raw.assumingMemoryBound(to: Float.self))
        case .bf16: ck_gemm_pack_bf16(source, ld, t, k, n, nr, kernels.table == nil ? 0 : 1, raw.assumingMemoryBound(to: UInt16.self))
        case .int8: ck_gemm_pack_quads(source, ld, t, k, n, nr, raw.assumingMemoryBound(to: Int8.self), scales.base, offsets.base)
        }
    }

    /// What `pack` and `packPairs` share: the shape's checks, room for `bytes(nr)` bytes, the
    /// matrix's description. Returns the panel width (the set's `gemm_nr`, or n for the portable layout).
    private func prepare(ld: Int, transposed: Bool, rows k: Int, columns n: Int, kernels: KernelSet, pairs: Bool,
                         precision: WeightPrecision, bytes: (Int) -> Int) -> Int {
        precondition(k >= 0 && n >= 0, "PackedMatrix: negative shape (\(k), \(n))")
        precondition(ld >= (transposed ? k : n), "PackedMatrix: ld \(ld) too small for (\(k), \(n))")
        precondition(kernels.isSupported, "PackedMatrix: this CPU cannot run the \(kernels) kernels")
        let nr = kernels.table?.pointee.gemm_nr ?? max(n, 1)
        let needed = bytes(nr)
        if storage.count < needed { storage = AlignedBuffer(count: needed) }
        rows = k
        columns = n
        panelWidth = nr
        self.pairs = pairs
        self.kernels = kernels
        self.precision = precision
        return nr
    }

    /// Packs B (k, n) as `pack` reads it, for the bf16 dot products of training
    /// (`ProductPrecision.bf16`, `ck_gemm.h`): pairs of bf16 along k in the set's panels
    /// (portable: one panel as wide as B). The product then rounds A into pairs as well.
    public func packPairs(from source: UnsafePointer<Float>, ld: Int, transposed: Bool, rows k: Int, columns n: Int,
                          kernels: KernelSet) {
        let nr = prepare(ld: ld, transposed: transposed, rows: k, columns: n, kernels: kernels, pairs: true, precision: .fp32) { nr in
            Int(ck_gemm_pairs_count(k, n, nr)) * 4
        }
        let out = UnsafeMutableRawPointer(storage.base).assumingMemoryBound(to: UInt32.self)
        // Panels are independent: whole panels on the engine's threads when B is large.
        let panels = (n + nr - 1) / nr, kh = BF16Dot.pairs(k)
        let parts = k * n < 200_000 ? 1 : Parallel.parts(for: panels, minimum: 1)
        Parallel.forEach(parts) { q in
            let r = Parallel.range(q, of: parts, count: panels), j0 = r.lowerBound * nr
            let width = min(n, r.upperBound * nr) - j0
            guard width > 0 else { return }
            let from = transposed ? source + j0 * ld : source + j0, into = out + r.lowerBound * kh * nr
            if let table = kernels.table {
                table.pointee.bf16_pack_pairs(from, ld, transposed ? 1 : 0, k, width, nr, into)   // the same bits, vectorized
            } else {
                ck_gemm_pack_pairs(from, ld, transposed ? 1 : 0, k, width, nr, into)
            }
        }
    }

    /// The product of the kernel set the matrix was packed for, over columns `range`
    /// of B and C (all by default); a range starts at a panel's first column.
    @usableFromInline
    func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float,
                  c: UnsafeMutablePointer<Float>, ldc: Int, columnRange: Range<Int>? = nil) {
        let range = columnRange ?? 0..<columns
        precondition(m >= 0 && lda >= max(1, rows) && ldc >= max(1, columns), "packedSGEMM: bad shape")
        precondition(beta == 0 || beta == 1, "packedSGEMM: beta must be 0 or 1 (got \(beta))")
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "packedSGEMM: columns \(range) outside 0..<\(columns)")
        guard !range.isEmpty else { return }
        if pairs {
            // A rounded into pairs first (a few dozen rows per step: on the stack for small products).
            let kh = BF16Dot.pairs(rows)
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(1, m * kh)) { rounded in
                BF16Dot.round(a, lda: lda, transposed: false, m: m, k: rows, into: rounded.baseAddress!, ldo: kh, kernels: kernels)
                multiplyRounded(m: m, a: rounded.baseAddress!, lda: kh, beta: beta, c: c, ldc: ldc, columnRange: range)
            }
            return
        }
        if precision == .int8 {
            withQuantized(a, lda: lda, m: m) { multiplyQuantized(m: m, $0, beta: beta, c: c, ldc: ldc, columnRange: range) }
            return
        }
        let j0 = range.lowerBound, n = range.count, k = rows
        let raw = UnsafeRawPointer(storage.base), cj = c + j0, b = beta == 0 ? Int32(0) : 1
        if let table = kernels.table {
            precondition(j0 % panelWidth == 0, "packedSGEMM: columns \(range) do not start a panel of \(panelWidth)")
            let offset = j0 / panelWidth * k * panelWidth  // elements before the range's first panel
            switch precision {
            case .fp32: table.pointee.sgemm_packed(m, n, k, a, lda, raw.assumingMemoryBound(to: Float.self) + offset, b, cj, ldc)
            case .bf16: table.pointee.sgemm_packed_bf16(m, n, k, a, lda, raw.assumingMemoryBound(to: UInt16.self) + offset, b, cj, ldc)
            case .int8: preconditionFailure("int8 is multiplied above")
            }
        } else {
            switch precision {
            case .fp32:
                SmallGEMM.multiply(m: m, n: n, k: k, a: a, lda: lda, b: raw.assumingMemoryBound(to: Float.self) + j0, ldb: columns,
                                   beta: beta, c: cj, ldc: ldc)
            case .bf16:
                SmallGEMM.multiply(m: m, n: n, k: k, a: a, lda: lda, b: raw.assumingMemoryBound(to: UInt16.self) + j0, ldb: columns,
                                   beta: beta, c: cj, ldc: ldc)
            case .int8: preconditionFailure("int8 is multiplied above")
            }
        }
    }
}

extension PackedMatrix {
    /// The bf16 dot product over pair panels (`packPairs`) with A already rounded into pairs
    /// (m, lda ≥ ceil(k / 2) pairs; `BF16Dot.round`), over columns `range` (a panel's first column on).
    func multiplyRounded(m: Int, a: UnsafePointer<UInt32>, lda: Int, beta: Float,
                         c: UnsafeMutablePointer<Float>, ldc: Int, columnRange range: Range<Int>) {
        precondition(pairs, "PackedMatrix: a bf16 dot product over a matrix not packed in pairs")
        guard !range.isEmpty, m > 0 else { return }
        let kh = BF16Dot.pairs(rows), j0 = range.lowerBound, n = range.count, cj = c + j0
        let b = UnsafeRawPointer(storage.base).assumingMemoryBound(to: UInt32.self)
        if let table = kernels.table {
            precondition(j0 % panelWidth == 0, "packedSGEMM: columns \(range) do not start a panel of \(panelWidth)")
            table.pointee.bf16_dot_packed(m, n, kh, a, lda, b + j0 / panelWidth * kh * panelWidth, beta == 0 ? 0 : 1, cj, ldc)
        } else {
            BF16Dot.multiply(m: m, n: n, kh: kh, a: a, lda: lda, b: b + j0, ldb: columns, beta: beta, c: cj, ldc: ldc)
        }
    }
}

extension PackedMatrix {
    /// Rows of A quantized for an int8 product (`I8Dot.quantize`): m rows of `ld` bytes, a scale each.
    struct QuantizedRows {
        let rows: UnsafePointer<UInt8>, ld: Int, scales: UnsafePointer<Float>
    }

    /// A (m, k = rows, lda) quantized for this matrix's int8 product, given to `body` (a few dozen rows per
    /// step: on the stack for small products).
    func withQuantized<R>(_ a: UnsafePointer<Float>, lda: Int, m: Int, _ body: (QuantizedRows) -> R) -> R {
        let ldq = I8Dot.rowBytes(rows)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, m * ldq)) { q in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, m)) { s in
                I8Dot.quantize(a, lda: lda, m: m, k: rows, into: q.baseAddress!, ldo: ldq, scales: s.baseAddress!, kernels: kernels)
                return body(QuantizedRows(rows: q.baseAddress!, ld: ldq, scales: s.baseAddress!))
            }
        }
    }

    /// The int8 product over quad panels with A already quantized (`withQuantized`), over columns `range`
    /// (a panel's first column on).
    func multiplyQuantized(m: Int, _ a: QuantizedRows, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                           columnRange range: Range<Int>) {
        precondition(precision == .int8, "PackedMatrix: an int8 product over a matrix not packed in int8")
        guard !range.isEmpty, m > 0 else { return }
        let j0 = range.lowerBound, n = range.count, kq = a.ld / 4, cj = c + j0, b: Int32 = beta == 0 ? 0 : 1
        let quads = UnsafeRawPointer(storage.base).assumingMemoryBound(to: Int8.self)
        if let table = kernels.table {
            precondition(j0 % panelWidth == 0, "packedSGEMM: columns \(range) do not start a panel of \(panelWidth)")
            table.pointee.i8_dot_packed(m, n, kq, a.rows, a.ld, a.scales, quads + j0 / panelWidth * kq * panelWidth * 4,
                                        scales.base + j0, offsets.base + j0, b, cj, ldc)
        } else {
            I8Dot.multiply(m: m, n: n, k: rows, a: a.rows, lda: a.ld, aScales: a.scales, b: quads + 4 * j0, ldb: columns,
                           bScales: scales.base + j0, offsets: offsets.base + j0, beta: beta, c: cj, ldc: ldc)
        }
    }
}

extension BLAS {
    /// C (m, n) = alpha·op(A)·op(B) + beta·C as `parallelSGEMM` computes it, in `precision`:
    /// fp32 is `parallelSGEMM` itself; bf16 rounds both operands into pairs (`BF16Dot`,
    /// `PackedMatrix.packPairs`) and runs `kernels`' bf16 dot product, C split across the engine's
    /// threads by rows or whole panels (every element one chain over k: the same bits for any
    /// thread count). `alpha` must be 1 and `beta` 0 or 1 in bf16.
    public static func gemm(
        _ precision: ProductPrecision, kernels: KernelSet,
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, rowBias: UnsafePointer<Float>? = nil, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard precision == .bf16 else {
            parallelSGEMM(transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, rowBias: rowBias, c: c, ldc: ldc)
            return
        }
        checkGEMM(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        precondition(beta == 0 || beta == 1, "gemm(bf16): beta must be 0 or 1 (got \(beta))")
        if m == 0 || n == 0 { return }
        let packed = PackedMatrix()
        packed.packPairs(from: b, ld: ldb, transposed: transB == .transposed, rows: k, columns: n, kernels: kernels)
        let kh = BF16Dot.pairs(k), rounded = AlignedBuffer<UInt32>(count: m * kh)
        let byRows = m >= n || packed.panelWidth >= n
        let parts = 2 * m * n * k < 4_000_000 ? 1 : Parallel.parts(for: byRows ? m : n, minimum: byRows ? 16 : packed.panelWidth)
        // A's rounding, cut by rows of A across the threads (a transposed A is read by columns of its storage).
        let roundParts = m * k < 200_000 ? 1 : Parallel.parts(for: m, minimum: 64)
        Parallel.forEach(roundParts) { q in
            let r = Parallel.range(q, of: roundParts, count: m)
            BF16Dot.round(transA == .none ? a + r.lowerBound * lda : a + r.lowerBound, lda: lda, transposed: transA == .transposed,
                          m: r.count, k: k, into: rounded.base + r.lowerBound * kh, ldo: kh, kernels: kernels)
        }
        let beta: Float = rowBias == nil ? beta : 1
        Parallel.forEach(parts) { q in
            let rows = byRows ? Parallel.range(q, of: parts, count: m) : 0..<m
            let columns = byRows ? 0..<n : Parallel.range(q, of: parts, count: n, alignment: packed.panelWidth)
            if let rowBias {
                Elementwise.fillRows(c + rows.lowerBound * ldc + columns.lowerBound, rows: rows.count, columns: columns.count,
                                     ldc: ldc, with: rowBias + columns.lowerBound)
            }
            packed.multiplyRounded(m: rows.count, a: rounded.base + rows.lowerBound * kh, lda: kh, beta: beta,
                                   c: c + rows.lowerBound * ldc, ldc: ldc, columnRange: columns)
        }
    }

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

    /// `packedSGEMM` with its columns split across the engine's threads, each a run of whole
    /// panels (for matrices too large for one core's cache: each core streams its share).
    /// Each column is computed as `packedSGEMM` computes it, so the result is the same.
    /// `plus`: a second product (A₂, B₂ packed alike, same shape) added to C in the same split.
    public static func parallelPackedSGEMM(m: Int, a: UnsafePointer<Float>, lda: Int, packed: PackedMatrix,
                                           plus: (packed: PackedMatrix, a: UnsafePointer<Float>)? = nil,
                                           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let n = packed.columns, alignment = packed.panelWidth < n ? packed.panelWidth : n
        if let plus {
            precondition(plus.packed.columns == n && plus.packed.rows == packed.rows && plus.packed.panelWidth == packed.panelWidth,
                         "parallelPackedSGEMM: the two matrices differ in shape or layout")
        }
        let parts = alignment == n ? 1 : Parallel.parts(for: n, minimum: 256)
        if packed.precision == .int8 {
            // A (and A₂) quantized once, here, rather than by each thread for its columns.
            precondition(plus.map { $0.packed.precision == .int8 } ?? true, "parallelPackedSGEMM: the two matrices differ in precision")
            packed.withQuantized(a, lda: lda, m: m) { qa in
                func split(_ qb: PackedMatrix.QuantizedRows?) {
                    Parallel.forEach(parts) { q in
                        let r = Parallel.range(q, of: parts, count: n, alignment: max(alignment, 1))
                        packed.multiplyQuantized(m: m, qa, beta: beta, c: c, ldc: ldc, columnRange: r)
                        if let plus, let qb { plus.packed.multiplyQuantized(m: m, qb, beta: 1, c: c, ldc: ldc, columnRange: r) }
                    }
                }
                if let plus { plus.packed.withQuantized(plus.a, lda: lda, m: m) { split($0) } } else { split(nil) }
            }
            return
        }
        Parallel.forEach(parts) { q in
            let r = Parallel.range(q, of: parts, count: n, alignment: max(alignment, 1))
            packed.multiply(m: m, a: a, lda: lda, beta: beta, c: c, ldc: ldc, columnRange: r)
            if let plus { plus.packed.multiply(m: m, a: plus.a, lda: lda, beta: 1, c: c, ldc: ldc, columnRange: r) }
        }
    }
}
