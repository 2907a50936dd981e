import FuzzSupport
import VitalsExposition

/// The table lives across inputs, as a target's does across scrapes.
nonisolated(unsafe) var table = SeriesTable()

/// libFuzzer calls this with each input: it is parsed as Prometheus text and as OpenMetrics, and
/// every series interned is read back. Any crash, trap or sanitizer report is a bug; mistakes in
/// the input are expected and reported.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExposition(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    for format in [ExpositionFormat.prometheus, .openMetrics] {
        var seen: [Int32] = []
        let summary = ExpositionParser(format: format).parse(bytes, into: &table) { id, _, _ in seen.append(id) }
        precondition(seen.count == summary.samples)
        for id in seen.prefix(64) {
            _ = table.name(id)
            _ = table.labels(id)
        }
    }
    // Keep the table from growing without end over a long run.
    if table.count > 100_000 { table = SeriesTable() }
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; hand the arguments to libFuzzer.
@_cdecl("FuzzExposition_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzExposition)
}
