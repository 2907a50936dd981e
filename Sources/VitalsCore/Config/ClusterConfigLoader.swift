import Foundation
import Yams

/// Reads a cluster file and checks it, reporting every problem with file:line:column.
public enum ClusterConfigLoader {
    /// The result of loading: the config (when there were no errors) and every diagnostic.
    public struct Result: Sendable {
        public var config: ClusterConfig?
        public var diagnostics: [Diagnostic]
    }

    /// Loads and validates the file at `path`.
    /// - Throws: `ValidationFailure` when the file cannot be read or has errors.
    public static func load(path: String) throws -> ClusterConfig {
        let result = check(path: path)
        guard let config = result.config else { throw ValidationFailure(result.diagnostics) }
        return config
    }

    /// Loads and validates the file at `path` without throwing.
    public static func check(path: String) -> Result {
        switch TextFile.read(path) {
        case .success(let text): return check(text: text, file: path)
        case .failure(let problem): return Result(config: nil, diagnostics: [problem.diagnostic])
        }
    }

    /// Validates cluster-file `text`, naming `file` in messages.
    public static func check(text: String, file: String) -> Result {
        let reader = YAMLFields(file: file)
        guard let root = reader.parse(text) else { return Result(config: nil, diagnostics: reader.diagnostics) }
        let config = ClusterReader(reader: reader).cluster(root)
        let diagnostics = reader.diagnostics.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        return Result(config: reader.hasErrors ? nil : config.map { var c = $0; c.sourcePath = file; return c }, diagnostics: diagnostics)
    }
}

/// Walks the YAML tree of a cluster file; one method per level of the file.
struct ClusterReader {
    let reader: YAMLFields

    /// The shortest interval a check or scrape may have.
    static let shortestInterval = Duration.milliseconds(100)

    /// Top-level sections of the design not built yet: accepted with a warning.
    static let notYet: [String: String] = [:]

    func cluster(_ root: Node) -> ClusterConfig? {
        guard let fields = reader.mapping(
            root, "the cluster file", allowed: ["cluster", "defaults", "nodes", "simulation", "alerts", "alertmanager", "webhooks", "locks", "log_intake",
                       "allow_api_exec_checks", "max_registrations", "metrics", "scaling"],
            unsupported: Self.notYet
        ) else { return nil }
        let name = fields.string("cluster", required: true)
        let defaults = fields.value("defaults").map(self.defaults) ?? CheckDefaults()
        var nodes: [NodeConfig] = []
        // Read once: each read of a wrong-typed field reports it again.
        let items = fields.sequence("nodes")
        if let items {
            if items.isEmpty { reader.error(at: fields.value("nodes"), "'nodes' is empty: a cluster needs at least one node") }
            nodes = items.compactMap { node($0, defaults: defaults) }
        } else if !fields.has("nodes") {
            fields.missing("nodes")
        }
        duplicates(in: nodes.map(\.name), nodes: items ?? [], what: "node", owner: "the cluster")
        checkDependencies(nodes: nodes, items: items ?? [])
        let simulation = fields.value("simulation").flatMap { self.simulation($0, nodes: nodes) }
        let alerting = alerting(fields)
        let locks = (fields.sequence("locks") ?? []).compactMap(lock)
        let intake = fields.value("log_intake").map(logIntake) ?? LogIntakeConfig()
        guard let name else { return nil }
        var config = ClusterConfig(name: name, defaults: defaults, nodes: nodes, simulation: simulation, alerting: alerting, locks: locks)
        config.logIntake = intake
        config.allowAPIExecChecks = fields.bool("allow_api_exec_checks") ?? false
        config.maxRegistrations = fields.int("max_registrations", in: 0...1_000_000) ?? config.maxRegistrations
        if let node = fields.value("metrics") { config.metricsLimits = metricsLimits(node) }
        if let node = fields.value("scaling") { config.scaling = scaling(node, services: config.serviceNames) }
        return config
    }

