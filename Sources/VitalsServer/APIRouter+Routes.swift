import Foundation
import NIOCore
import VitalsCore
import VitalsEngine

/// The handlers behind each route.
extension APIRouter {
    struct Status: Encodable {
        var version: String
        var cluster: String
        var generation: UInt64
        var time: Date
        var started: Date
        var nodes: Int
        var services: Int
        var connections: Int
    }

    func status(_ engine: Engine) -> APIResponse {
        let snapshot = engine.store.latest
        return .json(Status(
            version: ServerLog.version, cluster: snapshot.cluster, generation: snapshot.generation, time: snapshot.time, started: started,
            nodes: snapshot.nodes.count, services: snapshot.services.count, connections: connections.open
        ))
    }

    func snapshot(_ engine: Engine, pretty: Bool) throws(APIError) -> APIResponse {
        let latest = engine.store.latest
        if !pretty, let cached = encodedSnapshot.withLock({ $0 }), cached.generation == latest.generation, cached.time == latest.time {
            return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(cached.bytes))
        }
        do {
            let bytes = Array(try latest.jsonData(pretty: pretty)) + [10]
            if !pretty { encodedSnapshot.withLock { $0 = (latest.generation, latest.time, bytes) } }
            return APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(bytes))
        } catch {
            throw APIError(.internalError, "cannot encode the snapshot: \(error)")
        }
    }

    struct NodeDetail: Encodable {
        struct Dependent: Encodable {
            var service: String
            var node: String
            var status: VitalsCore.Status
            /// Which of this node's services it depends on.
            var on: String
        }

        var node: NodeSnapshot
        var services: [ServiceSnapshot]
        var alerts: [AlertSnapshot]
        /// Instances elsewhere whose `depends_on` names a service of this node.
        var dependents: [Dependent]
        var logs: [LogLineJSON]
    }

    func node(_ engine: Engine, _ name: String) throws(APIError) -> APIResponse {
        let snapshot = engine.store.latest
        guard let node = snapshot.node(named: name) else {
            let names = snapshot.nodes.prefix(20).map(\.name).joined(separator: ", ")
            throw APIError(.notFound, "no node '\(name.sanitizedForTerminal)' (nodes: \(names)\(snapshot.nodes.count > 20 ? ", …" : ""))")
        }
        let services = snapshot.services(on: name)
        let dependents = services.flatMap { service in
            snapshot.dependents(of: service.name).filter { $0.node != name }.map {
                NodeDetail.Dependent(service: $0.name, node: $0.node, status: $0.status, on: service.name)
            }
        }
        let alerts = snapshot.alerts.filter { $0.node == name }
        let logs = engine.logs.recent(node: name, limit: 50).map(LogLineJSON.init)
        return .json(NodeDetail(node: node, services: services, alerts: alerts, dependents: dependents, logs: logs))
    }

    func beginMaintenance(_ engine: Engine, node: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        var fields = try JSONFields(request.body)
        let service = try fields.string("service", maxLength: 256)
        let reason = try fields.requiredString("reason", maxLength: 500)
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError(.invalidField, "'reason' must say why (teammates read it)") }
        let durationText = try fields.string("duration", maxLength: 32)
        let by = try fields.string("by", maxLength: 64)
        try fields.finish()
        var duration: Duration?
        if let durationText {
            guard let parsed = Duration(goString: durationText), parsed > .zero else {
                throw APIError(.invalidField, "'duration' must be like 30m or 2h, not '\(durationText.sanitizedForTerminal)'")
            }
            duration = parsed
        }
        let user = try Self.user(request, field: by)
        let target = service.map { "\(node)/\($0)" } ?? node
        let begun = try Self.storing { () throws(AlertStateStore.Problem) in
            try engine.beginMaintenance(node: node, service: service, reason: reason.sanitizedForTerminal, for: duration, by: user)
        }
        guard begun else { throw APIError(.notFound, "no \(target.sanitizedForTerminal) in this cluster") }
        log.info("maintenance begun", ["target": target, "by": user, "reason": reason, "remote": request.remote])
        return .done("\(target) in maintenance" + (duration.map { " for \($0.goString)" } ?? ""), extra: ["by": user])
    }

    func scale(_ engine: Engine, service: String, _ request: APIRequest) async throws(APIError) -> APIResponse {
        var fields = try JSONFields(request.body)
        let replicas = try fields.int("replicas", in: 0...100_000)
        let by = try fields.string("by", maxLength: 64)
        try fields.finish()
        let user = try Self.user(request, field: by)
        guard let advice = engine.store.latest.capacity?.first(where: { $0.service == service }) else {
            throw APIError(.notFound, "'\(service.sanitizedForTerminal)' has no scaling policy")
        }
        guard advice.canScale else { throw APIError(.invalidField, "\(service.sanitizedForTerminal) has no scale_command to run") }
        guard !advice.scaling else { throw APIError(.alreadyInState, "\(service.sanitizedForTerminal) is being scaled") }
        let said = await engine.scale(service: service, to: replicas ?? advice.desired, by: user)
        log.info("scale", ["service": service, "by": user, "outcome": said, "remote": request.remote])
        guard !said.contains("failed:") else { throw APIError(.scaleFailed, said) }
        return .done(said, extra: ["by": user])
    }

    func endMaintenance(_ engine: Engine, node: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        let service = request.query["service"].flatMap { $0.isEmpty ? nil : $0 }
        let user = try Self.user(request, field: request.query["by"])
        let target = service.map { "\(node)/\($0)" } ?? node
        let ended = try Self.storing { () throws(AlertStateStore.Problem) in try engine.endMaintenance(node: node, service: service, by: user) }
        guard ended else { throw APIError(.alreadyInState, "\(target.sanitizedForTerminal) is not in maintenance") }
        log.info("maintenance ended", ["target": target, "by": user, "remote": request.remote])
        return .done("maintenance of \(target) ended", extra: ["by": user])
    }

    func searchLogs(_ engine: Engine, _ parameters: [String: String]) throws(APIError) -> APIResponse {
        let known: Set = ["node", "service", "q", "level", "limit", "before", "after", "count", "since"]
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError(.unknownField, "unknown parameter '\(unknown.sanitizedForTerminal)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var query = LogQuery()
        func list(_ text: String?) -> Set<String>? {
            guard let text, !text.isEmpty else { return nil }
            return Set(text.split(separator: ",").map(String.init))
        }
        query.nodes = list(parameters["node"])
        query.services = list(parameters["service"])
        if let level = parameters["level"], !level.isEmpty {
            guard let parsed = LogLineJSON.level(named: level) else {
                throw APIError(.invalidField, "'level' is one of debug, info, notice, warning, error, critical; not '\(level.sanitizedForTerminal)'")
            }
            query.minimumLevel = parsed
        }
        if let since = parameters["since"], !since.isEmpty {
            guard let ago = Duration(goString: since), ago > .zero else { throw APIError(.invalidField, "'since' is a duration like 15m") }
            query.since = Date().addingTimeInterval(-ago.seconds)
        }
        if let text = parameters["q"], let pattern = LogPattern(typed: text) {
            do {
                _ = try LogMatcher(pattern)
            } catch {
                throw APIError(.invalidField, "'q': \(error.description)")
            }
            query.pattern = pattern
        }
        func number(_ key: String, _ range: ClosedRange<Int>) throws(APIError) -> Int? {
            guard let text = parameters[key], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw APIError(.invalidField, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        let limit = try number("limit", 1...5_000) ?? 100
        let before = try number("before", 0...Int.max)
        let after = try number("after", -1...Int.max)
        var records: [LogRecord]
        if let after {
            // Oldest first from `after`; with `before` too, only the lines between the two.
            records = engine.logs.lines(query, after: after, limit: limit)
            if let before { records = records.filter { $0.sequence < before } }
        } else {
            records = engine.logs.lines(query, before: before, limit: limit)
        }
        let count = parameters["count"].map { $0 == "" || $0 == "true" || $0 == "1" } ?? false
        return .json(LogSearchJSON(lines: records.map(LogLineJSON.init), matches: count ? engine.logs.count(query) : nil, stats: engine.logs.stats))
    }

    func pushLogs(_ engine: Engine, _ request: APIRequest) -> APIResponse {
        guard request.body.contains(where: { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }) else {
            return APIError(.badRequest, "the body is empty: send log lines, one JSON object per line").response
        }
        let pushed = engine.pushLogs(ByteBuffer(bytes: request.body), source: request.remote)
        struct Answer: Encodable {
            var accepted: Int
            var unparsed: Int
            var errors: [String]
        }
        return .json(Answer(accepted: pushed.accepted, unparsed: pushed.unparsed, errors: pushed.errors))
    }

    struct AlertList: Encodable {
        var alerts: [AlertSnapshot]
        var history: [AlertSnapshot]
    }

    struct SilenceList: Encodable {
        var silences: [SilenceSnapshot]
    }

    private func activeAlert(_ engine: Engine, _ id: String) throws(APIError) -> AlertSnapshot {
        let snapshot = engine.store.latest
        guard let alert = snapshot.alerts.first(where: { $0.id == id }) else {
            if snapshot.alertHistory.contains(where: { $0.id == id }) {
                throw APIError(.alreadyInState, "alert \(id.sanitizedForTerminal) has resolved")
            }
            throw APIError(.notFound, "no alert \(id.sanitizedForTerminal) (GET /v1/alerts lists them)")
        }
        return alert
    }

    func acknowledge(_ engine: Engine, _ id: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        var fields = try JSONFields(request.body)
        let comment = try fields.string("comment", maxLength: 1_000) ?? ""
        let by = try fields.string("by", maxLength: 64)
        try fields.finish()
        let user = try Self.user(request, field: by)
        let alert = try activeAlert(engine, id)
        let acked = try Self.storing { () throws(AlertStateStore.Problem) in try engine.acknowledge([alert.id], by: user, comment: comment.replacingOccurrences(of: "\n", with: " ").sanitizedForTerminal) }
        guard !acked.isEmpty else { throw APIError(.alreadyInState, "alert \(id.sanitizedForTerminal) resolved before it could be acknowledged") }
        log.info("alert acknowledged", ["alert": alert.name, "id": alert.id, "by": user, "comment": comment, "remote": request.remote])
        return .done("acknowledged \(alert.name) as \(user)", extra: ["id": alert.id, "by": user])
    }

    func unacknowledge(_ engine: Engine, _ id: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        var fields = try JSONFields(request.body)
        let by = try fields.string("by", maxLength: 64)
        try fields.finish()
        let user = try Self.user(request, field: by)
        let alert = try activeAlert(engine, id)
        let count = try Self.storing { () throws(AlertStateStore.Problem) in try engine.unacknowledge([alert.id], by: user) }
        guard count > 0 else { throw APIError(.alreadyInState, "alert \(id.sanitizedForTerminal) is not acknowledged") }
        log.info("acknowledgement removed", ["alert": alert.name, "id": alert.id, "by": user, "remote": request.remote])
        return .done("removed the acknowledgement of \(alert.name)", extra: ["id": alert.id, "by": user])
    }

    func silence(_ engine: Engine, _ request: APIRequest) throws(APIError) -> APIResponse {
        var fields = try JSONFields(request.body)
        guard let matchers = try fields.stringMap("matchers"), !matchers.isEmpty else {
            throw APIError(.invalidField, "'matchers' is required: labels an alert must all have, e.g. {\"alertname\": \"HighCPU\"}")
        }
        let durationText = try fields.requiredString("duration", maxLength: 32)
        let comment = try fields.string("comment", maxLength: 1_000) ?? ""
        let by = try fields.string("by", maxLength: 64)
        try fields.finish()
        guard let duration = Duration(goString: durationText), duration > .zero, duration <= .seconds(366 * 86_400) else {
            throw APIError(.invalidField, "'duration' must be like 30m or 2h (at most a year), not '\(durationText.sanitizedForTerminal)'")
        }
        let user = try Self.user(request, field: by)
        let silence = try Self.storing { () throws(AlertStateStore.Problem) in try engine.silence(matching: matchers, for: duration, by: user, comment: comment.sanitizedForTerminal) }
        log.info("silence created", ["id": silence.id, "matchers": silence.matcherText, "for": duration.goString, "by": user, "remote": request.remote])
        return .json(silence, status: 201)
    }

    func expireSilence(_ engine: Engine, _ id: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        let user = try Self.user(request, field: request.query["by"])
        let expired = try Self.storing { () throws(AlertStateStore.Problem) in try engine.expireSilence(id, by: user) }
        guard expired else {
            if engine.store.latest.silences.contains(where: { $0.id == id }) { throw APIError(.alreadyInState, "silence \(id.sanitizedForTerminal) has already ended") }
            throw APIError(.notFound, "no silence \(id.sanitizedForTerminal)")
        }
        log.info("silence expired", ["id": id, "by": user, "remote": request.remote])
        return .done("silence expired", extra: ["id": id, "by": user])
    }

    func heartbeat(_ engine: Engine, _ id: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        var fields = try JSONFields(request.body)
        let status = try fields.requiredString("status", maxLength: 16)
        let note = try fields.string("note", maxLength: 2_000) ?? ""
        try fields.finish()
        let verdict: String
        switch status {
        case "pass", "passing": verdict = "pass"
        case "warn", "warning": verdict = "warn"
        case "fail", "critical": verdict = "fail"
        default: throw APIError(.invalidField, "'status' is pass, warn or fail, not '\(status.sanitizedForTerminal)'")
        }
        switch engine.heartbeat(verdict, check: id, note: note) {
        case .recorded(let what): return .done("heartbeat for \(what)")
        case .refused(let reason):
            throw reason.hasPrefix("no ttl check") ? APIError(.notFound, reason) : APIError(.badRequest, reason)
        }
    }

    func reload(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let report = await backend.reloadCluster()
        log.info(report.refused ? "reload refused" : "reload", ["summary": report.summary, "remote": request.remote])
        if report.refused { throw APIError(.reloadRefused, report.summary, problems: report.problems) }
        return .done(report.summary)
    }

    func metrics(_ engine: Engine) -> APIResponse {
        let page = MetricsPage.render(
            snapshot: engine.store.latest, counters: engine.engineCounters, scheduler: engine.schedulerStats, api: connections.counts
        )
        return .text(page, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
