import Foundation
import Testing
import VitalsTesting

/// The e-commerce demo's file, written for a test on addresses of its own (127.0.`range`.x, its
/// added instances on the next /24) and without the fixed log ports, so it can run while another
/// test runs the demo on 127.0.1.x; `policies` (when given) replace its scaling block.
enum DemoFile {
    static func write(in folder: String, range: Int = 9, policies: String? = nil) throws -> String {
        var demo = try String(contentsOfFile: Fixtures.path("sample-clusters/ecommerce.yaml"), encoding: .utf8)
        if let policies {
            let start = try #require(demo.range(of: "\nscaling:\n"))
            let end = try #require(demo.range(of: "\n# Logs sent to Vitals", range: start.upperBound..<demo.endIndex))
            demo.replaceSubrange(start.lowerBound..<end.lowerBound, with: "\nscaling:\n" + policies)
        }
        let own = demo.replacingOccurrences(of: "127.0.1.", with: "127.0.\(range).")
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("log_intake:") }.joined(separator: "\n")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = "\(folder)/demo-\(range).yaml"
        try own.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}
