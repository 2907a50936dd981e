import Foundation
import VitalsCore
import VitalsUI

/// Finds the files that ship with Vitals (`sample-clusters/`, `themes/`) whether it runs from the
/// repository, from `.build/release`, with `VITALS_HOME` pointing at an install — or from any
/// folder at all, with the copies compiled into the binary.
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

    /// The demo cluster file: on disk when there is one (the repository, VITALS_HOME), else the
    /// copy compiled into the binary, written out to the cache folder.
    static var demoCluster: String? { find("sample-clusters/ecommerce.yaml") ?? materialized("sample-clusters/ecommerce.yaml") }

    /// The folder of theme files on disk, if any (the bundled themes need none).
    static var themesDirectory: String? { find("themes") }

    /// The user's own themes: `$XDG_CONFIG_HOME/vitals/themes` (~/.config/vitals/themes).
    static var userThemesDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/vitals/themes"
    }

    /// Writes the bundled file `relative` under `$XDG_CACHE_HOME/vitals/bundled` (again only when
    /// it differs) and returns its path: loaders and `r` read files by path.
    static func materialized(_ relative: String) -> String? {
        guard let text = BundledFiles.files[relative] else { return nil }
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        let path = base + "/vitals/bundled/" + relative
        let content = text + "\n"
        if (try? String(contentsOfFile: path, encoding: .utf8)) != content {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard (try? content.write(toFile: path, atomically: true, encoding: .utf8)) != nil else { return nil }
        }
        return path
    }

    /// Every theme: the bundled ones, then the themes folder on disk, then the user's, a later
    /// one of the same name replacing an earlier; with the problems of files that did not load.
    static func allThemes() -> (themes: [Theme], failures: [ValidationFailure]) {
        var byName: [String: Theme] = [:]
        var failures: [ValidationFailure] = []
        for (path, text) in BundledFiles.files.sorted(by: { $0.key < $1.key }) where path.hasPrefix("themes/") {
            if let theme = try? ThemeLoader.parse(text + "\n", file: path + " (built in)") { byName[theme.name] = theme }
        }
        for directory in [themesDirectory, userThemesDirectory].compactMap({ $0 }) where FileManager.default.fileExists(atPath: directory) {
            let (themes, problems) = ThemeLoader.loadAll(directory: directory)
            for theme in themes { byName[theme.name] = theme }
            failures += problems
        }
        return (byName.values.sorted { $0.name < $1.name }, failures)
    }
}
