import Testing
import VitalsLogFormats

/// Syslog as the real `logger` (bsdutils) writes it — the lines below were captured from
/// `logger -n HOST -P PORT -d --rfc5424 / --rfc3164` — and as it goes wrong.
@Suite struct SyslogMessageTests {
    @Test func rfc5424FromLogger() throws {
        let message = SyslogMessage.parse(Array(#"<131>1 2026-11-30T20:40:23.481097+00:00 vm orders - - [timeQuality tzKnown="1" isSynced="0"] payment timeout: upstream postgres"#.utf8))
        #expect(message.parseError == nil)
        #expect(message.facility == 16 && message.severity == .error)
        #expect(message.timestamp == "2026-11-30T20:40:23.481097+00:00" && message.hostname == "vm" && message.appName == "orders")
        #expect(message.procID == nil && message.msgID == nil)
        #expect(message.structuredData == #"[timeQuality tzKnown="1" isSynced="0"]"#)
        #expect(message.message == "payment timeout: upstream postgres")
        let withPid = SyslogMessage.parse(Array("<13>1 2026-11-30T20:40:23.485136+00:00 vm web 4242 - - GET / 200".utf8))
        #expect(withPid.procID == "4242" && withPid.structuredData == nil && withPid.message == "GET / 200" && withPid.severity == .notice)
    }

    @Test func rfc3164FromLogger() throws {
        let message = SyslogMessage.parse(Array("<12>Nov 30 20:40:23 vm cart: cache miss storm".utf8))
        #expect(message.parseError == nil)
        #expect(message.facility == 1 && message.severity == .warning && message.severity?.word == "WARN")
        #expect(message.timestamp == "Nov 30 20:40:23" && message.hostname == "vm" && message.appName == "cart")
        #expect(message.message == "cache miss storm")
        let withPid = SyslogMessage.parse(Array("<30>Dec  1 09:00:01 db-1 postgres[812]: checkpoint complete".utf8))
        #expect(withPid.appName == "postgres" && withPid.procID == "812" && withPid.message == "checkpoint complete")
    }

    @Test(arguments: [
        ("no priority at all", "no <priority> at the start"),
        ("<999>1 2026 h a - - - x", "no <priority> at the start"),
        ("<13>garbage without a date", "no RFC 3164 timestamp"),
        ("<13>1 2026-11-30T00:00:00Z h a p m [unclosed k=\"v", "structured data is not closed"),
    ])
    func malformedMessagesAreKeptRawWithAReason(text: String, reason: String) {
        let message = SyslogMessage.parse(Array(text.utf8))
        #expect(message.parseError == reason)
        #expect(!message.message.isEmpty, "kept, never dropped")
    }

    @Test func invalidUTF8IsEscapedAndOversizedMessagesCut() {
        let odd = SyslogMessage.parse(Array("<13>1 - h a - - - bad ".utf8) + [0xFF, 0xFE] + Array(" end".utf8))
        #expect(odd.message == "bad \\xff\\xfe end")
        let huge = SyslogMessage.parse(Array("<13>1 - h a - - - ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000))
        #expect(huge.isTruncated && huge.message.utf8.count < SyslogMessage.sizeLimit)
    }

    @Test func tcpFramingByOctetCountingAndByNewline() {
        var framer = SyslogFramer()
        let first = "<13>1 - h a - - - one"
        var stream = Array("\(first.utf8.count) \(first)".utf8)
        stream += Array("<13>Nov 30 20:40:23 vm cart: two\n".utf8)
        let third = "<13>1 - h a - - - three\nwith a newline inside"
        stream += Array("\(third.utf8.count) \(third)".utf8)
        // Delivered in awkward pieces.
        var messages: [[UInt8]] = []
        for chunk in stride(from: 0, to: stream.count, by: 7) { messages += framer.feed(Array(stream[chunk..<min(stream.count, chunk + 7)])) }
        #expect(messages.map { String(decoding: $0, as: UTF8.self) } == [first, "<13>Nov 30 20:40:23 vm cart: two", third])
        #expect(framer.pending == 0)
    }
}
