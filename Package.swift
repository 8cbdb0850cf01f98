// swift-tools-version:6.0
// Empathy Engine — a headless, biometric-reactive visual-effects renderer.
//
// Targets show the architecture: C surfaces first (system libraries and the
// C++ shim over OpenCV with a pure-C header), then Swift modules by domain,
// then the `empathy` executable, which only parses arguments.
import PackageDescription

let package = Package(
    name: "EmpathyEngine",
    products: [
        .executable(name: "empathy", targets: ["empathy"]),
        .executable(name: "neon-noir-gen", targets: ["neon-noir-gen"]),
        .executable(name: "png-tune", targets: ["png-tune"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The live page's HTTP server (Hummingbird on SwiftNIO); the other three are in its graph
        // and named only to import ServiceGroup, Logger and NIO's lock and errors directly.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        // MARK: C surfaces

        .systemLibrary(
            name: "CEGL", path: "Sources/CEGL", pkgConfig: "egl glesv2",
            providers: [.apt(["libegl-dev", "libgles-dev", "libgl1-mesa-dri"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(
            name: "CUDev", path: "Sources/CUDev", pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]),
        .systemLibrary(
            name: "CDlib", path: "Sources/CDlib", pkgConfig: "dlib-1",
            providers: [.apt(["libdlib-dev", "libblas-dev", "liblapack-dev"])]),
        // OpenCV by name rather than through pkg-config's opencv4, which lists
        // every OpenCV library (dnn, gapi, viz, …): loading ~380 shared objects
        // and resolving their symbols cost ~0.4 s at every start.
        .target(
            name: "CVShim", path: "Sources/CVShim",
            cxxSettings: [.unsafeFlags(["-O2", "-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("opencv_videoio"), .linkedLibrary("opencv_imgcodecs"),
                .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core"),
            ]),

        // SwiftPM drops the absolute library paths in dlib's .pc file, so blas
        // and lapack are named here or linking fails on cblas_dgemm.
        .target(
            name: "FaceShim", dependencies: ["CDlib"], path: "Sources/FaceShim",
            cxxSettings: [.unsafeFlags(["-O2", "-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("blas"), .linkedLibrary("lapack"),
                .linkedLibrary("opencv_dnn"), .linkedLibrary("opencv_objdetect"), .linkedLibrary("opencv_imgproc"),
                .linkedLibrary("opencv_core"),
            ]),

        // OpenEXRCore (OpenEXR 3's C library) behind a one-call writer; only
        // the C library and zlib are linked, not OpenEXR's C++ siblings.
        .target(
            name: "EXRShim", path: "Sources/EXRShim",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("OpenEXRCore-3_1"), .linkedLibrary("z")]),

        // MARK: Swift modules by domain, in data-flow order
        // decode/encode ← face analysis ← biometrics and fusion (the track) ←
        // passes ← the jobs that run them; each depends only on what comes before.
        .target(name: "EmpathyCore"),
        .target(name: "Footage", dependencies: ["EmpathyCore", "CVShim"]),
        .target(name: "ImageSequence", dependencies: ["EmpathyCore", "CPNG", "CDeflate", "EXRShim"]),
        .target(
            name: "FaceAnalysis",
            dependencies: ["EmpathyCore", "FaceShim"]),
        .target(name: "Biometrics", dependencies: ["EmpathyCore", "CUDev"]),
        .target(name: "Fusion", dependencies: ["FaceAnalysis", "Biometrics", "EmpathyCore"]),
        // Markers found in the track and their export for editing tools.
        .target(name: "Review", dependencies: ["EmpathyCore", "Biometrics", "Fusion"]),
        .target(name: "Grading", dependencies: ["EmpathyCore"]),
        .target(name: "Rendering", dependencies: ["EmpathyCore", "CEGL"]),
        .target(name: "Effects", dependencies: ["EmpathyCore", "Grading", "Rendering", "CEGL"]),
        .target(
            name: "LiveServer",
            dependencies: [
                "EmpathyCore", "CVShim",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "Pipeline",
            dependencies: ["EmpathyCore", "Footage", "ImageSequence", "FaceAnalysis", "Biometrics", "Fusion", "Review",
                           "Grading", "Rendering", "Effects"]),

        // MARK: Executables
        .executableTarget(
            name: "empathy",
            dependencies: [
                "Pipeline", "EmpathyCore", "Footage", "Grading", "ImageSequence", "Biometrics", "FaceAnalysis", "Fusion", "Effects",
                "LiveServer", "Review", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "neon-noir-gen",
            dependencies: ["Grading", "ImageSequence", "Footage", "EmpathyCore"]),
        .executableTarget(name: "png-tune", dependencies: ["ImageSequence", "EmpathyCore"]),
        .executableTarget(name: "render-bench", dependencies: ["Pipeline", "Effects", "Footage", "EmpathyCore"]),
        // libFuzzer targets for every parser of a user's bytes (scripts/fuzz.sh
        // builds them instrumented; the plain build replays corpora in tests).
        .target(name: "CFuzzer", path: "Sources/CFuzzer"),
        .executableTarget(
            name: "empathy-fuzz",
            dependencies: ["CFuzzer", "EmpathyCore", "Grading", "Biometrics", "FaceAnalysis", "Fusion", "Effects", "ImageSequence"],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer", "-use-ld=lld"])]),

        // MARK: Tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "FootageTests", dependencies: ["Footage", "EmpathyCore", "TestSupport"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "EmpathyCore"]),
        .testTarget(
            name: "RenderingTests",
            dependencies: ["Rendering", "EmpathyCore"]),
        .testTarget(name: "ImageSequenceTests", dependencies: ["ImageSequence", "EmpathyCore", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "EmpathyCore", "ImageSequence"]),
        .testTarget(name: "BiometricsTests", dependencies: ["Biometrics", "EmpathyCore", "ImageSequence", "TestSupport"]),
        .testTarget(
            name: "FusionTests",
            dependencies: ["Fusion", "FaceAnalysis", "Biometrics", "Effects", "Rendering", "EmpathyCore", "empathy", "TestSupport"]),
        .testTarget(
            name: "FaceAnalysisTests",
            dependencies: ["FaceAnalysis", "FaceShim", "Fusion", "Pipeline", "Footage", "ImageSequence", "EmpathyCore", "empathy",
                           "TestSupport"],
            exclude: ["Reference"]),
        .testTarget(
            name: "EffectsTests",
            dependencies: ["Effects", "Pipeline", "Rendering", "Grading", "Footage", "ImageSequence", "EmpathyCore"],
            exclude: ["Goldens"]),
        .testTarget(name: "ReviewTests", dependencies: ["Review", "Fusion", "EmpathyCore", "TestSupport", "empathy"]),
        .testTarget(name: "CLITests", dependencies: ["empathy", "EmpathyCore", "Grading", "ImageSequence", "Pipeline", "TestSupport"]),
    ],
    cxxLanguageStandard: .cxx17
)
