// swift-tools-version:6.0
// libFuzzer harnesses for SemiSeg's NIfTI and MSD readers (issue #8), the safetensors reader and the config,
// split.json and compare.json decoders (issue 18). Not part of the root package's build:
// scripts/fuzz.sh builds this package with `-sanitize=fuzzer,address` and runs each harness.
import Foundation
import PackageDescription

// The root package is the parent folder; its package identity is that folder's name (e.g. `semiseg`, `main`).
let rootDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let root = rootDir.lastPathComponent.lowercased()

let package = Package(
    name: "SemiSegFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        // zlib for the harnesses (gzip a share of the inputs); the root package's CNIfTI is not a product.
        .target(name: "CFuzz", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "FuzzSupport", dependencies: ["CFuzz", .product(name: "MedIO", package: root)]),
        .executableTarget(name: "FuzzNifti", dependencies: ["FuzzSupport", .product(name: "MedIO", package: root)]),
        .executableTarget(name: "FuzzMSD", dependencies: ["FuzzSupport", .product(name: "MedIO", package: root)]),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["FuzzSupport", .product(name: "NN", package: root),
                                                                  .product(name: "Engine", package: root)]),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzSupport", .product(name: "Training", package: root)]),
        .executableTarget(name: "FuzzSplit", dependencies: ["FuzzSupport", .product(name: "Training", package: root)]),
        .executableTarget(name: "FuzzCompare", dependencies: ["FuzzSupport", .product(name: "Training", package: root),
                                                               .product(name: "Experiments", package: root)]),
    ],
    swiftLanguageModes: [.v5]
)
