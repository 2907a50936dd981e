import ArgumentParser
import Foundation
import VitalsCore

/// Writes the files compiled into the binary — the sample clusters and the themes — to a folder,
/// to read, edit and run (`vitals DIR/sample-clusters/ecommerce.yaml`).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the sample clusters and themes built into vitals to a folder.",
        discussion: "Files already there are left alone unless --force is given."
    )

    @Option(help: "The folder to write into (made if missing).")
    var write: String

    @Flag(help: "Replace files that are already there.")
    var force = false

    func run() throws {
        var written = 0
        for (relative, text) in BundledFiles.files.sorted(by: { $0.key < $1.key }) {
            let path = (write as NSString).appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: path), !force {
                Output.error("vitals demo: \(path) is there already; left alone (--force replaces it)")
                continue
            }
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
                written += 1
                print(path)
            } catch {
                Output.error("vitals demo: cannot write \(path): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        if written > 0 { Output.error("run the demo from them with: vitals \((write as NSString).appendingPathComponent("sample-clusters/ecommerce.yaml"))") }
    }
}
