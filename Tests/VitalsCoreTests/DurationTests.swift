import Testing
import VitalsCore

@Suite struct DurationTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("5s", .seconds(5)), ("1m", .seconds(60)), ("1m30s", .seconds(90)),
        ("2h", .seconds(7200)), ("1.5s", .milliseconds(1500)), ("250us", .microseconds(250)), ("1d", .seconds(86_400)),
    ])
    func parsesGoDurations(text: String, expected: Duration) {
        #expect(Duration(goString: text) == expected)
    }

    @Test(arguments: ["", "5", "s", "5 s", "5sec", "1m-3s", "ms500", "1e3s"])
    func rejectsBadDurations(text: String) {
        #expect(Duration(goString: text) == nil)
    }

    @Test(arguments: [
        (Duration.milliseconds(250), "250ms"), (.milliseconds(1500), "1.5s"), (.seconds(90), "1m30s"), (.seconds(3900), "1h5m"),
    ])
    func formatsShort(duration: Duration, expected: String) {
        #expect(duration.goString == expected)
    }
}

@Suite struct StatusTests {
    @Test(arguments: [
        ([Status](), Status.passing), ([.passing, .passing], .passing), ([.passing, .unknown], .unknown),
        ([.unknown, .warning], .warning), ([.warning, .critical, .passing], .critical), ([.maintenance, .passing], .passing),
    ])
    func worstWins(statuses: [Status], expected: Status) {
        #expect(Status.worst(statuses) == expected)
    }
}

@Suite struct SanitizeTests {
    @Test func controlCharactersNeverReachTheTerminal() {
        let hostile = "ok\u{1B}[2J\u{1B}]0;pwned\u{07}\r\nnext\u{9B}31m\u{202E}"
        let safe = hostile.sanitizedForTerminal
        #expect(!safe.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        #expect(safe.hasPrefix("ok\u{FFFD}[2J"))
        #expect(safe.contains("⏎next"))
    }

    @Test func plainTextIsUnchanged() {
        #expect("cart-1 passing 200 OK — ✓ 日本".sanitizedForTerminal == "cart-1 passing 200 OK — ✓ 日本")
    }
}
