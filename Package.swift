// swift-tools-version:6.0
// SemiSeg: semi-supervised medical image segmentation in Swift.
// Module graph (a DAG; dependencies point downward only): docs/ARCHITECTURE.md §1.
import PackageDescription

let package = Package(
    name: "SemiSeg",
    products: [
        .executable(name: "semiseg", targets: ["semiseg"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "MedIO", targets: ["MedIO"]),
        .library(name: "Training", targets: ["Training"]),  // for the Fuzz/ harnesses (config, split, compare readers)
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
        .target(name: "Engine", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "NN", dependencies: ["Engine"]),
        .target(name: "MedIO", dependencies: ["CNIfTI", "CPNG"]),
        .target(name: "Evaluation", dependencies: []),
        .target(name: "Training", dependencies: ["Engine", "NN", "MedIO", "Evaluation", .product(name: "Yams", package: "Yams")]),
        .target(name: "Reporting", dependencies: ["MedIO", "Evaluation", "Training"]),

        // MARK: - Strategy plugins (each depends on the core only, never on another plugin)
        .target(name: "SupervisedPlugin", dependencies: ["Training", "Engine"], path: "Plugins/Supervised"),
        .target(name: "UDAPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/UDA"),
        .target(name: "PseudoLabelPlugin", dependencies: ["Training", "NN", "Engine", "MedIO"], path: "Plugins/PseudoLabel"),
        .target(name: "MCDropoutPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/MCDropout"),
        .target(name: "EnsemblePlugin", dependencies: ["Training", "NN", "Engine", "Evaluation"], path: "Plugins/Ensemble"),
        .target(name: "MeanTeacherPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/MeanTeacher"),
        .target(name: "FixMatchPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/FixMatch"),
        .target(name: "CPSPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/CPS"),
        .target(name: "UAMTPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/UAMT"),
        .target(name: "BCPPlugin", dependencies: ["Training", "NN", "Engine"], path: "Plugins/BCP"),

        // MARK: - CLI
        .executableTarget(name: "semiseg", dependencies: [
            "Engine", "NN", "MedIO", "Evaluation", "Training", "Reporting",
            "SupervisedPlugin", "UDAPlugin", "PseudoLabelPlugin", "MCDropoutPlugin", "EnsemblePlugin", "MeanTeacherPlugin",
            "FixMatchPlugin", "CPSPlugin", "UAMTPlugin", "BCPPlugin",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["Engine", "Training"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Engine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MedIOTests", dependencies: ["MedIO", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "MedIO", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Engine", "NN", "TestSupport"]),
        .testTarget(name: "PluginTests", dependencies: [
            "Training", "Engine", "NN", "TestSupport",
            "SupervisedPlugin", "UDAPlugin", "PseudoLabelPlugin", "MCDropoutPlugin", "EnsemblePlugin", "MeanTeacherPlugin",
            "FixMatchPlugin", "CPSPlugin", "UAMTPlugin", "BCPPlugin",
        ]),
    ],
    swiftLanguageModes: [.v5]
)
