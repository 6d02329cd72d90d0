// swift-tools-version:6.1
// charrnn — character-level RNN / LSTM / GRU text generation in Swift for Linux.
import PackageDescription

// MARK: - C libraries (system, and our own kernels)

let systemLibraries: [Target] = [
    // ICU 72 (libicu-dev): grapheme break iteration and NFC, through static inline shims.
    .systemLibrary(
        name: "CICU", pkgConfig: "icu-uc icu-i18n",
        providers: [.apt(["libicu-dev"])]),
    // OpenBLAS (libopenblas-dev): cblas sgemm / sgemv.
    // OpenSSL's libcrypto (libssl-dev): SHA-256 for the pages' Content-Security-Policy hash.
    .systemLibrary(
        name: "CLibCrypto", pkgConfig: "libcrypto",
        providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
        name: "CBLAS", pkgConfig: "openblas",
        providers: [.apt(["libopenblas-dev"])]),
    // charrnn's own kernels (GEMM micro-kernels, gate math; portable, AVX2, AVX-512), chosen at
    // run time. Optimized in debug builds too, as are the engine's Swift modules (Tensor, RNN):
    // the tests drive the debug binary, whose hot loops these are. On a Zen 3, a 300-iteration
    // CLI training test took 22 s at -O0/-Onone, 8 s with these kernels at -O2, 0.8 s with the
    // engine at -O as well; `swift test` went from 195 s to 86 s. A debugger still steps the rest.
    .target(
        name: "CKernels",
        cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
]

// MARK: - Library modules (data flows top to bottom)

/// The engine's modules are optimized in debug builds too (see CKernels).
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let libraries: [Target] = [
    // Reading inputs: regular files only (no FIFO hangs, no endless devices), sizes known
    // first, and the memory the machine has left for what they hold.
    .target(name: "Files"),
    // Text → graphemes → vocabulary ids → (B, T) training windows.
    .target(name: "Tokenizer", dependencies: ["CICU", "Files"]),
    // Matrices, BLAS wrappers with naive references, activations, seeded RNG.
    .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: optimizedInDebug),
    // The .safetensors container: read, validate, write atomically.
    .target(name: "SafeTensors", dependencies: ["Files"]),
    // The model's description, cells (RNN, LSTM, GRU), the stacked model, loss, gradients:
    // the engine, which knows nothing of files, text or their formats.
    .target(name: "RNN", dependencies: ["Tensor", "CKernels"], swiftSettings: optimizedInDebug),
    // A trained model on disk: the description, vocabulary, tokenizer, parameters and trainer
    // state in one .safetensors file; read, validated, written atomically.
    .target(name: "Checkpoints", dependencies: ["RNN", "Tokenizer", "SafeTensors", "Files"]),
    // Truncated-BPTT trainer, optimizers, schedules, clipping.
    .target(name: "Training", dependencies: ["RNN", "Checkpoints", "Tensor", "Tokenizer", "SafeTensors", "Files"]),
    // Temperature / top-k / top-p generation from a trained model.
    .target(name: "Sampler", dependencies: ["RNN", "Checkpoints", "Tensor", "Tokenizer"]),
    // Loss curves (SVG) and hidden-unit activation pages (HTML) for people to look at.
    // Their pages' Content-Security-Policy hash is libcrypto's SHA-256, as the server's.
    .target(name: "Visualize", dependencies: ["RNN", "Checkpoints", "Tokenizer", "Files", "CLibCrypto"]),
    // Data-parallel training over Open MPI, loaded at run time (dlopen): no build-time MPI.
    .target(name: "MPI", dependencies: ["Training"]),
    // `charrnn bench`: workloads, their in-process measurement, child processes, the
    // PyTorch / numpy reference runs, the results table and bench.jsonl records.
    // The serve rows run a server in the child process (Serve) and drive it over loopback.
    .target(name: "Bench", dependencies: ["Files", "RNN", "Checkpoints", "Training", "Sampler", "Tensor", "Tokenizer", "Serve"]),
    // `charrnn serve`: the HTTP API and page over SwiftNIO, its router, the worker lanes.
    // Its page's Content-Security-Policy hash is Visualize's (Markup); GET /metrics is
    // swift-metrics' API over swift-prometheus's registry and text format.
    .target(name: "Serve", dependencies: [
        "RNN", "Checkpoints", "Sampler", "Tensor", "Tokenizer", "Training", "Visualize",
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
    ]),
]

