// swift-tools-version:6.0
// SemiSeg: semi-supervised medical image segmentation in Swift.
// Module graph (a DAG; dependencies point downward only): docs/ARCHITECTURE.md §1.
import PackageDescription

/// The strategy plugins, written once: (target name, folder, dependencies). Each depends on the core only, never on
/// another plugin. This list generates the plugin targets and the dependencies of the CLI and of PluginTests; the CLI
/// registers the strategy types in Sources/SemiSegCLI/PluginRegistry.swift (docs/ARCHITECTURE.md §3).
let plugins: [(name: String, path: String, deps: [String])] = [
    ("SupervisedPlugin", "Plugins/Supervised", ["Training", "Engine"]),
    ("UDAPlugin", "Plugins/UDA", ["Training", "NN", "Engine"]),
    ("PseudoLabelPlugin", "Plugins/PseudoLabel", ["Training", "NN", "Engine", "MedIO"]),
    ("MCDropoutPlugin", "Plugins/MCDropout", ["Training", "NN", "Engine"]),
    ("EnsemblePlugin", "Plugins/Ensemble", ["Training", "NN", "Engine", "Evaluation"]),
    ("MeanTeacherPlugin", "Plugins/MeanTeacher", ["Training", "NN", "Engine"]),
    ("FixMatchPlugin", "Plugins/FixMatch", ["Training", "NN", "Engine"]),
    ("CPSPlugin", "Plugins/CPS", ["Training", "NN", "Engine"]),
    ("UAMTPlugin", "Plugins/UAMT", ["Training", "NN", "Engine"]),
    ("BCPPlugin", "Plugins/BCP", ["Training", "NN", "Engine"]),
]
let pluginDependencies: [Target.Dependency] = plugins.map { .target(name: $0.name) }

let package = Package(
    name: "SemiSeg",
    products: [
        .executable(name: "semiseg", targets: ["semiseg"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "MedIO", targets: ["MedIO"]),
        .library(name: "Training", targets: ["Training"]),  // for the Fuzz/ harnesses (config, split readers)
        .library(name: "Experiments", targets: ["Experiments"]),  // for the Fuzz/ harnesses (compare readers)
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML experiment configs (`--config exp.yaml`).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: - System libraries (installed by scripts/install-deps.sh)
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "CNIfTI", linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("niftiio"), .linkedLibrary("znz"), .linkedLibrary("z")]),

        // MARK: - Core
        .target(name: "CKernels"),
        // The one atomic whole-file writer (temp file, fsync, rename, fsync of the folder), below everything that writes.
        .target(name: "AtomicIO"),
        .target(name: "Engine", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "NN", dependencies: ["Engine", "AtomicIO"]),
        .target(name: "MedIO", dependencies: ["CNIfTI", "CPNG", "AtomicIO"]),
        .target(name: "Evaluation", dependencies: []),
        .target(name: "Training", dependencies: ["Engine", "NN", "MedIO", "Evaluation", "AtomicIO", .product(name: "Yams", package: "Yams")]),
        // Run pipelines and comparisons (`train`, `compare`): above the training loop, below reporting and the CLI.
        .target(name: "Experiments", dependencies: ["Engine", "NN", "MedIO", "Evaluation", "Training"]),
        .target(name: "Reporting", dependencies: ["MedIO", "Evaluation", "Training", "Experiments"]),

        // MARK: - Strategy plugins: one target each, generated from `plugins` below.
    ] + plugins.map { .target(name: $0.name, dependencies: $0.deps.map { .target(name: $0) }, path: $0.path) } + [

        // MARK: - CLI
        // The commands as a library (tests run them in-process), and the thin `semiseg` executable (main.swift).
        .target(name: "SemiSegCLI", dependencies: [
            "Engine", "NN", "MedIO", "Evaluation", "Training", "Experiments", "Reporting",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ] + pluginDependencies),
        .executableTarget(name: "semiseg", dependencies: ["SemiSegCLI"]),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["Engine", "Training", "Evaluation", "Experiments"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Engine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MedIOTests", dependencies: ["MedIO", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["SemiSegCLI", "Engine", "Training", "Reporting", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Experiments", "MedIO", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Experiments", "Engine", "NN", "TestSupport"]),
        .testTarget(name: "PluginTests", dependencies: ["Training", "Engine", "NN", "TestSupport"] + pluginDependencies),
    ],
    swiftLanguageModes: [.v5]
)
