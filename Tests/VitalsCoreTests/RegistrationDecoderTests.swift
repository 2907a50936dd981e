import Foundation
import Testing
import VitalsSim
import VitalsTesting
@testable import VitalsCore

/// The body of `PUT /v1/agent/service/register`, read as Consul reads it and checked with the
/// cluster file's rules.
@Suite struct RegistrationDecoderTests {
    let time = Date(timeIntervalSince1970: 1_800_000_000)

    func decode(_ body: String, allowExec: Bool = false) -> Result<Registration, RegistrationDecoder.Failure> {
        RegistrationDecoder(allowExec: allowExec).decode(body, caller: "127.0.0.9", at: time)
    }

    func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: Fixtures.path("Tests/Fixtures/consul/\(name)"), encoding: .utf8)
    }

    @Test func consulsSamplePayloadIsReadWhenScriptChecksAreAllowed() throws {
        let registration = try decode(fixture("register-redis.json"), allowExec: true).get()
        #expect(registration.id == "redis1")
        #expect(registration.name == "redis")
        #expect(registration.tags == ["primary", "v1"])
        #expect(registration.port == 8000)
        #expect(registration.meta == ["redis_version": "4.0"])
        #expect(registration.by == "127.0.0.9")
        let check = try #require(registration.checks.first)
        #expect(check.id == "service:redis1")
        #expect(check.consulName == "Service 'redis' check")
        #expect(check.config.target == .exec(argv: ["/usr/local/bin/check_redis.py"]))
        #expect(check.config.interval == .seconds(10))
        #expect(check.config.timeout == .seconds(5))
        #expect(check.config.deregisterCriticalAfter == .seconds(90 * 60))
    }

    @Test func scriptChecksAreRefusedUnlessTheFileAllowsThem() throws {
        guard case .failure(let failure) = decode(try fixture("register-redis.json")) else {
            Issue.record("an Args check was accepted without allow_api_exec_checks")
            return
        }
        #expect(failure.code == "invalid_registration")
        #expect(failure.description == "request body:13:5: 'Args' (a program Vitals would run) is refused: the cluster file does not say allow_api_exec_checks: true")
    }

    @Test func everyCheckKindAndItsFieldsAreRead() throws {
        let registration = try decode(fixture("register-web-checks.json")).get()
        #expect(registration.checks.map(\.id) == ["service:web-1:1", "web-1-port", "service:web-1:3"])
        #expect(registration.checks.map(\.config.name) == ["http", "port", "heartbeat"])
        let http = registration.checks[0]
        #expect(http.consulName == "HTTP API on port 8080")
        #expect(http.notes == "Checks the API answers")
        #expect(http.config.method == "POST")
        #expect(http.config.headers == ["Content-Type": "application/json", "X-Probe": "a, b"])
        #expect(http.config.requestBody == "{\"method\":\"health\"}")
        #expect(http.config.successBeforePassing == 2)
        #expect(http.config.failuresBeforeCritical == 3)
        #expect(registration.checks[1].config.target == .tcp(host: "127.0.0.1", port: 8080))
        #expect(registration.checks[2].config.target == .ttl(.seconds(30)))
        #expect(registration.checks[2].config.initialStatus == .passing)
    }

    /// python-consul writes its keys in lower case and leaves the address out.
    @Test func keysInAnyCaseAndTheCallersAddress() throws {
        let registration = try decode(#"{"name": "api", "id": "api-7", "port": 9000, "tags": ["x"], "check": {"ttl": "10s"}}"#).get()
        #expect(registration.id == "api-7")
        #expect(registration.address == "127.0.0.9")
        #expect(registration.checks.map(\.config.target) == [.ttl(.seconds(10))])
        let snake = try decode(#"{"Name": "db", "Check": {"tcp": "127.0.0.1:5432", "deregister_critical_service_after": "1m"}}"#).get()
        #expect(snake.id == "db")
        #expect(snake.checks.first?.config.deregisterCriticalAfter == .seconds(60))
    }

    @Test(arguments: [
        (#"{"Name": "web", "Chek": {"TTL": "10s"}}"#, "unknown_field", "request body:1:17: unknown field 'Chek' in the registration; did you mean 'Check'?"),
        (#"{"Name": "web", "Check": {"HTTP": "http://x/", "Intervall": "1s"}}"#, "unknown_field",
         "request body:1:48: unknown field 'Intervall' in a check of service 'web' (ID 'web'); did you mean 'Interval'?"),
        (#"{"Name": "web", "Port": "80"}"#, "invalid_registration", "request body:1:25: 'Port' in the registration must be a whole number from 0 to 65535"),
        (#"{"Name": "web", "Tags": "a"}"#, "invalid_registration", "request body:1:25: 'Tags' in the registration must be a list of strings"),
        (#"{"Name": 7}"#, "invalid_registration", "request body:1:10: 'Name' in the registration must be a string"),
        (#"{"Port": 80}"#, "invalid_registration", "request body:1:1: the registration has no 'Name': name the service, like {\"Name\": \"web\"}"),
        (#"{"Name": "web", "ID": "a/b"}"#, "invalid_registration", "request body:1:23: 'ID' may not contain '/' ('a/b')"),
        (#"{"Name": "web", "Check": {"HTTP": "ftp://x"}}"#, "invalid_registration",
         "request body:1:35: check 'http' of service 'web' (ID 'web'): 'ftp://x' is not an http:// or https:// URL with a host"),
        (#"{"Name": "web", "Check": {"HTTP": "http://x/", "TTL": "5s"}}"#, "invalid_registration",
         "request body:1:48: check 'http' of service 'web' (ID 'web') has more than one target (http, ttl): give exactly one"),
        (#"{"Name": "web", "Check": {"Interval": "5s"}}"#, "invalid_registration",
         "request body:1:26: check 'check' of service 'web' (ID 'web') has no target: give one of 'http' (a URL), 'tcp' (host:port), 'exec' (a program and its arguments), 'grpc' (host:port), 'dns' (a name) or 'ttl' (a duration)"),
        (#"{"Name": "web", "Check": {"TCP": "x:1", "Interval": "soon"}}"#, "invalid_registration", "request body:1:53: bad duration 'soon' for 'interval' in a check of service 'web' (ID 'web'): use a number and a unit (ms, s, m, h), like 500ms or 5s"),
        (#"{"Name": "web", "Check": {"Script": "/bin/true"}}"#, "invalid_registration", "request body:1:27: 'Script' in a check of service 'web' (ID 'web') is not accepted: give the program and its arguments as 'Args'"),
        (#"{"Name": "web", "Connect": {"Native": true}}"#, "invalid_registration", "request body:1:17: 'Connect' is not accepted: Connect is not supported"),
        (#"{"Name": "web""#, "bad_json", ""),
        (#"["web"]"#, "bad_json", "request body:1:1: the body must be a JSON object, like {\"Name\": \"web\", \"Port\": 8080}"),
        ("Name: web", "bad_json", ""),
    ])
    func mistakesAreNamedWithTheirPlace(body: String, code: String, message: String) {
        guard case .failure(let failure) = decode(body) else {
            Issue.record("accepted: \(body)")
            return
        }
        #expect(failure.code == code)
        if message.isEmpty {
            #expect(failure.description.hasPrefix("request body:1:1: the body is not valid JSON ("))
        } else {
            #expect(failure.description == message)
        }
    }

    @Test func theSameCheckNameTwiceIsMadeUnique() throws {
        let registration = try decode(#"{"Name": "web", "Checks": [{"TTL": "5s"}, {"TTL": "9s"}]}"#).get()
        #expect(registration.checks.map(\.config.name) == ["ttl", "ttl-2"])
        #expect(registration.checks.map(\.id) == ["service:web:1", "service:web:2"])
    }

    @Test func aRegistrationBecomesANodeOfItsOwnWithTheFilesDependencies() throws {
        let file = ClusterConfig(name: "c", nodes: [NodeConfig(name: "web-1", address: "127.0.0.1", services: [ServiceConfig(name: "web", dependsOn: ["db"])])])
        var registration = try decode(#"{"Name": "web", "ID": "web-2", "Meta": {"vitals_metrics": "http://127.0.0.2:9100/metrics"}, "Check": {"TTL": "5s"}}"#).get()
        let merged = file.adding([registration])
        #expect(merged.nodes.map(\.name) == ["web-1", "web-2"])
        #expect(merged.nodes[1].services.first?.dependsOn == ["db"])
        #expect(merged.nodes[1].metricsURL == "http://127.0.0.2:9100/metrics")
        #expect(merged.nodes[1].origin?.by == "127.0.0.9")
        #expect(merged.fileOnly == file)
        // An ID the file has taken since is left out.
        registration.id = "web-1"
        #expect(file.adding([registration]).nodes.count == 1)
    }

    /// Every input `Fuzz/run SECONDS registration` ever found, and Consul's payloads: accepted or
    /// refused with a reason.
    @Test func fuzzCrashersAndConsulPayloadsReplay() throws {
        let files = Fixtures.files(in: ["Tests/Fixtures/fuzz-crashers-registration", "Tests/Fixtures/consul"]).filter { !$0.hasSuffix(".py") }
        #expect(files.count >= 2)
        for file in files {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(file))), as: UTF8.self)
            for allowExec in [false, true] {
                switch RegistrationDecoder(allowExec: allowExec).decode(text, caller: "127.0.0.1", at: time) {
                case .success(let registration): #expect(!registration.id.isEmpty, "\(file)")
                case .failure(let failure): #expect(!failure.diagnostics.isEmpty, "\(file)")
                }
            }
        }
    }

    /// Random cuts, byte flips and splices of valid bodies: each is accepted or refused with a
    /// reason, never a crash or an empty refusal.
    @Test func fuzzedBodiesAreAcceptedOrRefusedWithAReason() throws {
        let seeds = try [fixture("register-redis.json"), fixture("register-web-checks.json"), #"{"name": "api", "check": {"ttl": "10s"}}"#].map { Array($0.utf8) }
        var generator = SplitMix64(seed: 18)
        let alphabet = Array(#"{}[]":,0123456789.-eE "\/ntrufalsHTPCheck"#.utf8) + [0, 0xFF, 0xC3]
        var accepted = 0, refused = 0
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                guard !bytes.isEmpty else { break }
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[at] = alphabet.randomElement(using: &generator) ?? 0
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet.randomElement(using: &generator) ?? 0, at: at)
                default: bytes = Array(bytes[..<at])
                }
            }
            switch RegistrationDecoder(allowExec: round % 2 == 0).decode(String(decoding: bytes, as: UTF8.self), caller: "127.0.0.1", at: time) {
            case .success(let registration):
                #expect(!registration.name.isEmpty && !registration.id.isEmpty)
                accepted += 1
            case .failure(let failure):
                #expect(!failure.diagnostics.isEmpty, "refused without a reason: \(String(decoding: bytes, as: UTF8.self))")
                refused += 1
            }
        }
        #expect(accepted > 100 && refused > 100, "accepted \(accepted), refused \(refused): the mutations should land on both sides")
    }
}
