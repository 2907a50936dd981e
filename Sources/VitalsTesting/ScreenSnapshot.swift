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
        let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
        let file = directory.appendingPathComponent("\(name).txt")
        let actual = screen.text + "\n"
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
