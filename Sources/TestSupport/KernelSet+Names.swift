import Tensor

// The x86-64 rows of the kernel-set table by name, for the tests that single
// one out. Everything else takes sets from `KernelSet.all` / `Kernels.available`.

extension Kernels {
    /// Whether this build holds the set of that name and this CPU runs it.
    public static func runs(_ name: String) -> Bool { available.contains { $0.name == name } }
}

extension KernelSet {
    /// The AVX2 + FMA row; only where `Kernels.runs("avx2")`.
    public static var avx2: KernelSet { named("avx2")! }
    /// The AVX-512 row; only where `Kernels.runs("avx512")`.
    public static var avx512: KernelSet { named("avx512")! }
}
