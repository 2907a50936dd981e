import FuzzSupport
import VitalsLogFormats

/// libFuzzer calls this with each input: every line is read as a pushed JSON line and as a plain
/// line of a file, and the result made visible. Any crash, trap or sanitizer report is a bug; a
/// line that does not parse must keep its text and say why.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var start = 0
    while start <= bytes.count {
        let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
        let line = Array(bytes[start..<end])[...]
        let entry = JSONLogLine.parse(line)
        if entry.parseError != nil { precondition(entry.message.utf8.count >= min(line.count, 1) || line.allSatisfy { $0 == 32 || $0 == 13 }) }
        _ = LogText.visible(entry.fullText)
        _ = LogText.visible(PlainLogLine.parse(line).fullText)
        start = end + 1
    }
    _ = LogTime.milliseconds(rfc3339: Array(bytes)[...])
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; hand the arguments to libFuzzer.
@_cdecl("FuzzJSONLines_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzJSONLines)
}
