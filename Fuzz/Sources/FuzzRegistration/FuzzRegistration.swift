import Foundation
import FuzzSupport
import VitalsCore

/// libFuzzer calls this with each input: the registration decoder must accept it or refuse it
/// with at least one reason safe to print, never trap; what it accepts must merge into a cluster.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistration(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    switch RegistrationDecoder(allowExec: size % 2 == 0).decode(text, caller: "127.0.0.1", at: Date(timeIntervalSince1970: 0)) {
    case .success(let registration):
        precondition(!registration.id.isEmpty && !registration.name.isEmpty, "accepted without an ID or a name")
        let cluster = ClusterConfig(name: "fuzz", nodes: [NodeConfig(name: "file-1", address: "127.0.0.1")]).adding([registration])
        _ = cluster.allChecks.count
    case .failure(let failure):
        precondition(!failure.diagnostics.isEmpty, "refused without a reason")
        let shown = failure.description
        precondition(!shown.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "unsafe message: \(shown)")
    }
    return 0
}

/// SwiftPM links an executable's `main` to `<module>_main`; hand the arguments to libFuzzer.
@_cdecl("FuzzRegistration_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzRegistration)
}
