// swift-tools-version:6.1
import Foundation
import PackageDescription

// A package's identity is its folder's name, which differs between checkouts ("main", a CI clone).
let vitals = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// libFuzzer harnesses for the cluster-file loader, the registration decoder, alert expressions, control-socket lines, the exposition parser, and the syslog and JSON-lines readers. Not part of the main build: `Fuzz/run` builds it
// with -sanitize=fuzzer and runs it; crashers found are kept in Tests/Fixtures/fuzz-crashers and
// replayed by the core tests.
let package = Package(
    name: "VitalsFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        // The bridge from a harness's own `main` to libFuzzer's driver, shared by the harnesses.
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzClusterFile",
            dependencies: ["FuzzSupport", .product(name: "VitalsCore", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzSyslog",
            dependencies: ["FuzzSupport", .product(name: "VitalsLogFormats", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzJSONLines",
            dependencies: ["FuzzSupport", .product(name: "VitalsLogFormats", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzRegistration",
            dependencies: ["FuzzSupport", .product(name: "VitalsCore", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzAlertExpression",
            dependencies: ["FuzzSupport", .product(name: "VitalsCore", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzControl",
            dependencies: ["FuzzSupport", .product(name: "VitalsCore", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .executableTarget(
            name: "FuzzExposition",
            dependencies: ["FuzzSupport", .product(name: "VitalsExposition", package: vitals)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
