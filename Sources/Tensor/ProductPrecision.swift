import CKernels

/// The precision of the products a training window computes (`train --precision`):
///
///   fp32  as always: OpenBLAS's sgemm and the kernel sets' fp32 packed products.
///   bf16  both operands of every product rounded to bfloat16 (nearest even,
///         by integer operations: `ck_bf16_bits`) and multiplied in pairs along
///         k into fp32 accumulators, as AVX512_BF16's VDPBF16PS multiplies them
///         (`ck_gemm.h`, "bf16 dot products"): on a CPU that has it, natively;
///         elsewhere by the same steps in FMAs, the same bits.
///
/// Only the products change. Master weights, gradients, optimizer moments, gate
/// nonlinearities, cell states, layer-norm statistics and the softmax stay fp32
/// (mixed precision as PyTorch's bf16 autocast does it, but with products
/// accumulated and returned in fp32).
public enum ProductPrecision: String, CaseIterable, Codable, Sendable {
    case fp32, bf16

    /// Whether `kernels` multiplies bf16 pairs with the CPU's own instruction (else by emulation, slower than fp32).
    public static func isNative(in kernels: KernelSet) -> Bool {
        kernels.table.map { $0.pointee.bf16_dot_native != 0 } ?? false
    }
}

/// The bf16 dot products' Swift side: the portable set's product (the reference
/// the C sets are tested against) and the rounding of A, which is C's (`ck_bf16_round_pairs`,
/// vectorized in each set as `bf16_round_pairs`: the same bits).
public enum BF16Dot {
    /// Pairs in a row of k values: ceil(k / 2).
    @inlinable public static func pairs(_ k: Int) -> Int { (k + 1) / 2 }

    /// A (m, k) — stored (k, m) when `transposed` — rounded into `out` (m rows of ldo ≥ pairs(k) pairs),
    /// by `kernels`' vector code when it has a row, else by the reference loops (the same bits).
    public static func round(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, m: Int, k: Int,
                             into out: UnsafeMutablePointer<UInt32>, ldo: Int, kernels: KernelSet = .portable) {
        precondition(m >= 0 && k >= 0 && ldo >= pairs(k) && lda >= max(1, transposed ? m : k), "BF16Dot.round: bad shape")
        if let table = kernels.table {
            table.pointee.bf16_round_pairs(a, lda, transposed ? 1 : 0, m, k, out, ldo)
        } else {
            ck_bf16_round_pairs(a, lda, transposed ? 1 : 0, m, k, out, ldo)
        }
    }

    /// The portable product: C (m, n) = A·B + beta·C, A rounded (m, kh pairs, lda ≥ kh), B pairs
    /// dense (kh, n) with ldb ≥ n; the steps of `ck_gemm.h` written out one element at a time.
    public static func multiply(m: Int, n: Int, kh: Int, a: UnsafePointer<UInt32>, lda: Int,
                                b: UnsafePointer<UInt32>, ldb: Int, beta: Float,
                                c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "BF16Dot: beta must be 0 or 1")
        for i in 0..<m {
            let ai = a + i * lda, ci = c + i * ldc
            for j in 0..<n {
                var acc: Float = beta == 0 ? 0 : ci[j]
                var bp = b + j
                for p in 0..<kh {
                    let x = ai[p], y = bp.pointee
                    acc = flushed(flushed(acc).addingProduct(odd(x), odd(y)))   // DAZ on the accumulator, FTZ on the result
                    acc = flushed(acc.addingProduct(even(x), even(y)))
                    bp += ldb
                }
                ci[j] = acc
            }
        }
    }

    @inline(__always) static func odd(_ pair: UInt32) -> Float { Float(bitPattern: pair & 0xFFFF_0000) }
    @inline(__always) static func even(_ pair: UInt32) -> Float { Float(bitPattern: pair << 16) }
    /// A subnormal as zero of its sign (DAZ on an input, FTZ on a result).
    @inline(__always) static func flushed(_ x: Float) -> Float { x.isSubnormal ? Float(signOf: x, magnitudeOf: 0) : x }
}
