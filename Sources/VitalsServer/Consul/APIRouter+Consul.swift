import Foundation
import VitalsCore
import VitalsEngine

/// Consul's agent, catalog and health endpoints, so Consul clients and Prometheus'
/// `consul_sd_configs` work against Vitals unchanged. IDs of the file's services are
/// `node/service`, of their checks `node/service/check`; registered ones keep their own.
extension APIRouter {
    static let consulRoutes: [APIRoute] = [
        APIRoute(method: "PUT", pattern: "/v1/agent/service/register"),
        APIRoute(method: "PUT", pattern: "/v1/agent/service/deregister/{id...}"),
        // Consul before 1.0 took GET here, and python-consul still sends it.
        APIRoute(method: "GET", pattern: "/v1/agent/service/deregister/{id...}"),
        APIRoute(method: "PUT", pattern: "/v1/agent/service/maintenance/{id...}"),
        APIRoute(method: "PUT", pattern: "/v1/agent/check/pass/{id...}"),
        APIRoute(method: "GET", pattern: "/v1/agent/check/pass/{id...}"),
        APIRoute(method: "PUT", pattern: "/v1/agent/check/warn/{id...}"),
        APIRoute(method: "GET", pattern: "/v1/agent/check/warn/{id...}"),
        APIRoute(method: "PUT", pattern: "/v1/agent/check/fail/{id...}"),
        APIRoute(method: "GET", pattern: "/v1/agent/check/fail/{id...}"),
        APIRoute(method: "PUT", pattern: "/v1/agent/check/update/{id...}"),
        APIRoute(method: "GET", pattern: "/v1/agent/services"),
        APIRoute(method: "GET", pattern: "/v1/agent/checks"),
        APIRoute(method: "GET", pattern: "/v1/agent/self"),
        APIRoute(method: "GET", pattern: "/v1/catalog/datacenters"),
        APIRoute(method: "GET", pattern: "/v1/catalog/services"),
        APIRoute(method: "GET", pattern: "/v1/catalog/service/{name}"),
        APIRoute(method: "GET", pattern: "/v1/catalog/nodes"),
        APIRoute(method: "GET", pattern: "/v1/health/service/{name}"),
        APIRoute(method: "GET", pattern: "/v1/health/checks/{name}"),
        APIRoute(method: "GET", pattern: "/v1/health/state/{state}"),
    ]

    func consul(_ route: APIRoute, _ parameters: [String: String], _ request: APIRequest) async throws(APIError) -> APIResponse {
        let id = parameters["id"] ?? ""
        switch (route.method, route.pattern) {
        case ("PUT", "/v1/agent/service/register"): return try await register(request)
        case (_, "/v1/agent/service/deregister/{id...}"): return try deregister(id, request)
        case ("PUT", "/v1/agent/service/maintenance/{id...}"): return try serviceMaintenance(id, request)
        case (_, "/v1/agent/check/pass/{id...}"): return try await ttl("pass", id, note: request.query["note"] ?? "", request)
        case (_, "/v1/agent/check/warn/{id...}"): return try await ttl("warn", id, note: request.query["note"] ?? "", request)
        case (_, "/v1/agent/check/fail/{id...}"): return try await ttl("fail", id, note: request.query["note"] ?? "", request)
        case ("PUT", "/v1/agent/check/update/{id...}"): return try await updateCheck(id, request)
        case ("GET", "/v1/agent/services"): return agentServices()
        case ("GET", "/v1/agent/checks"): return agentChecks()
        case ("GET", "/v1/agent/self"): return agentSelf(request)
        case ("GET", "/v1/catalog/datacenters"): return .json([catalog.current("nodes").0.datacenter])
        case ("GET", "/v1/catalog/services"):
            return try await blocking("services", request) { catalog in
                var result: [String: [String]] = [:]
                for instance in catalog.instances { result[instance.service, default: []] += instance.tags.filter { !(result[instance.service] ?? []).contains($0) } }
                return Self.encode(result)
            }
        case ("GET", "/v1/catalog/service/{name}"):
            let name = parameters["name"] ?? ""
            return try await blocking("service:\(name)", request) { catalog in
                Self.encode(Self.filtered(catalog.instances(of: name), request).map { CatalogService($0, datacenter: catalog.datacenter) })
            }
        case ("GET", "/v1/catalog/nodes"):
            return try await blocking("nodes", request) { catalog in
                Self.encode(catalog.nodes.map { ConsulNode(name: $0.name, address: $0.address, meta: $0.meta, datacenter: catalog.datacenter) })
            }
        case ("GET", "/v1/health/service/{name}"):
            let name = parameters["name"] ?? ""
            return try await blocking("service:\(name)", request) { catalog in
                var instances = Self.filtered(catalog.instances(of: name), request)
                if let passing = request.query["passing"], passing != "false", passing != "0" { instances = instances.filter(\.isPassing) }
                return Self.encode(instances.map { HealthEntry($0, datacenter: catalog.datacenter) })
            }
        case ("GET", "/v1/health/checks/{name}"):
            let name = parameters["name"] ?? ""
            return try await blocking("service:\(name)", request) { catalog in
                Self.encode(catalog.instances(of: name).flatMap { $0.checks.filter { !$0.ServiceID.isEmpty } })
            }
        case ("GET", "/v1/health/state/{state}"):
            let state = parameters["state"] ?? ""
            guard ["any", "passing", "warning", "critical"].contains(state) else {
                throw APIError(.invalidField, "the state is any, passing, warning or critical, not '\(state.sanitizedForTerminal)'")
            }
            return try await blocking("checks", request) { catalog in
                Self.encode(catalog.allChecks.filter { state == "any" || $0.Status == state })
            }
        default:
            throw APIError(.internalError, "route \(route.method) \(route.pattern) has no handler")
        }
    }

