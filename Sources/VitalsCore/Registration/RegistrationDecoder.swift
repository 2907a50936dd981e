import Foundation
import Yams

/// Reads the body of `PUT /v1/agent/service/register` as Consul does — keys in any case, with or
/// without underscores (`Name`, `name`, `deregister_critical_service_after`) — and checks it with
/// the cluster file's own rules and messages, positions given in the body (`request body:1:40`).
public struct RegistrationDecoder: Sendable {
    /// Why a body was refused: `bad_json` (not JSON, or not an object), `unknown_field` (a key
    /// Consul does not have, named), or `invalid_registration` (every other mistake).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: String
        public var diagnostics: [Diagnostic]

        public var description: String { diagnostics.map(\.description).joined(separator: "; ") }
    }

    /// What checks inherit (the cluster file's `defaults`).
    public var defaults: CheckDefaults
    /// Whether `Args` (a program run by Vitals) is accepted: the file's `allow_api_exec_checks`.
    public var allowExec: Bool
    /// How messages name the body.
    public var source: String

    public init(defaults: CheckDefaults = CheckDefaults(), allowExec: Bool = false, source: String = "request body") {
        self.defaults = defaults
        self.allowExec = allowExec
        self.source = source
    }

    /// The longest an ID or a name may be.
    public static let maxNameLength = 256

    /// Service keys, as Consul spells them; `ignored` ones are accepted and have no effect here.
    static let serviceKeys = ["ID", "Name", "Tags", "Address", "Port", "Meta", "Check", "Checks", "EnableTagOverride", "Weights", "TaggedAddresses", "Namespace", "Partition"]
    static let ignoredServiceKeys: Set<String> = ["enabletagoverride", "weights", "taggedaddresses", "namespace", "partition"]
    static let unsupportedServiceKeys = ["Kind": "only plain services are registered here", "Proxy": "Connect proxies are not supported", "Connect": "Connect is not supported", "SocketPath": "only TCP addresses are probed"]

    /// Check keys as Consul spells them, and the cluster file's key each becomes (nil: read here).
    static let checkKeys: [(consul: String, file: String?)] = [
        ("CheckID", nil), ("ID", nil), ("Name", nil), ("Notes", nil), ("ServiceID", nil), ("Status", "initial_status"),
        ("HTTP", "http"), ("Method", "method"), ("Header", "headers"), ("Body", "body"), ("TCP", "tcp"), ("GRPC", "grpc"),
        ("GRPCUseTLS", "grpc_use_tls"), ("TTL", "ttl"), ("Interval", "interval"), ("Timeout", "timeout"),
        ("DeregisterCriticalServiceAfter", "deregister_critical_service_after"), ("SuccessBeforePassing", "success_before_passing"),
        ("FailuresBeforeWarning", "failures_before_warning"), ("FailuresBeforeCritical", "failures_before_critical"),
        ("TLSSkipVerify", "tls_skip_verify"), ("TLSServerName", "tls_server_name"), ("Args", "exec"), ("ScriptArgs", "exec"),
        ("OutputMaxSize", nil), ("Type", nil),
    ]
    static let unsupportedCheckKeys = [
        "Script": "give the program and its arguments as 'Args'", "DockerContainerID": "Docker checks are not supported", "Shell": "Docker checks are not supported",
        "H2PING": "h2ping checks are not supported", "UDP": "udp checks are not supported", "AliasNode": "alias checks are not supported",
        "AliasService": "alias checks are not supported", "OSService": "os_service checks are not supported",
    ]

    static func normalized(_ key: String) -> String { key.lowercased().replacingOccurrences(of: "_", with: "") }

    /// Decodes `body`, sent by `caller` (an address) at `time`.
    public func decode(_ body: String, caller: String, at time: Date) -> Result<Registration, Failure> {
        let reader = YAMLFields(file: source)
        var unknown = false
        func fail(_ code: String) -> Result<Registration, Failure> {
            .failure(Failure(code: code, diagnostics: reader.diagnostics.filter { $0.severity == .error }))
        }
        // Strict JSON first (YAML would take `Name: web`), then YAML's parser for positions.
        let data = Data(body.utf8)
        do {
            let object = try JSONSerialization.jsonObject(with: data, options: [])
            guard object is [String: Any] else {
                reader.error(at: nil, "the body must be a JSON object, like {\"Name\": \"web\", \"Port\": 8080}")
                return fail("bad_json")
            }
        } catch {
            reader.error(at: nil, "the body is not valid JSON (\(Self.reason(error)))")
            return fail("bad_json")
        }
        guard let root = reader.parse(body), case .mapping(let mapping) = root else {
            if reader.diagnostics.isEmpty { reader.error(at: nil, "the body must be a JSON object") }
            return fail("bad_json")
        }

        var fields: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            let normal = Self.normalized(name)
            if let (consul, why) = Self.unsupportedServiceKeys.first(where: { Self.normalized($0.key) == normal }) {
                if value.isNull { continue }
                reader.error(at: key, "'\(consul)' is not accepted: \(why)")
                continue
            }
            guard let canonical = Self.serviceKeys.first(where: { Self.normalized($0) == normal }) else {
                var message = "unknown field '\(name)' in the registration"
                if let near = didYouMean(name, among: Self.serviceKeys) { message += "; did you mean '\(near)'?" }
                reader.error(at: key, message)
                unknown = true
                continue
            }
            if Self.ignoredServiceKeys.contains(normal) || value.isNull { continue }
            fields[canonical] = (key, value)
        }
        let values = TypedValues(reader: reader, fields: fields, what: "the registration")
        let name = values.string("Name")
        if name == nil, fields["Name"] == nil { reader.error(at: root, "the registration has no 'Name': name the service, like {\"Name\": \"web\"}") }
        let id = values.string("ID") ?? name
        for (key, text) in [("Name", name), ("ID", id)] {
            guard let text else { continue }
            if let why = Self.nameProblem(text) { reader.error(at: fields[key]?.value ?? root, "'\(key)' \(why)") }
        }
        var address = values.string("Address") ?? ""
        if address.isEmpty { address = caller }
        if !AddressSyntax.isValidHost(address) {
            reader.error(at: fields["Address"]?.value ?? root, "'Address' must be a host name or an IP address, not '\(address.sanitizedForTerminal)'")
        }
        let port = values.int("Port", in: 0...65535)
        let tags = values.stringList("Tags") ?? []
        let meta = values.stringMap("Meta") ?? [:]

        var checkNodes: [Node] = []
        if let check = fields["Check"]?.value { checkNodes.append(check) }
        if let list = fields["Checks"]?.value {
            if case .sequence(let items) = list { checkNodes += items.filter { !$0.isNull } } else { reader.error(at: list, "'Checks' must be a list of checks") }
        }
        let serviceID = id ?? "?"
        let owner = "service '\(name ?? "?")' (ID '\(serviceID)')"
        var checks: [RegisteredCheck] = []
        var names = Set<String>()
        for (index, node) in checkNodes.enumerated() {
            let defaultID = checkNodes.count > 1 ? "service:\(serviceID):\(index + 1)" : "service:\(serviceID)"
            guard var check = self.check(node, owner: owner, serviceName: name ?? "?", defaultID: defaultID, reader: reader, unknown: &unknown) else { continue }
            // The dashboard's name: Consul's Name when short and unique, else the check's type.
            var short = check.config.name
            var n = 2
            while !names.insert(short).inserted {
                short = "\(check.config.name)-\(n)"
                n += 1
            }
            check.config.name = short
            checks.append(check)
        }
        let ids = checks.map(\.id)
        if Set(ids).count != ids.count { reader.error(at: root, "two checks of \(owner) have the same CheckID") }
        guard !reader.hasErrors, let name, let id else { return fail(unknown ? "unknown_field" : "invalid_registration") }
        return .success(Registration(
            id: id, name: name, address: address, port: port == 0 ? nil : port, tags: tags, meta: meta, checks: checks, by: caller, at: time, body: body
        ))
    }

    /// One check, its keys renamed to the cluster file's and read by the file's own reader.
    private func check(_ node: Node, owner: String, serviceName: String, defaultID: String, reader: YAMLFields, unknown: inout Bool) -> RegisteredCheck? {
        guard case .mapping(let mapping) = node else {
            reader.error(at: node, "a check of \(owner) must be an object")
            return nil
        }
        var renamed: [(Node, Node)] = []
        var own: [String: Node] = [:]
        // A refused target is said once, not again as "no target".
        var refusedTarget = false
        for (key, value) in mapping {
            let text = key.scalar?.string ?? ""
            let normal = Self.normalized(text)
            if let (consul, why) = Self.unsupportedCheckKeys.first(where: { Self.normalized($0.key) == normal }) {
                if value.isNull || value.scalar?.string == "" { continue }
                reader.error(at: key, "'\(consul)' in a check of \(owner) is not accepted: \(why)")
                refusedTarget = true
                continue
            }
            guard let entry = Self.checkKeys.first(where: { Self.normalized($0.consul) == normal }) else {
                var message = "unknown field '\(text)' in a check of \(owner)"
                if let near = didYouMean(text, among: Self.checkKeys.map(\.consul)) { message += "; did you mean '\(near)'?" }
                reader.error(at: key, message)
                unknown = true
                continue
            }
            if value.isNull { continue }
            guard let fileKey = entry.file else {
                own[Self.normalized(entry.consul)] = value
                continue
            }
            if fileKey == "exec", !allowExec {
                reader.error(at: key, "'\(entry.consul)' (a program Vitals would run) is refused: the cluster file does not say allow_api_exec_checks: true")
                refusedTarget = true
                continue
            }
            // Consul's Header is {"Name": ["value", ...]}; the file's is {"Name": "value"}.
            var value = value
            if fileKey == "headers", case .mapping(let headers) = value {
                value = .mapping(Node.Mapping(headers.map { name, values in
                    if case .sequence(let list) = values { return (name, Node.scalar(.init(list.compactMap { $0.scalar?.string }.joined(separator: ", "), .implicit, .doubleQuoted, values.mark))) }
                    return (name, values)
                }, .implicit, .any, value.mark))
            }
            if var scalar = key.scalar {
                scalar.string = fileKey
                renamed.append((.scalar(scalar), value))
            }
        }
        guard !refusedTarget else { return nil }
        let checkID = own["checkid"]?.scalar?.string ?? own["id"]?.scalar?.string ?? defaultID
        if let why = Self.nameProblem(checkID) { reader.error(at: own["checkid"] ?? own["id"] ?? node, "'CheckID' \(why)") }
        let consulName = own["name"]?.scalar?.string ?? "Service '\(serviceName)' check"
        // A type for the dashboard's name: the check's kind, or its own name when short.
        let kinds = ["http", "tcp", "exec", "ttl", "grpc"]
        let kind = renamed.compactMap { $0.0.scalar?.string }.first(where: kinds.contains) ?? "check"
        let given = own["name"]?.scalar?.string
        let display = given.flatMap { $0.count <= 24 && Self.nameProblem($0) == nil ? $0 : nil } ?? kind
        renamed.append((.scalar(.init("name", .implicit, .plain, node.mark)), .scalar(.init(display, .implicit, .doubleQuoted, node.mark))))
        let mappingNode = Node.mapping(Node.Mapping(renamed, .implicit, .any, node.mark))
        let what = "\(owner)"
        guard let config = ClusterReader(reader: reader).check(mappingNode, owner: what, defaults: defaults) else { return nil }
        return RegisteredCheck(id: checkID, consulName: consulName, notes: own["notes"]?.scalar?.string ?? "", config: config)
    }

    /// Why `text` cannot be an ID or name (nil when it can): empty, too long, or with characters
    /// that would break a URL path or a terminal.
    static func nameProblem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.count > maxNameLength { return "is longer than \(maxNameLength) characters" }
        if text.contains("/") { return "may not contain '/' ('\(text.sanitizedForTerminal)')" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) {
            return "may not contain spaces or control characters ('\(text.sanitizedForTerminal)')"
        }
        return nil
    }

    static func reason(_ error: any Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return text.sanitizedForTerminal
    }
}

