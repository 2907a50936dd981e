import Foundation
import Testing
import VitalsUI

/// Compares a rendered screen with a text file kept next to the test (`Snapshots/NAME.txt`), the
/// way ratatui's TestBackend and swift-argument-parser's snapshot tests do.
///
/// Set `VITALS_RECORD=1` to write the files anew, then review the diff. A missing file is written
/// and the test fails, so a snapshot is never accepted unseen.
public enum ScreenSnapshot {
    public static func check(_ screen: Screen, named name: String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) {
        compare(screen.text + "\n", named: name, filePath: filePath, sourceLocation: sourceLocation)
    }

    /// Compares the text and, below it, the styles: a letter per cell naming its style, and a
    /// legend saying what each letter is as `describe` tells it (the colours a terminal of some
    /// depth is sent, say).
    public static func checkStyled(
        _ screen: Screen, named name: String, describe: (Style) -> String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let codes = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var letters: [String: Character] = [:]
        var legend: [String] = []
        var grid = ""
        for y in 0..<screen.height {
            for x in 0..<screen.width {
                let described = describe(screen[x, y].style)
                if letters[described] == nil {
                    let code = letters.count < codes.count ? codes[letters.count] : "?"
                    letters[described] = code
                    legend.append("\(code): \(described)")
                }
                grid.append(letters[described]!)
            }
            grid.append("\n")
        }
        compare(screen.text + "\n--- styles ---\n" + grid + legend.joined(separator: "\n") + "\n", named: name, filePath: filePath, sourceLocation: sourceLocation)
    }

    private static func compare(_ actual: String, named name: String, filePath: String, sourceLocation: SourceLocation) {
        let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
        let file = directory.appendingPathComponent("\(name).txt")
        let recording = ProcessInfo.processInfo.environment["VITALS_RECORD"] == "1"
        guard !recording, let expected = try? String(contentsOf: file, encoding: .utf8) else {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("recorded \(file.path); review it and run again", sourceLocation: sourceLocation)
            return
        }
        guard expected != actual else { return }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var report: [String] = []
        for index in 0..<max(expectedLines.count, actualLines.count) {
            let e = index < expectedLines.count ? String(expectedLines[index]) : "<none>"
            let a = index < actualLines.count ? String(actualLines[index]) : "<none>"
            guard e != a else { continue }
            let column = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
            report.append("line \(index + 1), column \(column + 1):\n  expected: \(e)\n  actual:   \(a)")
        }
        let details: String = Array(report.prefix(8)).joined(separator: "\n")
        Issue.record("screen differs from \(file.lastPathComponent) (VITALS_RECORD=1 re-records):\n\(details)", sourceLocation: sourceLocation)
    }
}