    // MARK: blocking queries

    /// Answers a catalog or health read: at once, or (with `?index=N`) once `key`'s index passes N
    /// or `?wait=` ends; with Consul's index headers either way.
    private func blocking(_ key: String, _ request: APIRequest, render: @escaping (ConsulCatalog) -> [UInt8]) async throws(APIError) -> APIResponse {
        if let text = request.query["index"], !text.isEmpty {
            guard let after = UInt64(text) else { throw APIError(.invalidField, "'index' is a whole number (the X-Consul-Index of an earlier answer)") }
            var wait = CatalogWatch.defaultWait
            if let text = request.query["wait"], !text.isEmpty {
                guard let parsed = Duration(goString: text), parsed >= .zero else { throw APIError(.invalidField, "'wait' is a duration like 30s or 5m") }
                wait = min(parsed, CatalogWatch.maxWait)
            }
            await catalog.wait(for: key, after: after, wait: wait)
        }
        let (current, index) = catalog.current(key)
        let ignored: Set<String> = ["index", "wait", "token", "dc", "stale", "consistent", "cached"]
        let query = request.query.filter { !ignored.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        let bytes = catalog.answer("\(request.path)?\(query)#\(index)") { render(current) }
        return APIResponse(status: 200, headers: [
            ("Content-Type", "application/json"), ("X-Consul-Index", "\(index)"), ("X-Consul-KnownLeader", "true"),
            ("X-Consul-LastContact", "0"), ("X-Consul-Effective-Consistency", "leader"),
        ], body: .bytes(bytes))
    }

    /// `?tag=` keeps the instances with that tag.
    private static func filtered(_ instances: [ConsulCatalog.Instance], _ request: APIRequest) -> [ConsulCatalog.Instance] {
        guard let tag = request.query["tag"], !tag.isEmpty else { return instances }
        return instances.filter { $0.tags.contains(tag) }
    }

    /// A JSON answer as Consul gives it: empty for a write that worked.
    static func consulAnswer(_ bytes: [UInt8] = []) -> APIResponse {
        APIResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(bytes))
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return ((try? encoder.encode(value)).map(Array.init) ?? Array("null".utf8)) + [10]
    }

    // MARK: agent

    private func registryOrRefuse() throws(APIError) -> ServiceRegistry {
        guard let registry = backend.registry else { throw APIError(.unavailable, "this server takes no registrations") }
        return registry
    }

    private func register(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let registry = try registryOrRefuse()
        let config = backend.engine.config
        let decoder = RegistrationDecoder(defaults: config.defaults, allowExec: config.allowAPIExecChecks)
        let body = String(decoding: request.body, as: UTF8.self)
        let registration: Registration
        switch decoder.decode(body, caller: request.remote, at: Date()) {
        case .success(let decoded): registration = decoded
        case .failure(let failure):
            let code: APIError.Code = switch failure.code {
            case "bad_json": .invalidJSON
            case "unknown_field": .unknownField
            default: .invalidRegistration
            }
            throw APIError(code, failure.diagnostics.first?.description ?? "the registration is not valid", problems: failure.diagnostics.map(\.description))
        }
        let fileNodes = Set(config.nodes.filter { $0.origin == nil }.map(\.name))
        let new: Bool
        do {
            new = try registry.register(registration, fileNodes: fileNodes, file: (config.sourcePath as NSString).lastPathComponent)
        } catch {
            throw Self.refused(error)
        }
        log.info(new ? "service registered" : "service registered again", [
            "id": registration.id, "service": registration.name, "address": registration.address, "checks": "\(registration.checks.count)", "remote": request.remote,
        ])
        return Self.consulAnswer()
    }

