import Foundation
import VitalsTesting

/// Runs the real curl (10 s at most); returns the status code (0 when nothing answered) and the body.
func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
    let result = try Run.process("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"] + arguments, timeout: 20)
    var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let status = Int(lines.popLast() ?? "") ?? 0
    return (status, lines.joined(separator: "\n"))
}
