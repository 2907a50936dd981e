import Foundation

/// Where the `vitals` executable built alongside the tests is.
public enum VitalsBinary {
    public static var path: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("vitals").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        for configuration in ["debug", "release"] {
            let candidate = Fixtures.path(".build/\(configuration)/vitals")
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return beside
    }
}