    static func refused(_ refusal: ServiceRegistry.Refusal) -> APIError {
        let reason = ServiceRegistry.describe(refusal)
        return switch refusal {
        case .conflict, .fromFile: APIError(.conflict, reason)
        case .full: APIError(.registrationLimit, reason)
        case .notFound: APIError(.notFound, reason)
        }
    }

    private func deregister(_ id: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        let registry = try registryOrRefuse()
        if registry.registration(id: id) == nil, isFileService(id) { throw Self.refused(.fromFile(id)) }
        do {
            let gone = try registry.deregister(id, by: request.remote, why: "deregistered through the API")
            log.info("service deregistered", ["id": gone.id, "service": gone.name, "remote": request.remote])
        } catch {
            throw Self.refused(error)
        }
        return Self.consulAnswer()
    }

    /// Whether `id` names one of the file's nodes or instances (`node/service`), which only an
    /// edit of the file changes.
    private func isFileService(_ id: String) -> Bool {
        fileInstance(id) != nil || backend.engine.config.nodes.contains { $0.origin == nil && $0.name == id }
    }

    /// The node and service an ID names: a registration's, or a file's `node/service`.
    private func instance(_ id: String) -> (node: String, service: String)? {
        if let registration = backend.registry?.registration(id: id) { return (registration.id, registration.name) }
        return fileInstance(id)
    }

    /// The file's instance `node/service`, if `id` names one.
    private func fileInstance(_ id: String) -> (node: String, service: String)? {
        let parts = id.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2,
              backend.engine.config.nodes.contains(where: { $0.origin == nil && $0.name == parts[0] && $0.services.contains { $0.name == parts[1] } })
        else { return nil }
        return (parts[0], parts[1])
    }

    private func serviceMaintenance(_ id: String, _ request: APIRequest) throws(APIError) -> APIResponse {
        guard let enable = request.query["enable"], ["true", "false"].contains(enable) else {
            throw APIError(.invalidField, "'enable' is true or false")
        }
        guard let (node, service) = instance(id) else { throw Self.refused(.notFound(id)) }
        let user = request.headers["x-vitals-user"].flatMap { $0.isEmpty ? nil : $0 } ?? request.remote
        let engine = backend.engine
        let target = "\(node)/\(service)"
        if enable == "true" {
            let reason = request.query["reason"].flatMap { $0.isEmpty ? nil : $0 } ?? "Maintenance mode set through the agent API"
            _ = try Self.storing { () throws(AlertStateStore.Problem) in
                try engine.beginMaintenance(node: node, service: service, reason: String(reason.prefix(500)).sanitizedForTerminal, for: nil, by: user)
            }
            log.info("maintenance begun", ["target": target, "by": user, "reason": reason, "remote": request.remote])
        } else {
            _ = try Self.storing { () throws(AlertStateStore.Problem) in try engine.endMaintenance(node: node, service: service, by: user) }
            log.info("maintenance ended", ["target": target, "by": user, "remote": request.remote])
        }
        return Self.consulAnswer()
    }

    /// A TTL check's heartbeat by Consul check ID (a registration's) or `node/service/check`.
    private func ttl(_ verdict: String, _ id: String, note: String, _ request: APIRequest) async throws(APIError) -> APIResponse {
        var path = id
        if let (registration, check) = backend.registry?.owner(ofCheck: id) {
            guard case .ttl = check.config.target else {
                throw APIError(.invalidField, "check '\(id.sanitizedForTerminal)' is a \(check.config.target.typeName) check, not a TTL check")
            }
            // A check registered a moment ago runs once the engine has taken the registration.
            await waitApplied()
            path = "\(registration.id)/\(registration.name)/\(check.config.name)"
        }
        let output = String(note.prefix(4096))
        switch backend.engine.heartbeat(verdict, check: path, note: output) {
        case .recorded: return Self.consulAnswer()
        case .refused(let why): throw APIError(.notFound, "check '\(id.sanitizedForTerminal)': \(why)")
        }
    }

