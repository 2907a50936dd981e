// swift-tools-version:6.1
import PackageDescription

// Every dependency is rebuilt by CI from a fresh clone, so each one has to carry real weight.
// Every target names each module it imports (the standard library's Foundation, Glibc,
// Synchronization and Testing aside), so the layers stay visible here.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Vitals",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vitals", targets: ["vitals"]),
        .executable(name: "vitals-bench", targets: ["vitals-bench"]),
        // For the libFuzzer harnesses in Fuzz/, a package of its own that fuzzes the cluster-file
        // loader and the exposition parser.
        .library(name: "VitalsCore", targets: ["VitalsCore"]),
        .library(name: "VitalsExposition", targets: ["VitalsExposition"]),
        .library(name: "VitalsLogFormats", targets: ["VitalsLogFormats"]),
    ],
    dependencies: [
        // Command-line parsing with generated --help for every subcommand.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML with source positions (line/column) for the cluster file and themes.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Sockets: HTTP/TCP probes and the simulator's HTTP servers. We use NIO's HTTP/1 codec directly
        // instead of async-http-client: probes need one request per connection with a hard deadline,
        // and dropping AHC (with its TLS/HTTP2 stack) saves minutes of CI build time.
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // SQLite for acks, silences and alert history: WAL mode, transactions and migrations that
        // survive kill -9 at any moment. It builds on the system libsqlite3 (about a minute on CI).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // TLS for https and gRPC-over-TLS checks: NIO's handler on its vendored BoringSSL. About two
        // minutes of CI build per configuration; hand-binding the system OpenSSL to NIO would be ours
        // to keep correct.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // HTTP/2 framing and HPACK for grpc checks (grpc.health.v1.Health/Check): one unary call
        // needs no more; grpc-swift and protobuf's code generator would add minutes of build for it.
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    ],
    targets: [
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        // zlib from the system, to read gzip-encoded scrapes (a few lines of C API, no package).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Signal state in one C translation unit: a `static` in a header is one copy per importing
        // module, and in a release build the handler and the run loop saw different copies.
        .target(name: "CVitalsSignals"),
        // pipe2 and posix_spawn's closefrom for exec checks: GNU extensions, so in a .c file.
        .target(name: "CVitalsProcess"),
        .target(
            name: "VitalsCore",
            dependencies: ["VitalsLogFormats", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // The Prometheus/OpenMetrics text parser and its series table: bytes in, samples out.
        .target(name: "VitalsExposition", swiftSettings: strict),
        // Log intake formats (syslog RFC 5424/3164 and TCP framing, JSON lines, plain lines): bytes in,
        // records out; standard library only, so libFuzzer can build it alone.
        .target(name: "VitalsLogFormats", swiftSettings: strict),
        .target(
            name: "VitalsEngine",
            dependencies: [
                "VitalsCore", "VitalsExposition", "VitalsLogFormats", "CZlib", "CVitalsProcess",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The HTTP API (`vitals serve`, `--listen`) and its client (`vitals attach`), on NIO's HTTP/1
        // codec like the probes. Hummingbird was measured and not taken: see docs/ARCHITECTURE.md.
        .target(
            name: "VitalsServer",
            dependencies: [
                "VitalsCore", "VitalsEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(name: "VitalsUI", dependencies: ["VitalsCore"], swiftSettings: strict),
        .target(name: "VitalsTerminal", dependencies: ["VitalsUI", "CNcursesw", "CVitalsSignals"], swiftSettings: strict),
        .target(
            name: "VitalsSim",
            dependencies: [
                "VitalsCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            swiftSettings: strict
        ),
        // Runs programs and drives tmux: shared by the tests and the benchmarks.
        .target(name: "VitalsHarness", swiftSettings: strict),
        .target(
            name: "VitalsTesting",
            dependencies: [
                "VitalsCore", "VitalsUI", "VitalsEngine", "VitalsSim", "VitalsHarness",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Measures what the issues name against a baseline in the same run; build with -c release.
        .executableTarget(
            name: "vitals-bench",
            dependencies: [
                "VitalsCore", "VitalsEngine", "VitalsServer", "VitalsSim", "VitalsUI", "VitalsTerminal", "VitalsHarness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vitals",
            dependencies: [
                "VitalsCore", "VitalsEngine", "VitalsServer", "VitalsUI", "VitalsTerminal", "VitalsSim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict,
            // The release binary links the Swift runtime and Foundation statically: the dashboard
            // then touches 27 MB instead of 32 MB of memory (the relocated pages of a dozen shared
            // libraries), and runs on a machine without the Swift toolchain.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lFoundationInternationalization", "-lFoundationEssentials", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization", "-lstdc++", "-Xlinker", "--end-group"], .when(configuration: .release))]
        ),
        .testTarget(name: "VitalsCoreTests", dependencies: ["VitalsCore", "VitalsSim", "VitalsTesting"], swiftSettings: strict),
        .testTarget(
            name: "VitalsEngineTests",
            dependencies: [
                "VitalsCore", "VitalsEngine", "VitalsSim", "VitalsTesting", "VitalsLogFormats",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VitalsUITests",
            dependencies: ["VitalsCore", "VitalsUI", "VitalsEngine", "VitalsTesting", "VitalsTerminal"],
            exclude: ["Snapshots"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VitalsServerTests",
            dependencies: [
                "VitalsCore", "VitalsEngine", "VitalsServer", "VitalsSim", "VitalsTesting",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "VitalsEndToEndTests", dependencies: ["VitalsTesting"], swiftSettings: strict),
    ]
)
