// swift-tools-version: 6.1
// Frugal: how fast, and at what cost, training-style work runs on constrained GPUs.
// Layout and dependency direction: see docs/architecture.md ("Modules") —
// frugal → Experiments, Runtime (the MPI executor), Simulator (the event executor);
// Simulator → Program → Planner → Workload → Hardware → Config; Runtime → Planner, MPIKit → CMPI;
// Training (a model's forward, backward and optimizer step on one rank) → Workload, Kernels;
// Kernels and Reports (records, statistics, traces, charts) are leaves the others share.
// (Experiments: sweeps and calibration, which orchestrate runs and import neither executor.)
// Every target lists exactly the modules its sources import (Scripts/lint.sh checks).
import PackageDescription

/// SIMD code needs fused multiply-add: without an FMA-capable target CPU, Swift's
/// `addingProduct` on SIMD types lowers to a libm `fma` call per lane. x86-64-v3 (Haswell and
/// newer, Zen 1 and newer) has FMA3 and AVX2. `-Xcc -march=…` is the spelling that works with
/// Swift 6.3 (`-target-cpu` does not). Other architectures (arm64 has FMA in the base ISA) keep
/// the default.
#if arch(x86_64)
let simdSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let simdSettings: [SwiftSetting] = []
#endif

/// The kernels and the runtime's hot loops (packing, copying panels, combining) are optimised in
/// debug builds too: unoptimised, SIMD code runs ~100× slower and plain loops ~20×, which would
/// make `swift test` (a debug build that launches `frugal` under mpirun), its timing checks and
/// any figure from a debug build meaningless. Their tests still use `@testable import`.
let optimizedSettings: [SwiftSetting] = simdSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "frugal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "frugal", targets: ["frugal"]),
        .executable(name: "frugal-fuzz", targets: ["FrugalFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // C libraries from Debian (libopenmpi-dev, libopenblas-dev).
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Leaves: MPI's Swift face, the SIMD kernels, config decoding.
        .target(name: "MPIKit", dependencies: ["CMPI"], swiftSettings: optimizedSettings),
        .target(name: "CKernelSupport"),  // prefetch intrinsics for Kernels
        .target(name: "Kernels", dependencies: ["CKernelSupport"], swiftSettings: optimizedSettings),
        .target(name: "Config", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")]),

        // What to compute, on what hardware, and how to spread it.
        .target(name: "Workload", dependencies: ["Config", "Hardware", "Kernels"]),
        .target(name: "Hardware", dependencies: ["Config"]),
        .target(name: "Planner", dependencies: ["Workload", "Kernels"]),
        // The per-rank op program both executors read (no durations), and the lowerings to it.
        .target(name: "Program", dependencies: ["Planner", "Workload", "Kernels", "Reports"], swiftSettings: optimizedSettings),

        // The two executors and the reports.
        .target(name: "Runtime", dependencies: ["Config", "Planner", "Workload", "Hardware", "Kernels", "MPIKit", "Reports", "Program", "Training"],
                swiftSettings: optimizedSettings),
        .target(name: "Simulator", dependencies: ["Config", "Program", "Planner", "Workload", "Hardware", "Kernels", "Reports"],
                swiftSettings: optimizedSettings),
        .target(name: "Reports"),
        // The single-rank training step (forward, backward, AdamW) that distributed steps are verified against.
        .target(name: "Training", dependencies: ["Workload", "Kernels"], swiftSettings: optimizedSettings),
        // What runs the executors rather than being one: sweeps (a child process per point) and
        // calibration (measure this machine into a cluster file). Its measuring loops are hot.
        .target(name: "Experiments", dependencies: ["Config", "Hardware", "Workload", "Program", "Reports", "Kernels", "MPIKit",
                                                    .product(name: "TOMLKit", package: "TOMLKit")],
                swiftSettings: optimizedSettings),

        .executableTarget(
            name: "frugal",
            dependencies: [
                "Experiments", "Runtime", "Simulator", "Program", "Workload", "Hardware", "Config", "Reports",
                "Kernels", "MPIKit", "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: simdSettings),

        // The fuzzer of every decoder and flag parser (docs/fuzzing-and-hardening.md, "Fuzzing").
        .executableTarget(name: "FrugalFuzz", dependencies: ["Config", "Workload", "Hardware", "Simulator", "Reports"],
                          swiftSettings: simdSettings),

        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], swiftSettings: simdSettings),
        // Test helpers shared by several test targets (hostile values, TOML sketches, the mpirun launcher).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "WorkloadTests", dependencies: ["Workload", "Config", "Hardware", "TestSupport"]),
        .testTarget(name: "HardwareTests", dependencies: ["Hardware", "Config", "TestSupport"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Workload", "Kernels"]),
        .testTarget(name: "ProgramTests", dependencies: ["Program", "Workload", "Planner"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Program", "Hardware", "Workload", "Planner", "Config", "Reports"]),
        // Launch `mpirun` on the built `frugal` executable (a dependency so that it is built, not
        // imported); they never call MPI_Init themselves.
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Config", "Hardware", "Workload", "Planner", "Reports", "TestSupport", "Training", "frugal"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Config", "Hardware", "Reports", "TestSupport", "Workload", "frugal"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Workload", "Kernels"]),
        .testTarget(name: "FuzzTests", dependencies: ["FrugalFuzz", "frugal"]),
    ]
)
