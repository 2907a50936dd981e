import Foundation
import FuzzSupport
import VitalsCore

/// libFuzzer calls this with each input: a control-socket line is a command or a refusal whose
/// words are safe to print; a heartbeat's note is bounded and safe to show.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControl(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let line = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    func safe(_ text: String) -> Bool { !text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B } }
    switch ControlCommand.parse(line) {
    case .success(.ping):
        precondition(line.split(separator: " ") == ["ping"], "ping from \(line.debugDescription)")
    case .success(.ttl(_, let check, let note)):
        precondition(!check.isEmpty && !check.contains(" "), "check '\(check)'")
        precondition(note.count <= ControlCommand.noteLimit * 4 && safe(note), "unsafe or long note")
    case .failure(let refusal):
        precondition(!refusal.description.isEmpty && safe(refusal.description), "unsafe refusal")
    }
    return 0
}

@_cdecl("FuzzControl_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzControl)
}
