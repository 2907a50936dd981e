import Foundation
import Testing
import VitalsCore
import VitalsTesting

/// Replays the log readers' seed inputs and every input their fuzzers ever found: each is read
/// as a syslog datagram, as a TCP stream, and line by line as JSON and plain lines, without a
/// trap, and a line that does not parse keeps its text.
@Suite struct LogFuzzRegressionTests {
    static let folders = ["Tests/Fixtures/logs/syslog", "Tests/Fixtures/logs/jsonlines", "Tests/Fixtures/fuzz-crashers-logs"]

    static var inputs: [String] {
        Fixtures.files(in: folders)
    }

    @Test(arguments: inputs)
    func theReadersAnswerEveryInput(file: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(file))))
        let message = SyslogMessage.parse(bytes)
        #expect(message.parseError == nil || !message.message.isEmpty)
        var framer = SyslogFramer()
        let framed = framer.feed(bytes)
        #expect(framed.allSatisfy { !$0.isEmpty })
        for line in bytes.split(separator: 10) {
            let entry = JSONLogLine.parse(line)
            #expect(entry.parseError == nil || !entry.message.isEmpty)
            #expect(!LogText.visible(PlainLogLine.parse(line).fullText).unicodeScalars.contains { $0.value < 0x20 })
        }
    }

    @Test func theSeedsReadAsIntended() throws {
        let stream = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("Tests/Fixtures/logs/syslog/tcp-stream.txt"))))
        var framer = SyslogFramer()
        let messages = framer.feed(stream).map { SyslogMessage.parse($0) }
        #expect(messages.map(\.message) == ["octet counted line", "newline framed"])
        let lines = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("Tests/Fixtures/logs/jsonlines/lines.txt")))).split(separator: 10)
        let entries = lines.map { PlainLogLine.parse($0) }
        #expect(entries.map(\.level) == [.error, .warning, .warning])
        #expect(entries[0].fields.last?.value == #"{"id":[1,2,{"x":"\u00e9\ud83d\ude00"}]}"#)
        #expect(entries.allSatisfy { $0.parseError == nil })
    }
}
