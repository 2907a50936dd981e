import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// The probe's HTTP reader against servers that answer exactly the bytes given: the framings a
/// real server uses, and answers that are broken in the ways real ones are.
@Suite struct HTTPParsingTests {
    func fetch(_ answer: String, pieceSize: Int = 1 << 20, close: Bool = true, maxBody: Int = 4096) async throws -> Result<HTTPResponse, FetchError> {
        let server = try await CannedServer.start(answer: Array(answer.utf8), pieceSize: pieceSize, close: close)
        let target = try #require(HTTPTarget(server.url))
        let result: Result<HTTPResponse, FetchError>
        do {
            result = .success(try await HTTPFetcher().get(target, timeout: .seconds(2), maxBody: maxBody))
        } catch let error as FetchError {
            result = .failure(error)
        }
        await server.stop()
        return result
    }

    @Test(arguments: [1, 3, 1 << 20])
    func contentLengthBodiesArriveWholeInAnyPieces(pieceSize: Int) async throws {
        let response = try await fetch("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", pieceSize: pieceSize, close: false).get()
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response.body == "hello")
        #expect(!response.truncated)
    }

    @Test(arguments: [1, 7, 1 << 20])
    func chunkedBodiesAreDecoded(pieceSize: Int) async throws {
        let answer = "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnot \r\n5;ext=1\r\nready\r\n0\r\n\r\n"
        let response = try await fetch(answer, pieceSize: pieceSize, close: false).get()
        #expect(response.status == 503)
        #expect(response.reason == "Service Unavailable")
        #expect(response.body == "not ready")
    }

    @Test func aBodyWithoutLengthEndsWhenTheServerCloses() async throws {
        let response = try await fetch("HTTP/1.0 200 OK\r\n\r\nold style").get()
        #expect(response.body == "old style")
    }

    @Test func anInterimContinueIsSkipped() async throws {
        let response = try await fetch("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", close: false).get()
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
    }

    @Test func aLongBodyIsCutAtTheCapAndSaysSo() async throws {
        let body = String(repeating: "x", count: 10_000)
        let response = try await fetch("HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n\(body)", close: false, maxBody: 100).get()
        #expect(response.body.count == 100)
        #expect(response.truncated)
    }

    @Test(arguments: [
        ("SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line: 'SSH-2.0-OpenSSH_9.2'"),
        ("HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x status line"),
        ("HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n", "bad Content-Length 'lots'"),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        ("HTTP/1.1 200 OK\r\nX: \u{1B}[2J\r\n\r\n", ""),
    ])
    func brokenAnswersAreRejectedWithAReason(answer: String, reason: String) async throws {
        let result = try await fetch(answer)
        switch result {
        case .failure(.protocolError(let why)):
            #expect(why.hasPrefix("bad HTTP response") || why.contains(reason), "\(why)")
            #expect(!why.contains("\u{1B}"))
        case .failure(let other):
            Issue.record("expected a protocol error, got \(other)")
        case .success(let response):
            // An escape in a header the probe ignores is harmless: the answer is well formed.
            #expect(reason.isEmpty, "accepted \(response)")
        }
    }

    @Test func anAnswerCutShortIsClosedEarly() async throws {
        let result = try await fetch("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
        guard case .failure(.closedEarly) = result else {
            Issue.record("expected closedEarly, got \(result)")
            return
        }
    }

    @Test func endlessHeadersAreRefused() async throws {
        let answer = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", count: 2_000)
        let result = try await fetch(answer, close: false)
        guard case .failure(.protocolError(let why)) = result else {
            Issue.record("expected a protocol error, got \(result)")
            return
        }
        #expect(why == "response headers longer than 64 KB")
    }
}
