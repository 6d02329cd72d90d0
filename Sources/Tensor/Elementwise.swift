// Element-wise kernels: activations, their derivatives, and the few
// broadcasting helpers the recurrent layers need.
//
// The scalar functions are branch-free (selects, not branches) and inline, so
// a plain loop over unsafe pointers that calls them is vectorised by LLVM.
// That is why `exp` and `tanh` are written here instead of calling libm's
// `expf` / `tanhf`, which are opaque calls that stop vectorisation: in an LSTM
// the gate nonlinearities are as many calls as there are multiply-adds in a
// small GEMM. Both follow Cephes (`expf`, `tanhf`): a few ulp over the whole
// range, NaN in gives NaN out, so a diverging model still shows a NaN loss.
//
// Derivatives take the activation's *output* y, which is what a backward pass
// has cached: σ' = y(1 − y), tanh' = 1 − y², relu' = [y > 0].
//
// Each function also exists for `Vector` (SIMD16<Float>), performing the same
// operations in the same order on every lane, so that its results are bit for bit the
// scalar ones (Swift never fuses a·b + c into an FMA on its own). The fused
// gate kernels of the cells are written with these: explicit vectors need no
// proof that their pointers do not overlap, which a loop over seven pointers
// never gets from LLVM.

public enum Elementwise {
    // MARK: Scalars