    /// `metrics: { max_bytes: 256MB, sample_limit: 50000, label_limit: 64 }`.
    func metricsLimits(_ node: Node) -> MetricsLimits {
        var limits = MetricsLimits()
        guard let fields = reader.mapping(node, "metrics", allowed: ["max_bytes", "sample_limit", "label_limit"]) else { return limits }
        if let size = fields.value("max_bytes") {
            if let text = size.scalar?.string, let bytes = Self.byteSize(text), bytes >= 1024 * 1024, bytes <= 64 * 1024 * 1024 * 1024 {
                limits.maxBytes = bytes
            } else {
                reader.error(at: size, "max_bytes in metrics must be a size from 1MB to 64GB, like 256MB or 1GiB")
            }
        }
        limits.sampleLimit = fields.int("sample_limit", in: 1...10_000_000) ?? limits.sampleLimit
        limits.labelLimit = fields.int("label_limit", in: 1...1_000) ?? limits.labelLimit
        return limits
    }

    /// `log_intake: { syslog_udp: HOST:PORT, syslog_tcp: HOST:PORT, http: HOST:PORT, files: [...], max_bytes: 64MB }`.
    func logIntake(_ node: Node) -> LogIntakeConfig {
        var result = LogIntakeConfig()
        guard let fields = reader.mapping(node, "log_intake", allowed: ["syslog_udp", "syslog_tcp", "http", "files", "max_bytes"]) else { return result }
        for key in ["syslog_udp", "syslog_tcp", "http"] {
            guard let text = fields.string(key) else { continue }
            guard let address = AddressSyntax.hostPort(text) else {
                reader.error(at: fields.value(key), "'\(key)' in log_intake must be host:port, like 127.0.0.1:5514")
                continue
            }
            switch key {
            case "syslog_udp": result.syslogUDP = address
            case "syslog_tcp": result.syslogTCP = address
            default: result.http = address
            }
        }
        if let size = fields.value("max_bytes") {
            if let text = size.scalar?.string, let bytes = Self.byteSize(text), bytes >= 1024 * 1024, bytes <= 64 * 1024 * 1024 * 1024 {
                result.maxBytes = bytes
            } else {
                reader.error(at: size, "max_bytes in log_intake must be a size from 1MB to 64GB, like 64MB or 1GiB")
            }
        }
        for item in fields.sequence("files") ?? [] {
            if let file = logFile(item, what: "log_intake files", node: nil) { result.files.append(file) }
        }
        return result
    }

    /// A file entry: a path string, or `{ path|file: P, node: N, service: S, from: end|beginning }`.
    func logFile(_ item: Node, what: String, node: String?) -> LogFileConfig? {
        if let path = item.scalar?.string, case .scalar = item {
            guard path.hasPrefix("/") || path.hasPrefix(".") else {
                reader.error(at: item, "a file in \(what) must be a path, like /var/log/app/*.log")
                return nil
            }
            return LogFileConfig(path: path, node: node)
        }
        let key = node == nil ? "path" : "file"
        guard let fields = reader.mapping(item, "a file of \(what)", allowed: [key, "node", "service", "from"] + (node == nil ? [] : ["http"])) else { return nil }
        guard let path = fields.string(key, required: true) else { return nil }
        var result = LogFileConfig(path: path, node: node ?? fields.string("node"), service: fields.string("service"))
        if let from = fields.string("from") {
            switch from {
            case "end": result.fromBeginning = false
            case "beginning", "start": result.fromBeginning = true
            default: reader.error(at: fields.value("from"), "'from' of a log file is end or beginning, not '\(from)'")
            }
        }
        return result
    }

