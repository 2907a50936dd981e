import FuzzSupport
import VitalsLogFormats

/// The TCP framer lives across inputs, as a connection's does across reads.
nonisolated(unsafe) var framer = SyslogFramer()

/// libFuzzer calls this with each input: it is parsed as one syslog datagram, fed to the TCP
/// framer in two pieces, each framed message parsed, and every text made visible. Any crash,
/// trap or sanitizer report is a bug; a message that does not parse must still come back whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyslog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let message = SyslogMessage.parse(bytes)
    let entry = message.entry
    _ = LogText.visible(entry.fullText)
    if message.parseError != nil { precondition(!message.message.isEmpty || bytes.allSatisfy { $0 == 10 || $0 == 13 || $0 == 0 }) }
    let cut = size / 2
    for piece in [Array(bytes[..<cut]), Array(bytes[cut...])] {
        for framed in framer.feed(piece) {
            precondition(framed.count <= SyslogMessage.sizeLimit || framed.count <= 10_000_000)
            _ = LogText.visible(SyslogMessage.parse(framed).entry.fullText)
        }
    }
    if framer.pending > 1_000_000 { framer = SyslogFramer() }
    _ = PlainLogLine.parse(bytes[...])
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; hand the arguments to libFuzzer.
@_cdecl("FuzzSyslog_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzSyslog)
}
