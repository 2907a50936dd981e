import VitalsExposition

/// libFuzzer entry point: every input is parsed as Prometheus text and as OpenMetrics, into a
/// table that lives across inputs (as a scrape's does across scrapes), and every series interned
/// is read back. Any crash, trap or sanitizer report is a bug; errors in the input are expected.
nonisolated(unsafe) var table = SeriesTable()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
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
