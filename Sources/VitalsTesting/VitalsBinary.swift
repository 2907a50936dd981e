import Foundation

/// Which `vitals` executable the end-to-end tests drive.
///
/// Users run the release build, and optimisation changes behaviour (a copy of a C static per
/// module, say), so `scripts/test` builds it first and names it in `VITALS_BINARY`. Without that
/// variable (a plain `swift test` on a laptop) the debug build beside the tests is used.
public enum VitalsBinary {
    public static var path: String {
        if let named = ProcessInfo.processInfo.environment["VITALS_BINARY"], !named.isEmpty { return named }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vitals").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let debug = Fixtures.path(".build/debug/vitals")
        return FileManager.default.isExecutableFile(atPath: debug) ? debug : beside
    }

    /// Whether the binary under test is the release build.
    public static var isRelease: Bool { path.contains("/release/") }
}