    /// eˣ, Cephes-style: 2ⁿ·eʳ with n = round(x·log₂e), |r| ≤ ln2/2, eʳ from a
    /// degree-6 polynomial. x is clamped to [−87, 88] (results stay normal and finite).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped: Float = x < -87 ? -87 : (x > 88 ? 88 : x)  // NaN fails both tests and stays NaN
        // Rounding by adding 1.5·2²³: the integer n lands in the low mantissa bits of t.
        let shifter: Float = 12_582_912
        let t = clamped * 1.442_695_04 + shifter
        let n = t - shifter
        var r = clamped - n * 0.693_359_375  // ln 2 in two parts, so r is exact
        r = r + n * 2.121_944_4e-4
        let z = r * r
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * z + r + 1
        // 2ⁿ built from its bits: t's pattern is 0x4B40_0000 + n; the exponent field takes n + 127.
        let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return p * scale
    }

    /// σ(x) = 1 / (1 + e⁻ˣ).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh x: an odd polynomial for |x| < 0.625 (no cancellation near 0),
    /// (1 − e)/(1 + e) with e = e^(−2|x|) beyond, sign restored.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let a = x.magnitude
        let e = exp(-2 * a)
        let large = (1 - e) / (1 + e)
        let z = x * x
        var p: Float = -5.704_988_72e-3
        p = p * z + 2.063_908_88e-2
        p = p * z - 5.373_971_55e-2
        p = p * z + 1.333_144_22e-1
        p = p * z - 3.333_328_19e-1
        let small = x + x * z * p
        let signedLarge = x < 0 ? -large : large
        return a < 0.625 ? small : signedLarge  // NaN: a < 0.625 is false, large is NaN
    }

    /// max(x, 0); NaN stays NaN.
    @inlinable @inline(__always)
    public static func relu(_ x: Float) -> Float { x < 0 ? 0 : x }

    /// dtanh/dx from the output y = tanh(x).
    @inlinable @inline(__always)
    public static func tanhDerivative(output y: Float) -> Float { 1 - y * y }

    /// drelu/dx from the output y = relu(x) (0 at the kink, as PyTorch).
    @inlinable @inline(__always)
    public static func reluDerivative(output y: Float) -> Float { y > 0 ? 1 : 0 }

    // MARK: Vectors

    /// The vector the kernels work on: 16 floats, four SSE registers (LLVM
    /// interleaves them, which hides the latency of each step of the
    /// polynomials; eight lanes measured ~30% slower on x86-64 without AVX),
    /// one AVX-512 register where the compiler may use one.
    public typealias Vector = SIMD16<Float>
    public typealias VectorBits = SIMD16<UInt32>
    public typealias Vector8 = SIMD8<Float>
    public typealias Vector8Bits = SIMD8<UInt32>
    /// Floats per `Vector`.
    public static let lanes = 16

    /// `mask ? a : b` lane by lane, with bit operations. (`replacing(with:where:)`
    /// goes through a per-lane loop over the mask that LLVM turns into shuffles.)
    @_transparent
    public static func select(_ mask: SIMDMask<VectorBits.MaskStorage>, _ a: Vector, _ b: Vector) -> Vector {
        let m = unsafeBitCast(mask._storage, to: VectorBits.self)
        let ab = unsafeBitCast(a, to: VectorBits.self), bb = unsafeBitCast(b, to: VectorBits.self)
        return unsafeBitCast(bb ^ ((ab ^ bb) & m), to: Vector.self)
    }

    /// eˣ on a vector, bit for bit `exp(_: Float)` on each lane: the eight-lane body on
    /// each half (inlined, the two halves' instructions interleave as one wide body's did).
    @_transparent
    public static func exp(_ x: Vector) -> Vector { Vector(lowHalf: exp(x.lowHalf), highHalf: exp(x.highHalf)) }

    /// σ on a vector, bit for bit `sigmoid(_: Float)`.
    @_transparent
    public static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    /// tanh on a vector, bit for bit `tanh(_: Float)`: the eight-lane body on each half.
    @_transparent
    public static func tanh(_ x: Vector) -> Vector { Vector(lowHalf: tanh(x.lowHalf), highHalf: tanh(x.highHalf)) }

    /// max(x, 0) on a vector; NaN stays NaN.
    @_transparent
    public static func relu(_ x: Vector) -> Vector { select(x .< 0, Vector(repeating: 0), x) }

    // The same on eight lanes (half the registers: kernels that keep many vectors live spill less).
    // eˣ and tanh are written here once, on eight lanes, and the sixteen-lane forms above
    // run them on each half. (One generic `@_transparent` version over `SIMD where Scalar ==
    // Float` passed every bit-identity test but made training 2.5× slower, 2026-11-21: the
    // generic SIMD operations were not specialised across modules. Two concrete halves are
    // no slower than the sixteen-lane copy they replaced: `charrnn bench`, 2026-12-06.)

    /// `mask ? a : b` lane by lane, with bit operations. (`replacing(with:where:)`
    /// goes through a per-lane loop over the mask that LLVM turns into shuffles.)
    @_transparent
    public static func select(_ mask: SIMDMask<Vector8Bits.MaskStorage>, _ a: Vector8, _ b: Vector8) -> Vector8 {
        let m = unsafeBitCast(mask._storage, to: Vector8Bits.self)
        let ab = unsafeBitCast(a, to: Vector8Bits.self), bb = unsafeBitCast(b, to: Vector8Bits.self)
        return unsafeBitCast(bb ^ ((ab ^ bb) & m), to: Vector8.self)
    }

    /// eˣ on a vector, bit for bit `exp(_: Float)` on each lane.
    @_transparent
    public static func exp(_ x: Vector8) -> Vector8 {
        var clamped = select(x .< -87, Vector8(repeating: -87), x)   // NaN fails both tests and stays NaN
        clamped = select(x .> 88, Vector8(repeating: 88), clamped)
        let shifter = Vector8(repeating: 12_582_912)
        let t = clamped * 1.442_695_04 + shifter
        let n = t - shifter
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        let z = r * r
        var p = Vector8(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * z + r + 1
        let bits = (unsafeBitCast(t, to: Vector8Bits.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: Vector8.self)
    }

    /// σ on a vector, bit for bit `sigmoid(_: Float)`.
    @_transparent
    public static func sigmoid(_ x: Vector8) -> Vector8 { 1 / (1 + exp(-x)) }

    /// tanh on a vector, bit for bit `tanh(_: Float)`.
    @_transparent
    public static func tanh(_ x: Vector8) -> Vector8 {
        let a = unsafeBitCast(unsafeBitCast(x, to: Vector8Bits.self) & 0x7FFF_FFFF, to: Vector8.self)
        let e = exp(-2 * a)
        let large = (1 - e) / (1 + e)
        let z = x * x
        var p = Vector8(repeating: -5.704_988_72e-3)
        p = p * z + 2.063_908_88e-2
        p = p * z - 5.373_971_55e-2
        p = p * z + 1.333_144_22e-1
        p = p * z - 3.333_328_19e-1
        let small = x + x * z * p
        let signedLarge = select(x .< 0, -large, large)
        return select(a .< 0.625, small, signedLarge)  // NaN: a < 0.625 is false, large is NaN
    }

    /// max(x, 0) on a vector; NaN stays NaN.
    @_transparent
    public static func relu(_ x: Vector8) -> Vector8 { select(x .< 0, Vector8(repeating: 0), x) }

    // MARK: Broadcasting and reductions

    /// Every row of `c` (rows, columns; leading dimension ldc) ← `vector` (columns).
    @inlinable
    public static func fillRows(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, with vector: UnsafePointer<Float>) {
        for r in 0..<rows { (c + r * ldc).update(from: vector, count: columns) }
    }

    /// sums (columns) += Σ over rows of `a` (rows, columns; lda): the bias gradient of a broadcast bias.
    /// Each column is added up row by row, in order. Rows are read one after the other (the sums stay
    /// in L1), which the hardware prefetcher follows; column-blocked loops stride through memory.
    @inlinable
    public static func addColumnSums(of a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int, into sums: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = a + r * lda
            var j = 0
            while j + 8 <= columns { (SIMD8(loading: sums + j) + SIMD8(loading: row + j)).store(to: sums + j); j += 8 }
            while j < columns { sums[j] += row[j]; j += 1 }
        }
    }

    /// x ← x · m element-wise (a dropout mask holding 0 or 1/(1 − p)).
    @inlinable
    public static func multiply(_ x: UnsafeMutablePointer<Float>, by m: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] *= m[i] }
    }

    /// y ← x · m element-wise.
    @inlinable
    public static func multiply(_ x: UnsafePointer<Float>, by m: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = x[i] * m[i] }
    }
}

// MARK: - Loading and storing vectors

extension SIMD where Scalar == Float {
    /// The `scalarCount` floats at `p` (any alignment; a mutable pointer converts).
    /// Inlined at every use, so each load is the concrete vector type's one instruction.
    @inlinable @inline(__always)
    public init(loading p: UnsafePointer<Float>) {
        self = UnsafeRawPointer(p).loadUnaligned(as: Self.self)
    }

    /// Writes the lanes to `p` (any alignment).
    @inlinable @inline(__always)
    public func store(to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self)
    }
}
