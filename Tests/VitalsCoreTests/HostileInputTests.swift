import Foundation
import Testing
import VitalsCore
import VitalsTesting

/// Input made to crash or hang Vitals — expressions nested until the stack overflows, regular
/// expressions that backtrack exponentially, alias bombs as keys — is refused or read in bounded
/// time, with the reason and the place.
@Suite struct HostileInputTests {
    func check(expression: String) -> ClusterConfigLoader.Result {
        let yaml = """
            cluster: x
            nodes: [ { name: a, address: 127.0.0.1, services: [ { name: web, checks: [ { name: h, tcp: "127.0.0.1:1" } ] } ] } ]
            alerts:
              - name: Deep
                expr: '\(expression)'
            """
        return ClusterConfigLoader.check(text: yaml, file: "f.yaml")
    }

    static let deepExpressions: [(String, Int)] = [
        (String(repeating: "(", count: 100_000) + "node_up" + String(repeating: ")", count: 100_000), 101),
        (String(repeating: "abs(", count: 50_000) + "node_up" + String(repeating: ")", count: 50_000), 0),
        (String(repeating: "-", count: 50_000) + "node_up", 100),
        ("node_up" + String(repeating: " + 1", count: 100_000), 0),
    ]

    /// Why `text` is refused as an expression (nil when it parses), worked out off the pool:
    /// a 100,000-character expression takes a debug build seconds to read.
    static func parseError(_ text: String) async throws -> AlertExpressionError? {
        try await offThePool {
            do throws(AlertExpressionError) {
                _ = try AlertExpression(parsing: text)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test(arguments: 0..<4)
    func deepExpressionsAreRefusedWithTheirPlace(index: Int) async throws {
        // CPU-bound for a second or two in a debug build: off the cooperative pool, so the
        // servers of the tests beside it are not starved.
        let (text, _) = Self.deepExpressions[index]
        let error = try await Self.parseError(text)
        #expect(error?.message == "the expression nests deeper than 100 levels")
        #expect((error?.offset ?? 0) > 0 && (error?.offset ?? 0) < text.count)
        // Through the cluster file, with the place (a thousand levels show it as well as 100,000).
        let small = String(text.prefix(2_000))
        let result = try await offThePool { self.check(expression: small) }
        #expect(result.config == nil)
        let said = try #require(result.diagnostics.first { $0.description.contains("nests deeper") }, "\(result.diagnostics.prefix(2))")
        #expect(said.description.hasPrefix("f.yaml:5:"), "\(said.description.prefix(80))")
    }

    @Test func reasonableNestingStillParses() throws {
        let parens = String(repeating: "(", count: 40) + "node_up" + String(repeating: ")", count: 40)
        #expect(try AlertExpression(parsing: parens) == AlertExpression(parsing: "node_up"))
        _ = try AlertExpression(parsing: "node_up" + String(repeating: " + 1", count: 90))
        _ = try AlertExpression(parsing: String(repeating: "abs(", count: 90) + "node_up" + String(repeating: ")", count: 90))
    }

    /// `(a+)+b` backtracks 2ⁿ ways over n `a`s in a backtracking engine; here it reads each byte once.
    @Test func catastrophicPatternsRunInLinearTime() throws {
        let body = String(repeating: "a", count: 23)
        let regex = try LinearRegex("(a+)+b")
        #expect(!regex.matches(body))
        #expect(!regex.matches(String(repeating: "a", count: 200_000)))
        #expect(regex.matches(body + "b"))
        let whole = try LinearRegex("(a|aa)*c", whole: true)
        #expect(!whole.matches(String(repeating: "a", count: 100_000)))
        #expect(whole.matches("aaac"))
        #expect(!whole.matches("aaacx"), "a matcher takes the whole value")
        let matcher = try LabelMatcher(label: "path", kind: .matches, value: "(x+x+)+y")
        #expect(!matcher.accepts(String(repeating: "x", count: 50_000)))
    }

    @Test(arguments: [
        ("(a)\\1", "back-references are not supported"),
        ("(?=x)y", "look-around is not supported"),
        ("\\bword", "(word boundary) is not supported"),
        ("a{2,1}", "a repetition is {n}, {n,} or {n,m}"),
        ("(unclosed", "'(' is not closed"),
        ("x{1000}", "a repetition is {n}, {n,} or {n,m} with n ≤ m ≤ 100"),
        (String(repeating: "(", count: 10_000) + "a" + String(repeating: ")", count: 10_000), "groups nest deeper than 100"),
    ])
    func patternsOutsideRE2AreRefusedWithTheReason(pattern: String, reason: String) {
        #expect(throws: ByteRegex.Refusal.self) { try LinearRegex(pattern) }
        do {
            _ = try LinearRegex(pattern)
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    /// Groups and spans agree with Swift's (backtracking) Regex on patterns it runs quickly.
    @Test func capturesAndSpansAgreeWithSwiftRegex() throws {
        let cases: [(String, [String])] = [
            ("holder=([a-z]+-[0-9]+)", ["lock holder=cart-1 since 3s", "holder=", "x holder=web-22"]),
            ("(GET|POST) (/[a-z/]*)", ["GET /api/items 200", "PUT /x", "POST / then GET /b"]),
            ("([0-9]+)ms", ["took 1234ms and 5ms", "no"]),
            ("a*", ["", "baaa", "aaa"]),
            ("(?:x|xy)(z?)", ["xyz", "xz", "y"]),
            ("caf(é|e)", ["un café noir", "cafe"]),
        ]
        for (pattern, texts) in cases {
            let mine = try ByteRegex(pattern, mode: .text)
            let theirs = try Regex(pattern)
            for text in texts {
                let expected = try theirs.firstMatch(in: text)
                #expect(mine.capture(0, in: text) == expected.map { String(text[$0.range]) }, "/\(pattern)/ on \(text)")
                if mine.groupCount > 0 {
                    #expect(mine.capture(1, in: text) == expected.flatMap { $0.output[1].substring.map(String.init) }, "/\(pattern)/ group 1 on \(text)")
                }
                #expect(mine.ranges(in: text) == text.matches(of: theirs).map(\.range).filter { !$0.isEmpty }, "/\(pattern)/ spans in \(text)")
            }
        }
    }

    /// Each level of `[*a, *a, …]` multiplies the size of the key: hashing it to look for a
    /// duplicate took 11 s at 7 levels.
    @Test func anAliasAsAKeyIsRefusedAtOnce() {
        var yaml = "cluster: x\nbomb:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*l\(level - 1)"
            yaml += "  l\(level): &l\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        yaml += "  keys: { *l9 : 1, *l8 : 2 }\n"
        yaml += "nodes: []\n"
        let result = ClusterConfigLoader.check(text: yaml, file: "bomb.yaml")
        #expect(result.config == nil)
        #expect(result.diagnostics.map(\.description) == ["bomb.yaml:13:11: an alias (*l9) may not be a mapping key: write the key out"])
        let complex = ClusterConfigLoader.check(text: "cluster: x\na: &k b\nm:\n  ? *k\n  : 1\nnodes: []\n", file: "c.yaml")
        #expect(complex.diagnostics.first?.description == "c.yaml:4:5: an alias (*k) may not be a mapping key: write the key out")
    }

    @Test func aliasesAsValuesAndStarsInTextAreFine() {
        let yaml = """
            cluster: x
            defaults: &d { interval: 5s }
            nodes:
              - name: a
                address: 127.0.0.1
                services:
                  - name: web
                    checks:
                      - { name: h, tcp: "127.0.0.1:1", notes: "glob *x : y" }
                      - name: s
                        exec: [ "/bin/sh", "-c", "echo '*k : v'" ]
                        notes: |
                          *k : not a key, only text
                          ? *k
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "ok.yaml")
        #expect(!result.diagnostics.contains { $0.description.contains("alias") }, "\(result.diagnostics)")
    }

    @Test func anIntervalBelowTheFloorIsRefused() {
        let yaml = """
            cluster: x
            nodes: [ { name: a, address: 127.0.0.1, services: [ { name: web, checks: [ { name: h, tcp: "127.0.0.1:1", interval: 1ns } ] } ] } ]
            """
        let messages = ClusterConfigLoader.check(text: yaml, file: "i.yaml").diagnostics.map(\.description)
        #expect(messages.contains { $0.hasPrefix("i.yaml:2:") && $0.hasSuffix("'interval' in a check of service 'web' on node 'a' is 1ns, shorter than the shortest taken, 100ms") }, "\(messages)")
    }

    /// Opening a named pipe for reading waits for a writer: `validate` on one hung forever.
    @Test func aNamedPipeIsRefusedNotWaitedOn() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        guard case .failure(let problem) = TextFile.read(path) else {
            Issue.record("a FIFO was read")
            return
        }
        #expect(problem.diagnostic.message == "this is a named pipe (FIFO), not a file; save the text to a file and give that")
    }

    static let expressionInputs = Fixtures.files(in: ["Tests/Fixtures/fuzz-crashers-expression"])
    static let controlInputs = Fixtures.files(in: ["Tests/Fixtures/fuzz-crashers-control"])

    /// What the fuzzer (and the attacker's report) found for alert expressions, replayed: each
    /// parses or is refused with a place inside it, never traps.
    @Test(arguments: expressionInputs)
    func expressionFindingsAreAnswered(file: String) async throws {
        let text = try String(contentsOfFile: Fixtures.path(file), encoding: .utf8)
        let error = try await Self.parseError(text)
        if let error { #expect(error.offset >= 0 && error.offset <= text.count && !error.message.isEmpty) }
    }

    @Test(arguments: controlInputs)
    func controlFindingsAreAnswered(file: String) throws {
        let line = try String(contentsOfFile: Fixtures.path(file), encoding: .utf8)
        switch ControlCommand.parse(line) {
        case .success(let command): #expect(command == .ping || line.hasPrefix("ttl"))
        case .failure(let refusal): #expect(!refusal.description.contains("\u{1B}") && !refusal.description.contains("\u{07}"))
        }
    }
}
