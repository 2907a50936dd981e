import FuzzSupport
import VitalsCore

/// libFuzzer calls this with each input: the loader must return diagnostics or a config, never
/// trap, and every message must be safe to print.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = ClusterConfigLoader.check(text: text, file: "fuzz.yaml")
    for diagnostic in result.diagnostics {
        let shown = diagnostic.description
        precondition(!shown.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "unsafe diagnostic: \(shown)")
    }
    if let config = result.config {
        // Whatever loads must be usable: every check listed, a report printable.
        _ = config.allChecks.count
        _ = ClusterSnapshot.empty(cluster: config.name).textReport
    }
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; hand the arguments to libFuzzer.
@_cdecl("FuzzClusterFile_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzClusterFile)
}