    /// `64MB`, `64MiB`, `1GB`, `512kB`, or a plain number of bytes (units are binary: logs are
    /// memory, and people mean MiB when they write MB).
    static func byteSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard let number = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scale: Int? = switch unit {
        case "", "b": 1
        case "k", "kb", "kib": 1 << 10
        case "m", "mb", "mib": 1 << 20
        case "g", "gb", "gib": 1 << 30
        default: nil
        }
        guard let scale, number <= Int.max / scale else { return nil }
        return number * scale
    }

    func defaults(_ node: Node) -> CheckDefaults {
        var result = CheckDefaults()
        guard let fields = reader.mapping(
            node, "defaults", allowed: ["interval", "timeout", "success_before_passing", "failures_before_critical", "breaker"]
        ) else { return result }
        result.breaker = fields.value("breaker").flatMap { breaker($0, what: "defaults") }
        if let value = fields.duration("interval", floor: Self.shortestInterval) { result.interval = value }
        if let value = fields.duration("timeout") { result.timeout = value }
        if let value = fields.int("success_before_passing", in: 1...100) { result.successBeforePassing = value }
        if let value = fields.int("failures_before_critical", in: 1...100) { result.failuresBeforeCritical = value }
        return result
    }

    /// `breaker: { after: 3, retry_every: 20s }`, or `breaker: off`.
    func breaker(_ node: Node, what: String) -> BreakerConfig? {
        if let text = node.scalar?.string, case .scalar = node {
            if ["off", "false", "no"].contains(text) { return nil }
            reader.error(at: node, "breaker in \(what) is a mapping like { after: 3, retry_every: 20s }, or off")
            return nil
        }
        guard let fields = reader.mapping(node, "breaker in \(what)", allowed: ["after", "retry_every"]) else { return nil }
        return BreakerConfig(rounds: fields.int("after", in: 1...100) ?? 3, retryEvery: fields.duration("retry_every") ?? .seconds(20))
    }

    func node(_ item: Node, defaults: CheckDefaults) -> NodeConfig? {
        guard let fields = reader.mapping(
            item, "a node", allowed: ["name", "address", "services", "checks", "metrics", "logs", "breaker"]
        ) else { return nil }
        let name = fields.string("name", required: true)
        let what = "node '\(name ?? "?")'"
        let address = fields.string("address", required: true)
        if let address, !AddressSyntax.isValidHost(address) {
            reader.error(at: fields.value("address"), "address '\(address)' of \(what) is not an IP address or host name")
        }
        let services = (fields.sequence("services") ?? []).compactMap { service($0, node: name ?? "?", defaults: defaults) }
        let checks = (fields.sequence("checks") ?? []).compactMap { check($0, owner: what, defaults: defaults) }
        duplicates(in: checks.map(\.name), nodes: fields.sequence("checks") ?? [], what: "check", owner: what)
        duplicates(in: services.map(\.name), nodes: fields.sequence("services") ?? [], what: "service", owner: what)
        var metricsURL: String?
        var metricsInterval: Duration?
        var metricsTimeout: Duration?
        var metricsRetention: Duration?
        var sampleLimit: Int?
        var labelLimit: Int?
        if let metrics = fields.value("metrics"), let m = reader.mapping(metrics, "metrics of \(what)", allowed: ["url", "interval", "timeout", "retention", "sample_limit", "label_limit"]) {
            metricsURL = m.string("url", required: true)
            if let url = metricsURL, HTTPTarget(url) == nil {
                reader.error(at: m.value("url"), "metrics url '\(url)' of \(what) is not an http:// or https:// URL with a host")
            }
            metricsInterval = m.duration("interval", floor: Self.shortestInterval)
            metricsTimeout = m.duration("timeout")
            metricsRetention = m.duration("retention")
            sampleLimit = m.int("sample_limit", in: 1...10_000_000)
            labelLimit = m.int("label_limit", in: 1...1_000)
            if let retention = metricsRetention, retention > .seconds(7 * 86_400) {
                reader.error(at: m.value("retention"), "retention of \(what) is at most 7 days (the store is in memory)")
                metricsRetention = nil
            }
            if let interval = metricsInterval ?? Optional(defaults.interval), let timeout = metricsTimeout, timeout > interval {
                reader.warning(at: m.value("timeout"), "metrics of \(what): timeout \(timeout.goString) is longer than the scrape interval \(interval.goString)")
            }
        }
        var logURLs: [String] = []
        var logFiles: [LogFileConfig] = []
        for entry in fields.sequence("logs") ?? [] {
            if entry.mapping?.keys.contains(where: { $0.string == "file" }) == true {
                if let file = logFile(entry, what: "the logs of \(what)", node: name ?? "?") { logFiles.append(file) }
                continue
            }
            guard let l = reader.mapping(entry, "a log source of \(what)", allowed: ["http", "file"]) else { continue }
            guard let url = l.string("http", required: true) else { continue }
            if HTTPTarget(url) == nil {
                reader.error(at: l.value("http"), "log url '\(url)' of \(what) is not an http:// or https:// URL with a host")
            }
            logURLs.append(url)
        }
        guard let name, let address else { return nil }
        var result = NodeConfig(name: name, address: address, services: services, checks: checks, metricsURL: metricsURL, logURLs: logURLs)
        result.metricsInterval = metricsInterval
        result.metricsTimeout = metricsTimeout
        result.metricsRetention = metricsRetention
        result.sampleLimit = sampleLimit
        result.labelLimit = labelLimit
        result.logFiles = logFiles
        result.breaker = fields.has("breaker") ? fields.value("breaker").flatMap { breaker($0, what: what) } : defaults.breaker
        return result
    }

    func service(_ item: Node, node: String, defaults: CheckDefaults) -> ServiceConfig? {
        guard let fields = reader.mapping(
            item, "a service of node '\(node)'", allowed: ["name", "port", "depends_on", "checks"],
            unsupported: ["scaling": "autoscaling is planned"]
        ) else { return nil }
        let name = fields.string("name", required: true)
        let what = "service '\(name ?? "?")' on node '\(node)'"
        let port = fields.int("port", in: 1...65535)
        let dependsOn = (fields.stringList("depends_on") ?? []).map(\.0)
        let checks = (fields.sequence("checks") ?? []).compactMap { check($0, owner: what, defaults: defaults) }
        duplicates(in: checks.map(\.name), nodes: fields.sequence("checks") ?? [], what: "check", owner: what)
        guard let name else { return nil }
        return ServiceConfig(name: name, port: port, dependsOn: dependsOn, checks: checks)
    }

    static let checkKeys = [
        "name", "http", "tcp", "exec", "ttl", "interval", "timeout", "success_before_passing", "failures_before_critical",
        "expect_status", "body_contains", "response_time_below", "retries", "failures_before_warning", "initial_status", "send", "expect", "dns", "record", "server", "deregister_critical_service_after",
        "method", "headers", "body", "body_regex", "body_json", "tls_skip_verify", "tls_ca_file", "tls_server_name", "tls_expiry_warning", "tls_cert_file", "tls_key_file",
        "grpc", "grpc_service", "grpc_use_tls",
    ]

    func check(_ item: Node, owner: String, defaults: CheckDefaults) -> CheckConfig? {
        guard let fields = reader.mapping(item, "a check of \(owner)", allowed: Self.checkKeys) else { return nil }
        let name = fields.string("name", required: true)
        let what = "check '\(name ?? "?")' of \(owner)"
        var target: CheckConfig.Target?
        let kinds = ["http", "tcp", "exec", "dns", "ttl", "grpc"].filter(fields.has)
        if kinds.count > 1 {
            reader.error(at: fields.keyNode(kinds[1]), "\(what) has more than one target (\(kinds.joined(separator: ", "))): give exactly one")
        } else if let kind = kinds.first {
            target = self.target(kind: kind, fields: fields, what: what)
        } else {
            reader.error(
                at: fields.node,
                "\(what) has no target: give one of 'http' (a URL), 'tcp' (host:port), 'exec' (a program and its arguments), 'grpc' (host:port), 'dns' (a name) or 'ttl' (a duration)"
            )
        }
        for key in ["send"] where fields.has(key) && target.map({ $0.typeName != "tcp" }) == true {
            reader.error(at: fields.keyNode(key), "'\(key)' in \(what) only applies to tcp checks")
        }
        for key in ["expect"] where fields.has(key) && target.map({ !["tcp", "dns"].contains($0.typeName) }) == true {
            reader.error(at: fields.keyNode(key), "'\(key)' in \(what) only applies to tcp and dns checks")
        }
        for key in ["record", "server"] where fields.has(key) && target.map({ $0.typeName != "dns" }) == true {
            reader.error(at: fields.keyNode(key), "'\(key)' in \(what) only applies to dns checks")
        }
        for key in ["grpc_service", "grpc_use_tls"] where fields.has(key) && target.map({ $0.typeName != "grpc" }) == true {
            reader.error(at: fields.keyNode(key), "'\(key)' in \(what) only applies to grpc checks")
        }
        let interval = fields.duration("interval", floor: Self.shortestInterval) ?? defaults.interval
        let timeout = fields.duration("timeout") ?? defaults.timeout
        if timeout > interval {
            reader.warning(at: fields.value("timeout") ?? fields.node, "\(what): timeout \(timeout.goString) is longer than its interval \(interval.goString)")
        }
        let expect = statusList(fields, what: what)
        if !expect.isEmpty, target.map({ $0.typeName != "http" }) == true {
            reader.error(at: fields.keyNode("expect_status"), "'expect_status' in \(what) only applies to http checks")
        }
        let body = fields.string("body_contains")
        if body != nil, target.map({ $0.typeName != "http" }) == true {
            reader.error(at: fields.keyNode("body_contains"), "'body_contains' in \(what) only applies to http checks")
        }
        let failuresBeforeCritical = fields.int("failures_before_critical", in: 1...100) ?? defaults.failuresBeforeCritical
        let failuresBeforeWarning = fields.int("failures_before_warning", in: 1...100)
        if let warning = failuresBeforeWarning, warning >= failuresBeforeCritical {
            reader.error(at: fields.value("failures_before_warning"), "\(what): failures_before_warning (\(warning)) must be below failures_before_critical (\(failuresBeforeCritical))")
        }
        var initial: Status?
        if let text = fields.string("initial_status") {
            if let status = Status(rawValue: text), [.passing, .warning, .critical].contains(status) {
                initial = status
            } else {
                reader.error(at: fields.value("initial_status"), "\(what): initial_status is passing, warning or critical, not '\(text)'")
            }
        }
        guard let name, let target else { return nil }
        var result = CheckConfig(
            name: name, target: target, interval: interval, timeout: timeout,
            successBeforePassing: fields.int("success_before_passing", in: 1...100) ?? defaults.successBeforePassing,
            failuresBeforeCritical: failuresBeforeCritical,
            expectStatus: expect, bodyContains: body,
            responseTimeBelow: fields.duration("response_time_below"),
            retries: fields.int("retries", in: 0...10) ?? 0
        )
        result.failuresBeforeWarning = failuresBeforeWarning
        result.initialStatus = initial
        result.deregisterCriticalAfter = fields.duration("deregister_critical_service_after")
        httpOptions(&result, fields: fields, what: what)
        tlsOptions(&result, fields: fields, what: what)
        result.send = fields.string("send")
        result.expect = fields.string("expect")
        return result
    }

    /// `expect_status: [200, 204]`, `[2xx]`, `["200-299", 301]`: codes, classes and ranges.
    func statusList(_ fields: YAMLFields.Fields, what: String) -> [Int] {
        guard let items = fields.sequence("expect_status") else { return [] }
        var codes: [Int] = []
        for item in items {
            let text = item.scalar?.string ?? ""
            if let code = Int(text), (100...599).contains(code) {
                codes.append(code)
            } else if text.count == 3, text.hasSuffix("xx"), let digit = Int(text.prefix(1)), (1...5).contains(digit) {
                codes += Array(digit * 100...digit * 100 + 99)
            } else if let dash = text.firstIndex(of: "-"), let low = Int(text[..<dash]), let high = Int(text[text.index(after: dash)...]),
                      (100...599).contains(low), (low...599).contains(high) {
                codes += Array(low...high)
            } else {
                reader.error(at: item, "items of 'expect_status' in \(what) are codes (200), classes (2xx) or ranges (200-299)")
            }
        }
        return codes
    }

    /// `method`, `headers`, `body`, `body_regex` and `body_json: { path: $.status, equals: UP }` of http checks.
    func httpOptions(_ check: inout CheckConfig, fields: YAMLFields.Fields, what: String) {
        let keys = ["method", "headers", "body", "body_regex", "body_json"]
        if check.target.typeName != "http" {
            for key in keys where fields.has(key) { reader.error(at: fields.keyNode(key), "'\(key)' in \(what) only applies to http checks") }
            return
        }
        if let method = fields.string("method") {
            let known = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
            if known.contains(method.uppercased()) { check.method = method.uppercased() } else {
                reader.error(at: fields.value("method"), "\(what): method is one of \(known.joined(separator: ", ")), not '\(method)'")
            }
        }
        if let headers = fields.value("headers") {
            for (name, keyNode, valueNode) in reader.pairs(headers, "headers of \(what)") ?? [] {
                guard let value = reader.scalar(valueNode, "the header '\(name)'") else { continue }
                if name.contains(where: { $0 == ":" || $0 == " " || $0 == "\r" || $0 == "\n" }) || value.contains(where: { $0 == "\r" || $0 == "\n" }) {
                    reader.error(at: keyNode, "\(what): the header '\(name)' has characters a header cannot have")
                    continue
                }
                check.headers[name] = value
            }
        }
        check.requestBody = fields.string("body")
        if let regex = fields.string("body_regex") {
            do {
                _ = try LinearRegex(regex)
                check.bodyRegex = regex
            } catch {
                reader.error(at: fields.value("body_regex"), "\(what): body_regex is not taken: \(error)")
            }
        }
        if let node = fields.value("body_json"), let json = reader.mapping(node, "body_json of \(what)", allowed: ["path", "equals"]) {
            if let path = json.string("path", required: true), let equals = json.string("equals", required: true) {
                if JSONPath.parse(path) == nil {
                    reader.error(at: json.value("path"), "\(what): path is like $.status or $.checks[0].state")
                } else {
                    check.bodyJSON = JSONCondition(path: path, equals: equals)
                }
            }
        }
    }

    static let tlsKeys = ["tls_skip_verify", "tls_ca_file", "tls_server_name", "tls_cert_file", "tls_key_file"]

    /// `tls_skip_verify`, `tls_ca_file`, `tls_server_name`, `tls_cert_file` and `tls_key_file`
    /// (PEM files, relative to the cluster file) of https and TLS gRPC checks, and
    /// `tls_expiry_warning` of https checks.
    func tlsOptions(_ check: inout CheckConfig, fields: YAMLFields.Fields, what: String) {
        let usesTLS = switch check.target {
        case .http(let url): HTTPTarget(url)?.tls == true
        case .grpc(_, _, _, let tls): tls
        default: false
        }
        let isHTTPS = if case .http = check.target { usesTLS } else { false }
        if fields.has("tls_expiry_warning"), !isHTTPS {
            reader.error(at: fields.keyNode("tls_expiry_warning"), "'tls_expiry_warning' in \(what) only applies to https:// URLs")
        } else if fields.string("tls_expiry_warning") == "off" {
            check.tlsExpiryWarning = nil
        } else if let warning = fields.duration("tls_expiry_warning") {
            check.tlsExpiryWarning = warning
        }
        check.tls = tls(fields, what: what, usesTLS: usesTLS, appliesTo: "https:// URLs and grpc checks with grpc_use_tls")
    }

    /// The TLS keys of a check or a lock source; errors at each one when the target does not speak TLS.
    func tls(_ fields: YAMLFields.Fields, what: String, usesTLS: Bool, appliesTo: String) -> TLSOptions {
        var options = TLSOptions()
        guard usesTLS else {
            for key in Self.tlsKeys where fields.has(key) {
                reader.error(at: fields.keyNode(key), "'\(key)' in \(what) only applies to \(appliesTo)")
            }
            return options
        }
        options.skipVerify = fields.bool("tls_skip_verify") ?? false
        if let name = fields.string("tls_server_name") {
            if AddressSyntax.isValidHost(name) { options.serverName = name } else {
                reader.error(at: fields.value("tls_server_name"), "\(what): tls_server_name '\(name)' is not a host name")
            }
        }
        if fields.has("tls_cert_file") != fields.has("tls_key_file") {
            let given = fields.has("tls_cert_file") ? "tls_cert_file" : "tls_key_file"
            reader.error(at: fields.keyNode(given), "\(what): give tls_cert_file and tls_key_file together (a client certificate and its key)")
        } else {
            options.certFile = pemFile(fields, "tls_cert_file", holding: "CERTIFICATE", what: what)
            options.keyFile = pemFile(fields, "tls_key_file", holding: "PRIVATE KEY", what: what)
        }
        options.caFile = pemFile(fields, "tls_ca_file", holding: "CERTIFICATE", what: what)
        if options.skipVerify, options.caFile != nil {
            reader.warning(at: fields.keyNode("tls_skip_verify"), "\(what): tls_skip_verify makes tls_ca_file unused")
        }
        return options
    }

    /// The path of the PEM file `key` names (relative to the cluster file), when it exists and
    /// holds a `-----BEGIN …label…` block; else an error at its value.
    func pemFile(_ fields: YAMLFields.Fields, _ key: String, holding label: String, what: String) -> String? {
        guard let file = fields.string(key) else { return nil }
        let path = file.hasPrefix("/") ? file : (reader.file as NSString).deletingLastPathComponent.appendingPathComponent(file)
        switch TextFile.read(path) {
        case .success(let text) where text.contains("-----BEGIN ") && text.contains("\(label)-----"):
            return path
        case .success:
            reader.error(at: fields.value(key), "\(what): \(key) \(file) holds no PEM \(label.lowercased()) (-----BEGIN \(label)-----)")
        case .failure(let error):
            reader.error(at: fields.value(key), "\(what): \(key) \(file): \(error.diagnostic.message)")
        }
        return nil
    }

    func target(kind: String, fields: YAMLFields.Fields, what: String) -> CheckConfig.Target? {
        if kind == "grpc" {
            // Consul's spelling: host:port, or host:port/service.
            guard let text = fields.string("grpc") else { return nil }
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let (host, port) = AddressSyntax.hostPort(String(parts[0])) else {
                reader.error(at: fields.value("grpc"), "\(what): '\(text)' is not host:port or host:port/service (like 127.0.0.1:2379)")
                return nil
            }
            var service = parts.count > 1 ? String(parts[1]) : ""
            if let named = fields.string("grpc_service") {
                if parts.count > 1, named != service {
                    reader.error(at: fields.value("grpc_service"), "\(what): grpc_service '\(named)' differs from the service in '\(text)'")
                }
                service = named
            }
            return .grpc(host: host, port: port, service: service, tls: fields.bool("grpc_use_tls") ?? false)
        }
        if kind == "ttl" {
            guard let ttl = fields.duration("ttl") else { return nil }
            return .ttl(ttl)
        }
        if kind == "dns" {
            guard let name = fields.string("dns") else { return nil }
            let record = (fields.string("record") ?? "A").uppercased()
            if DNSRecordTypes.names.contains(record) == false {
                reader.error(at: fields.value("record"), "\(what): record is one of \(DNSRecordTypes.names.joined(separator: ", ")), not '\(record)'")
                return nil
            }
            let server = fields.string("server")
            if let server, AddressSyntax.hostPort(server) == nil, !AddressSyntax.isValidHost(server) {
                reader.error(at: fields.value("server"), "\(what): server is a host or host:port, like 127.0.0.1:53")
                return nil
            }
            return .dns(name: name, record: record, server: server)
        }
        if kind == "exec" {
            // A list of arguments, never a line for a shell to split.
            if case .scalar = fields.value("exec") {
                reader.error(at: fields.value("exec"), "\(what): give 'exec' as a list of arguments, like [/usr/lib/nagios/plugins/check_disk, -w, 20%] (no shell runs it)")
                return nil
            }
            guard let argv = fields.stringList("exec") else { return nil }
            guard !argv.isEmpty else {
                reader.error(at: fields.value("exec"), "\(what): 'exec' needs at least the program to run")
                return nil
            }
            return .exec(argv: argv.map(\.0))
        }
        guard let text = fields.string(kind) else { return nil }
        if kind == "http" {
            guard HTTPTarget(text) != nil else {
                reader.error(at: fields.value(kind), "\(what): '\(text)' is not an http:// or https:// URL with a host")
                return nil
            }
            return .http(url: text)
        }
        guard let (host, port) = AddressSyntax.hostPort(text) else {
            reader.error(at: fields.value(kind), "\(what): '\(text)' is not host:port (like 127.0.0.1:8080)")
            return nil
        }
        return .tcp(host: host, port: port)
    }

    func simulation(_ item: Node, nodes: [NodeConfig]) -> SimulationConfig? {
        guard let fields = reader.mapping(item, "simulation", allowed: ["nodes", "scenario", "faults", "locks", "register"]) else { return nil }
        var result = SimulationConfig()
        if let scenario = fields.string("scenario") {
            if SimulationConfig.knownScenarios.contains(scenario) {
                result.scenario = scenario
            } else {
                var message = "unknown scenario '\(scenario)' (known: \(SimulationConfig.knownScenarios.joined(separator: ", ")))"
                if let guess = didYouMean(scenario, among: SimulationConfig.knownScenarios) { message += "; did you mean '\(guess)'?" }
                reader.error(at: fields.value("scenario"), message)
            }
        }
        if let value = fields.value("nodes") {
            if case .scalar(let scalar) = value {
                if scalar.string != "all" { reader.error(at: value, "'nodes' in simulation must be 'all' or a list of node names") }
            } else if let names = fields.stringList("nodes") {
                let known = nodes.map(\.name)
                for (name, node) in names where !known.contains(name) {
                    var message = "simulation names node '\(name)', which the file does not define"
                    if let guess = didYouMean(name, among: known) { message += "; did you mean '\(guess)'?" }
                    reader.error(at: node, message)
                }
                result.nodes = names.map(\.0)
            }
        }
        if let value = fields.value("faults") {
            let known = nodes.map(\.name)
            for (name, keyNode, faultNode) in reader.pairs(value, "simulation faults") ?? [] {
                guard let fault = reader.scalar(faultNode, "the fault of '\(name)'") else { continue }
                if !known.contains(name) {
                    var message = "simulation faults name node '\(name)', which the file does not define"
                    if let guess = didYouMean(name, among: known) { message += "; did you mean '\(guess)'?" }
                    reader.error(at: keyNode, message)
                } else if !SimulationConfig.knownFaults.contains(fault) {
                    reader.error(at: faultNode, "unknown fault '\(fault)' (known: \(SimulationConfig.knownFaults.joined(separator: ", ")))")
                } else {
                    result.faults[name] = fault
                }
            }
        }
        result.locks = (fields.sequence("locks") ?? []).compactMap { simulatedLock($0, nodes: nodes) }
        // Services of which the simulator starts one more instance that registers itself through the API.
        for (name, node) in fields.stringList("register") ?? [] {
            let known = Set(nodes.filter { result.simulates($0.name) }.flatMap(\.services).map(\.name))
            guard known.contains(name) else {
                var message = "simulation registers an instance of '\(name)', which no simulated node runs"
                if let guess = didYouMean(name, among: known.sorted()) { message += "; did you mean '\(guess)'?" }
                reader.error(at: node, message)
                continue
            }
            result.register.append(name)
        }
        return result
    }

    /// Reports a name used twice among siblings, at the second use.
    func duplicates(in names: [String], nodes: [Node], what: String, owner: String) {
        var seen = Set<String>()
        for node in nodes {
            guard let fields = node.mapping, let nameNode = fields["name"], let name = nameNode.string else { continue }
            guard names.contains(name) else { continue }
            if !seen.insert(name).inserted {
                reader.error(at: nameNode, "duplicate \(what) name '\(name)' in \(owner)")
            }
        }
    }

    func checkDependencies(nodes: [NodeConfig], items: [Node]) {
        let known = Set(nodes.flatMap(\.services).map(\.name))
        for item in items {
            for service in item.mapping?["services"]?.sequence ?? [] {
                let serviceName = service.mapping?["name"]?.string ?? "?"
                for dependency in service.mapping?["depends_on"]?.sequence ?? [] {
                    guard let name = dependency.string else { continue }
                    if name == serviceName {
                        reader.error(at: dependency, "service '\(serviceName)' depends on itself")
                    } else if !known.contains(name) {
                        var message = "service '\(serviceName)' depends on '\(name)', which no node runs"
                        if let guess = didYouMean(name, among: Array(known)) { message += "; did you mean '\(guess)'?" }
                        reader.error(at: dependency, message)
                    }
                }
            }
        }
    }
}
