import Testing
import VitalsCore
import VitalsLogFormats

/// JSON lines, plain lines, times and the text made visible: what every intake reads.
@Suite struct LogLinesTests {
    private func json(_ text: String) -> LogEntry { JSONLogLine.parse(Array(text.utf8)[...]) }
    private func plain(_ text: String) -> LogEntry { PlainLogLine.parse(Array(text.utf8)[...]) }

    @Test func jsonLineWithKnownAndFreeFields() {
        let entry = json(#"{"time":"2026-11-30T10:00:01.250Z","node":"orders-1","service":"orders","level":"error","message":"db timeout","attempt":3,"trace":{"id":"ab"}}"#)
        #expect(entry.time == 1_796_032_801_250)
        #expect(entry.node == "orders-1")
        #expect(entry.service == "orders")
        #expect(entry.level == .error)
        #expect(entry.message == "db timeout")
        #expect(entry.fields == [.init("attempt", "3"), .init("trace", #"{"id":"ab"}"#)])
        #expect(entry.fullText == #"db timeout attempt=3 trace={"id":"ab"}"#)
        #expect(entry.parseError == nil)
    }

    @Test func jsonSpellingsEscapesAndEpochTimes() {
        let entry = json(#"{"ts": 1796032801.5, "msg": "caf\u00e9 \ud83d\ude00 \"q\"\n", "severity": "WARNING", "host": "web-1"}"#)
        #expect(entry.time == 1_796_032_801_500)
        #expect(entry.message == "café 😀 \"q\"\n")
        #expect(entry.level == .warning)
        #expect(entry.host == "web-1")
        #expect(json(#"{"time": 1796032801500, "message": "x"}"#).time == 1_796_032_801_500)
    }

    @Test func badJSONIsKeptRawWithItsReason() {
        for (text, reason) in [
            ("not json", "not a JSON object"), (#"{"message": "x""#, "not closed"), (#"{"message": "x",}"#, "expected a quoted key"),
            (#"{"message": tru}"#, "unexpected character"), (#"{"a": 1} trailing"#, "text after the object"),
            (#"{"level": "info"}"#, "no \"message\" field"), (String(repeating: "[", count: 100_000), "not a JSON object"),
            (#"{"a": "# + String(repeating: "[", count: 1_000) + "}", "nested too deep"),
        ] {
            let entry = json(text)
            #expect(entry.parseError?.contains(reason) == true, "\(text.prefix(40)): \(entry.parseError ?? "parsed")")
            #expect(entry.message == String(text.prefix(JSONLogLine.sizeLimit)))
        }
    }

    @Test func oversizedLinesAreCutAndMarked() {
        let long = #"{"message": ""# + String(repeating: "x", count: 100_000) + #""}"#
        let entry = json(long)
        #expect(entry.isTruncated)
        #expect(entry.parseError != nil)  // the cut line no longer closes
        #expect(entry.message.utf8.count == JSONLogLine.sizeLimit)
    }

    @Test func plainLinesGiveTimeLevelAndService() {
        let entry = plain("2026-11-30T10:00:01.123+01:00 ERROR orders: request failed: db timeout")
        #expect(entry.time == 1_796_029_201_123)
        #expect(entry.level == .error)
        #expect(entry.service == "orders")
        #expect(entry.message == "request failed: db timeout")
        #expect(plain("[warn] disk almost full").level == .warning)
        #expect(plain("level=error msg=boom").level == .error)
        #expect(plain("I am a line").level == .info)  // a single letter is not a level
        #expect(plain("just text: with a colon later").service == nil)  // "just text" has a space
        #expect(plain(#"{"message":"from json","level":"crit"}"#).level == .critical)
        #expect(plain("2026-13-01T00:00:00Z x").time == nil)
    }

    @Test func timesReadAsRFC3339() {
        #expect(LogTime.milliseconds(rfc3339: Array("1970-01-01T00:00:00Z".utf8)[...]) == 0)
        #expect(LogTime.milliseconds(rfc3339: Array("2000-02-29 12:00:00.5".utf8)[...]) == 951_825_600_500)
        #expect(LogTime.milliseconds(rfc3339: Array("2026-11-30T10:00:00-05:30".utf8)[...]) == 1_796_052_600_000)
        #expect(LogTime.milliseconds(rfc3339: Array("Nov 30 10:00:00".utf8)[...]) == nil)
    }

    @Test func syslogMessagesBecomeEntries() {
        let message = SyslogMessage.parse(Array("<11>1 2026-11-30T10:00:00.000Z orders-1 orders 42 - - boom".utf8))
        let entry = message.entry
        #expect(entry.level == .error)
        #expect(entry.host == "orders-1")
        #expect(entry.service == "orders")
        #expect(entry.time == 1_796_032_800_000)
    }

    @Test func controlsEscapesAndDirectionOverridesBecomeVisible() {
        #expect(LogText.visible("\u{1B}]2;pwned\u{07}") == "␛]2;pwned␇")
        #expect(LogText.visible("\u{1B}[2J\u{1B}[H") == "␛[2J␛[H")
        #expect(LogText.visible("abc\u{202E}fed") == "abc⟦U+202E⟧fed")
        #expect(LogText.visible("a\u{9B}31m") == "a\\u{9b}31m")
        #expect(LogText.visible("tab\there\r\n") == "tab here␍␊")
        #expect(LogText.visible("plain 日本語 é") == "plain 日本語 é")
        #expect(LogText.decode([0x61, 0xFF, 0x62][...]) == "a\\xffb")
    }
}
