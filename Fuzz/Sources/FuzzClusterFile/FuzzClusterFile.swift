import VitalsCore

/// libFuzzer calls this with each input: the loader must return diagnostics or a config, never
/// trap, and every message must be safe to print.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = ClusterConfigLoader.check(text: text, file: "fuzz.yaml")
    for diagnostic in result.diagnostics {
        let shown = diagnostic.description
        precondition(!shown.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "unsafe diagnostic: \(shown)")
    }
    if let config = result.config {
        // Whatever loads must be usable: its layout and a first snapshot.
        _ = config.allChecks.count
        _ = ClusterSnapshot.empty(cluster: config.name).textReport
    }
    return 0
}