// MARK: - Test support (only test targets depend on it)

let testSupport: [Target] = [
    // References and helpers only tests call: NaiveBLAS, the one-hot column gather/scatter,
    // the separate loss and gradient, whole-buffer activations, DataSplits.range(of:), isGreedy.
    // Optimized in debug builds too: the Double reference model's finite differences are most of the gradient checks' time.
    .target(name: "TestSupport", dependencies: ["RNN", "Tensor", "Tokenizer", "Sampler"], swiftSettings: optimizedInDebug),
]

// MARK: - Command line

let executables: [Target] = [
    .executableTarget(
        name: "charrnn",
        dependencies: [
            "Files", "Tokenizer", "Tensor", "RNN", "Checkpoints", "Training", "Sampler", "SafeTensors", "Visualize", "Bench", "Serve", "MPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
]

// MARK: - Examples (the library used from outside charrnn)

let examples: [Target] = [
    // Karpathy's min-char-rnn in the library's calls: tokenize, train an LSTM by truncated BPTT
    // with Adam, save a checkpoint `charrnn sample` reads, sample (docs/library.md).
    .executableTarget(
        name: "MinCharRNN",
        dependencies: ["Tokenizer", "Tensor", "RNN", "Checkpoints", "Training", "Sampler"],
        path: "Examples/MinCharRNN"),
    // Géron's synthetic time series (Hands-On ML, chapter 15) forecast through the engine:
    // dense inputs, a regression head, the library's Adam; prints each model's validation MSE.
    .executableTarget(
        name: "TimeSeriesForecast",
        dependencies: ["RNN", "Training", "Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Examples/TimeSeriesForecast"),
    // Deterministic source<TAB>target files for the encoder-decoder (issue 25): numbers spelled
    // out by ICU's rule-based format (Tokenizer's SpelledNumbers), and Géron's dates.
    .executableTarget(
        name: "MakePairs",
        dependencies: ["Tokenizer", "Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Examples/MakePairs"),
]

// MARK: - Tests

let tests: [Target] = [
    .testTarget(name: "FilesTests", dependencies: ["Files"]),
    .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "TestSupport"]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
    .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
    .testTarget(name: "RNNTests", dependencies: ["RNN", "Checkpoints", "Tensor", "Tokenizer", "TestSupport"]),
    .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "RNN", "Tensor", "Tokenizer", "SafeTensors"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "Checkpoints", "RNN", "Tensor", "Tokenizer"]),
    .testTarget(name: "SamplerTests", dependencies: ["Sampler", "Checkpoints", "RNN", "Tensor", "Tokenizer", "SafeTensors", "TestSupport"]),
    .testTarget(name: "VisualizeTests", dependencies: [
        "Visualize", "Checkpoints", "RNN", "Tensor", "Tokenizer", "TestSupport",
    ]),
    // Runs the built `charrnn` binary: output, exit codes, files written.
    // and `charrnn serve`'s API in process (a loopback server), beside the binary it must agree with.
    .testTarget(name: "CLITests", dependencies: [
        "charrnn", "RNN", "Checkpoints", "Tokenizer", "SafeTensors", "Sampler", "Training", "Serve", "Bench", "TestSupport",
    ], exclude: ["Fixtures"]),  // checkpoints and outputs the tests read from the source tree
]

let package = Package(
    name: "charrnn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "charrnn", targets: ["charrnn"]),
        .library(name: "CharRNN", targets: ["Tokenizer", "Tensor", "SafeTensors", "RNN", "Checkpoints", "Training", "Sampler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SwiftNIO alone (no HTTP framework on top): the smallest addition to a clean build.
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        // `serve`'s GET /metrics: the metrics API and its Prometheus backend (both from the server ecosystem).
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // `make docs` only: the `generate-documentation` command plugin (DocC); no target depends on it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", exact: "1.5.0"),
    ],
    targets: systemLibraries + libraries + testSupport + executables + examples + tests,
    swiftLanguageModes: [.v6]
)