/// Reads typed values from a JSON object as YAML nodes: JSON strings are quoted scalars, numbers
/// and booleans plain ones, so a wrong type is seen and named.
struct TypedValues {
    let reader: YAMLFields
    let fields: [String: (key: Node, value: Node)]
    let what: String

    func string(_ key: String) -> String? {
        guard let value = fields[key]?.value else { return nil }
        guard case .scalar(let scalar) = value, scalar.style != .plain else {
            reader.error(at: value, "'\(key)' in \(what) must be a string")
            return nil
        }
        return scalar.string
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = fields[key]?.value else { return nil }
        guard case .scalar(let scalar) = value, scalar.style == .plain, let number = Int(scalar.string), range.contains(number) else {
            reader.error(at: value, "'\(key)' in \(what) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return number
    }

    func stringList(_ key: String) -> [String]? {
        guard let value = fields[key]?.value else { return nil }
        guard case .sequence(let items) = value, let list = Optional(items.compactMap { item -> String? in
            guard case .scalar(let scalar) = item, scalar.style != .plain else { return nil }
            return scalar.string
        }), list.count == items.count else {
            reader.error(at: value, "'\(key)' in \(what) must be a list of strings")
            return nil
        }
        return list
    }

    func stringMap(_ key: String) -> [String: String]? {
        guard let value = fields[key]?.value else { return nil }
        guard case .mapping(let mapping) = value else {
            reader.error(at: value, "'\(key)' in \(what) must be an object of strings")
            return nil
        }
        var result: [String: String] = [:]
        for (name, item) in mapping {
            guard case .scalar(let scalar) = item, scalar.style != .plain, let name = name.scalar?.string else {
                reader.error(at: item, "'\(key)' in \(what) must be an object of strings")
                return nil
            }
            result[name] = scalar.string
        }
        return result
    }
}

extension Node {
    /// A JSON `null`.
    var isNull: Bool {
        if case .scalar(let scalar) = self { return scalar.style == .plain && scalar.string == "null" }
        return false
    }
}