    /// Waits (a few seconds at most) until the engine runs every registration made so far.
    func waitApplied() async {
        guard let registry = backend.registry else { return }
        for _ in 0..<500 where !registry.isApplied {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func updateCheck(_ id: String, _ request: APIRequest) async throws(APIError) -> APIResponse {
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            throw APIError(.invalidJSON, "the body is a JSON object like {\"Status\": \"passing\", \"Output\": \"ok\"}")
        }
        var status: String?, output = ""
        for (key, value) in object {
            switch key.lowercased() {
            case "status":
                guard let text = value as? String else { throw APIError(.invalidField, "'Status' is a string") }
                status = text
            case "output":
                guard let text = value as? String else { throw APIError(.invalidField, "'Output' is a string") }
                output = text
            default:
                throw APIError(.unknownField, "unknown field '\(key.sanitizedForTerminal)': the body takes Status and Output")
            }
        }
        let verdict = switch status {
        case "passing": "pass"
        case "warning": "warn"
        case "critical": "fail"
        default: ""
        }
        guard !verdict.isEmpty else { throw APIError(.invalidField, "'Status' is passing, warning or critical") }
        return try await ttl(verdict, id, note: output, request)
    }

    private func agentServices() -> APIResponse {
        let (catalog, _) = catalog.current("services")
        var result: [String: AgentService] = [:]
        for instance in catalog.instances { result[instance.id] = AgentService(instance, datacenter: catalog.datacenter) }
        return Self.consulAnswer(Self.encode(result))
    }

    private func agentChecks() -> APIResponse {
        let (catalog, _) = catalog.current("checks")
        var result: [String: ConsulCatalog.Check] = [:]
        for check in catalog.allChecks { result[check.CheckID] = check }
        return Self.consulAnswer(Self.encode(result))
    }

    private func agentSelf(_ request: APIRequest) -> APIResponse {
        let datacenter = ConsulCatalog.datacenter(backend.engine.config.name)
        let body: [String: [String: String]] = [
            "Config": ["Datacenter": datacenter, "NodeName": "vitals", "Version": "vitals", "Server": "true"],
            "Member": ["Name": "vitals", "Addr": request.headers["host"] ?? "", "Status": "1"],
        ]
        return Self.consulAnswer(Self.encode(body))
    }
}

// Consul's JSON shapes; property names are its keys.

struct Weights: Encodable, Sendable {
    var Passing = 1
    var Warning = 1
}

struct AgentService: Encodable, Sendable {
    var ID: String
    var Service: String
    var Tags: [String]
    var Meta: [String: String]
    var Port: Int
    var Address: String
    var Weights = VitalsServer.Weights()
    var EnableTagOverride = false
    var Datacenter: String

    init(_ instance: ConsulCatalog.Instance, datacenter: String) {
        ID = instance.id
        Service = instance.service
        Tags = instance.tags
        Meta = instance.meta
        Port = instance.port
        Address = instance.address
        Datacenter = datacenter
    }
}

struct ConsulNode: Encodable, Sendable {
    var ID = ""
    var Node: String
    var Address: String
    var Datacenter: String
    var TaggedAddresses: [String: String]
    var Meta: [String: String]
    var CreateIndex: UInt64 = 1
    var ModifyIndex: UInt64 = 1

    init(name: String, address: String, meta: [String: String], datacenter: String) {
        Node = name
        Address = address
        Datacenter = datacenter
        TaggedAddresses = ["lan": address, "wan": address]
        Meta = meta
    }
}

struct CatalogService: Encodable, Sendable {
    var ID = ""
    var Node: String
    var Address: String
    var Datacenter: String
    var TaggedAddresses: [String: String]
    var NodeMeta: [String: String] = [:]
    var ServiceID: String
    var ServiceName: String
    var ServiceTags: [String]
    var ServiceAddress: String
    var ServicePort: Int
    var ServiceMeta: [String: String]
    var ServiceWeights = Weights()
    var ServiceEnableTagOverride = false
    var CreateIndex: UInt64 = 1
    var ModifyIndex: UInt64 = 1

    init(_ instance: ConsulCatalog.Instance, datacenter: String) {
        Node = instance.node
        Address = instance.nodeAddress
        Datacenter = datacenter
        TaggedAddresses = ["lan": instance.nodeAddress, "wan": instance.nodeAddress]
        ServiceID = instance.id
        ServiceName = instance.service
        ServiceTags = instance.tags
        ServiceAddress = instance.address
        ServicePort = instance.port
        ServiceMeta = instance.meta
    }
}

struct HealthEntry: Encodable, Sendable {
    var Node: ConsulNode
    var Service: AgentService
    var Checks: [ConsulCatalog.Check]

    init(_ instance: ConsulCatalog.Instance, datacenter: String) {
        Node = ConsulNode(name: instance.node, address: instance.nodeAddress, meta: instance.registeredBy.map { ["vitals-registered-by": $0] } ?? [:], datacenter: datacenter)
        Service = AgentService(instance, datacenter: datacenter)
        Checks = instance.checks
    }
}
