import Foundation

/// Finds the files that ship with Vitals (`sample-clusters/`, `themes/`) whether it runs from the
/// repository, from `.build/release`, or with `VITALS_HOME` pointing at an install.
enum ResourceLocator {
    /// The first existing `relative` path under VITALS_HOME, the current directory, or a parent of
    /// the executable.
    static func find(_ relative: String) -> String? {
        candidates().map { ($0 as NSString).appendingPathComponent(relative) }.first {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    private static func candidates() -> [String] {
        var roots: [String] = []
        if let home = ProcessInfo.processInfo.environment["VITALS_HOME"] { roots.append(home) }
        roots.append(FileManager.default.currentDirectoryPath)
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            roots.append(directory.path)
            directory.deleteLastPathComponent()
        }
        return roots
    }

    /// The demo cluster file.
    static var demoCluster: String? { find("sample-clusters/ecommerce.yaml") }

    /// The folder of theme files.
    static var themesDirectory: String? { find("themes") }
}
