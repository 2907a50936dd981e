import Foundation
import FuzzSupport
import VitalsCore

/// libFuzzer calls this with each input: an alert expression must parse or be refused with a
/// place inside it and a message safe to print, never trap or overflow the stack; one that
/// parses must evaluate against an empty set of series.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAlertExpression(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let expression = try AlertExpression(parsing: text)
        _ = expression.evaluate(Samples())
        _ = expression.names
    } catch {
        precondition(error.offset >= 0 && error.offset <= text.count, "offset \(error.offset) outside \(text.count) characters")
        precondition(!error.message.isEmpty, "refused without a reason")
    }
    return 0
}

/// A few series of every kind, so matchers, aggregations and functions have something to read.
struct Samples: AlertSeriesSource {
    func samples(named name: String) -> [AlertSample] {
        [AlertSample(labels: AlertLabels(["node": "a", "service": "web", "code": "500"]), value: 1),
         AlertSample(labels: AlertLabels(["node": "b", "service": "web"]), value: .nan)]
    }
    func range(_ function: String, of name: String, over window: Duration) -> [AlertSample] { samples(named: name) }
}

@_cdecl("FuzzAlertExpression_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzAlertExpression)
}
