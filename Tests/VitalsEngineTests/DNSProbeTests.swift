import Foundation
import NIOCore
import NIOPosix
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// DNS checks against a small UDP responder on loopback: answers, NXDOMAIN, wrong answers, a
/// server that never answers, and garbage.
@Suite struct DNSProbeTests {
    /// How the responder answers each query.
    enum Behaviour: Sendable {
        case records([(type: UInt16, data: [UInt8])])
        case code(UInt8)
        case silent
        case garbage
    }

    final class Responder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let behaviour: Behaviour

        init(_ behaviour: Behaviour) { self.behaviour = behaviour }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let query = Array(envelope.data.readableBytesView)
            var answer: [UInt8]
            switch behaviour {
            case .silent: return
            case .garbage: answer = [query[0], query[1], 0x81, 0x80, 0, 1, 0, 5, 0, 0, 0, 0, 0xC0]
            case .code(let code): answer = Array(query[0..<2]) + [0x81, 0x80 | code, 0, 1, 0, 0, 0, 0, 0, 0] + query[12...]
            case .records(let records):
                answer = Array(query[0..<2]) + [0x81, 0x80, 0, 1, 0, UInt8(records.count), 0, 0, 0, 0] + query[12...]
                for record in records {
                    answer += [0xC0, 0x0C, UInt8(record.type >> 8), UInt8(record.type & 0xFF), 0, 1, 0, 0, 0x0E, 0x10, 0, UInt8(record.data.count)] + record.data
                }
            }
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: answer))), promise: nil)
        }
    }

    static func serve(_ behaviour: Behaviour, _ body: (String) async throws -> Void) async throws {
        let host = TestCluster.uniqueAddress()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Responder(behaviour)) } }
            .bind(host: host, port: 5353).get()
        do {
            try await body("\(host):5353")
        } catch {
            try? await channel.close()
            throw error
        }
        try? await channel.close()
    }

    func check(_ name: String, _ record: String = "A", server: String, expect: String? = nil, timeout: Duration = .seconds(2)) -> CheckConfig {
        var check = CheckConfig(name: "dns", target: .dns(name: name, record: record, server: server), timeout: timeout)
        check.expect = expect
        return check
    }

    @Test func recordsOfTheTypeArePassingAndShown() async throws {
        let name = Array("\u{5}mail0\u{7}example\u{0}".utf8)
        try await Self.serve(.records([(1, [10, 0, 0, 5]), (1, [10, 0, 0, 6]), (5, [0xC0, 0x0C]), (15, [0, 10] + name)])) { server in
            let outcome = await DNSProbe().run(check("db.internal", server: server))
            #expect(outcome.status == .passing)
            #expect(outcome.output == "DNS A db.internal @\(server): 10.0.0.5, 10.0.0.6")
            let expected = await DNSProbe().run(check("db.internal", server: server, expect: "10.0.0.6"))
            #expect(expected.status == .passing)
            let wrong = await DNSProbe().run(check("db.internal", server: server, expect: "10.0.0.9"))
            #expect(wrong.status == .critical)
            #expect(wrong.output == "DNS A db.internal @\(server): expected 10.0.0.9, got 10.0.0.5, 10.0.0.6")
            let mx = await DNSProbe().run(check("db.internal", "MX", server: server))
            #expect(mx.output == "DNS MX db.internal @\(server): 10 mail0.example")
            let none = await DNSProbe().run(check("db.internal", "AAAA", server: server))
            #expect(none.output == "DNS AAAA db.internal @\(server): no AAAA record")
        }
    }

    @Test func nxdomainSilenceAndGarbageAreCriticalWithTheReason() async throws {
        try await Self.serve(.code(3)) { server in
            let outcome = await DNSProbe().run(check("gone.internal", server: server))
            #expect(outcome.output == "DNS A gone.internal @\(server): NXDOMAIN")
        }
        try await Self.serve(.silent) { server in
            let outcome = await DNSProbe().run(check("db.internal", server: server, timeout: .milliseconds(300)))
            #expect(outcome.status == .critical)
            #expect(outcome.output == "DNS A db.internal @\(server): no answer within 300ms")
        }
        try await Self.serve(.garbage) { server in
            let outcome = await DNSProbe().run(check("db.internal", server: server))
            #expect(outcome.status == .critical)
            #expect(outcome.output.hasPrefix("DNS A db.internal @\(server): bad answer: "))
        }
    }

    @Test func queriesAreWellFormedAndNamesFollowPointers() throws {
        let query = try DNSMessage.query(id: 0x1234, name: "db.internal.", type: 1)
        #expect(query == [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 8] + Array("internal".utf8) + [0, 0, 1, 0, 1])
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.query(id: 1, name: String(repeating: "a", count: 64), type: 1) }
        // A pointer loop is refused, not followed forever.
        let loop: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.answer(loop, id: 0x1234, type: 1) }
    }

    @Test func theClusterFileNamesTheRecordAndServer() {
        let yaml = """
            cluster: x
            nodes:
              - name: a
                address: 127.0.0.1
                checks:
                  - { name: db, dns: db.internal, record: AAAA, server: "127.0.0.53:53", expect: "fd00::5" }
                  - { name: bad, dns: db.internal, record: PTR }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.diagnostics.map(\.description) == ["f.yaml:7:48: check 'bad' of node 'a': record is one of A, AAAA, CNAME, MX, NS, SRV, TXT, not 'PTR'"])
    }
}
