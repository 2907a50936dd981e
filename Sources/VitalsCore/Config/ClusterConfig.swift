/// A cluster file, parsed and validated: what to watch and how.
public struct ClusterConfig: Sendable, Equatable {
    /// The cluster's name, shown in the status bar and the snapshot.
    public var name: String
    public var defaults: CheckDefaults
    public var nodes: [NodeConfig]
    /// Which nodes the simulator serves in-process, and the scenario it plays; `nil` for a real cluster.
    public var simulation: SimulationConfig?
    /// Alert rules (Vitals' own and the file's) and where alerts go.
    public var alerting: AlertingConfig
    /// Distributed locks and leader keys to watch in etcd.
    public var locks: [LockConfig]
    /// Where Vitals listens for logs the cluster sends it.
    public var logIntake = LogIntakeConfig()
    /// The file this came from, for messages.
    public var sourcePath: String
    /// Whether services registering through the API may give `Args` checks (programs Vitals
    /// runs): Consul's `enable_script_checks`, off unless the file says `allow_api_exec_checks: true`.
    public var allowAPIExecChecks = false
    /// The most services that may be registered through the API at once (`max_registrations`).
    public var maxRegistrations = 10_000
    /// Bounds on scraped metrics (`metrics:` at the top of the file).
    public var metricsLimits = MetricsLimits()
    /// Replica advice per service, and how it may be applied (`scaling:`).
    public var scaling = ScalingConfig()

    public init(
        name: String, defaults: CheckDefaults = CheckDefaults(), nodes: [NodeConfig],
        simulation: SimulationConfig? = nil, alerting: AlertingConfig = AlertingConfig(), locks: [LockConfig] = [],
        sourcePath: String = "<memory>"
    ) {
        self.alerting = alerting
        self.locks = locks
        self.name = name
        self.defaults = defaults
        self.nodes = nodes
        self.simulation = simulation
        self.sourcePath = sourcePath
    }

    /// Every service name in the cluster, once each, in file order.
    public var serviceNames: [String] {
        var seen = Set<String>()
        return nodes.flatMap(\.services).map(\.name).filter { seen.insert($0).inserted }
    }

    /// Every check in the cluster with the node and (for service checks) the service it belongs to.
    public var allChecks: [CheckID: CheckConfig] {
        var result: [CheckID: CheckConfig] = [:]
        for node in nodes {
            for check in node.checks { result[CheckID(node: node.name, service: nil, check: check.name)] = check }
            for service in node.services {
                for check in service.checks {
                    result[CheckID(node: node.name, service: service.name, check: check.name)] = check
                }
            }
        }
        return result
    }
}

/// Intervals and thresholds that checks inherit unless they say otherwise.
public struct CheckDefaults: Sendable, Equatable {
    public var interval: Duration
    public var timeout: Duration
    public var successBeforePassing: Int
    public var failuresBeforeCritical: Int
    /// Every node's breaker, unless the node gives its own.
    public var breaker: BreakerConfig?

    public init(
        interval: Duration = .seconds(5), timeout: Duration = .seconds(2),
        successBeforePassing: Int = 1, failuresBeforeCritical: Int = 1
    ) {
        self.interval = interval
        self.timeout = timeout
        self.successBeforePassing = successBeforePassing
        self.failuresBeforeCritical = failuresBeforeCritical
    }
}

/// A machine (or container) with an address, node-level checks and the services it runs.
public struct NodeConfig: Sendable, Equatable {
    public var name: String
    public var address: String
    public var services: [ServiceConfig]
    /// Checks of the node itself, not of one service.
    public var checks: [CheckConfig]
    /// Where the node's Prometheus metrics are scraped from.
    public var metricsURL: String?
    /// How often, and how long a scrape may take (defaults: the check defaults' interval, and
    /// that interval up to 5 s).
    public var metricsInterval: Duration?
    public var metricsTimeout: Duration?
    /// How long the scraped series rules read are kept (default 1 h).
    public var metricsRetention: Duration?
    /// This node's own `sample_limit` and `label_limit` (else the file's `metrics:` ones).
    public var sampleLimit: Int?
    public var labelLimit: Int?
    /// HTTP endpoints that serve the node's recent log lines.
    public var logURLs: [String]
    /// Local files holding the node's logs (tailed across rotation).
    public var logFiles: [LogFileConfig] = []
    /// After how many rounds of every check failing the node's probes slow down, and to what pace;
    /// nil: never (the default, unless `defaults` says otherwise).
    public var breaker: BreakerConfig?
    /// Set for a node that registered itself through the API; nil for the file's own.
    public var origin: NodeOrigin?

    public init(
        name: String, address: String, services: [ServiceConfig] = [], checks: [CheckConfig] = [],
        metricsURL: String? = nil, logURLs: [String] = []
    ) {
        self.name = name
        self.address = address
        self.services = services
        self.checks = checks
        self.metricsURL = metricsURL
        self.logURLs = logURLs
    }
}

/// A service instance running on one node, Consul-style.
public struct ServiceConfig: Sendable, Equatable {
    public var name: String
    public var port: Int?
    /// Names of the services this one needs in order to work.
    public var dependsOn: [String]
    public var checks: [CheckConfig]

    public init(name: String, port: Int? = nil, dependsOn: [String] = [], checks: [CheckConfig] = []) {
        self.name = name
        self.port = port
        self.dependsOn = dependsOn
        self.checks = checks
    }
}

/// A node's circuit breaker: open after `rounds` rounds in which every check failed, then one
/// probe every `retryEvery` until one passes.
public struct BreakerConfig: Sendable, Equatable {
    public var rounds: Int
    public var retryEvery: Duration

    public init(rounds: Int = 3, retryEvery: Duration = .seconds(20)) {
        self.rounds = rounds
        self.retryEvery = retryEvery
    }
}

/// A JSON value an HTTP check's body must hold: the value at `path` (`$.a.b[0]`) as text equals `equals`.
public struct JSONCondition: Sendable, Equatable {
    public var path: String
    public var equals: String

    public init(path: String, equals: String) {
        self.path = path
        self.equals = equals
    }
}

/// How a check's TLS connection is trusted: `https://` URLs, and grpc checks with `grpc_use_tls`.
public struct TLSOptions: Sendable, Hashable {
    /// Accept any certificate (Consul's `tls_skip_verify`): encrypted, not authenticated.
    public var skipVerify: Bool
    /// PEM certificates of the CAs to trust instead of the system's.
    public var caFile: String?
    /// The name to send (SNI) and to find in the certificate, when it is not the URL's host.
    public var serverName: String?
    /// A client certificate (PEM, its chain after it) and its key, for servers that ask for one
    /// (etcd with `--client-cert-auth`, mutual TLS).
    public var certFile: String?
    public var keyFile: String?

    public init(skipVerify: Bool = false, caFile: String? = nil, serverName: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.skipVerify = skipVerify
        self.caFile = caFile
        self.serverName = serverName
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// Record types a `dns` check can ask for.
public enum DNSRecordTypes {
    public static let names = ["A", "AAAA", "CNAME", "MX", "NS", "SRV", "TXT"]
}

/// One health check: what to probe, how often, and when a result changes the status.
public struct CheckConfig: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// An HTTP GET; 2xx is passing, 429 warning, anything else critical (Consul's rule),
        /// unless `expectStatus` says otherwise.
        case http(url: String)
        /// A TCP connect to host:port.
        case tcp(host: String, port: Int)
        /// A program run with these arguments (no shell): exit 0 passing, 1 warning, else critical.
        case exec(argv: [String])
        /// A DNS question for `name`'s `record` (A, AAAA, CNAME, MX, NS, SRV, TXT) to `server`
        /// (host or host:port; nil: the system's first nameserver).
        case dns(name: String, record: String, server: String?)
        /// Passing only while heartbeats arrive (`vitals ttl pass|warn|fail CHECK`) at least this often.
        case ttl(Duration)
        /// The standard gRPC health call (`grpc.health.v1.Health/Check`) for `service` ("" is the
        /// server as a whole) at host:port, over TLS when `tls`.
        case grpc(host: String, port: Int, service: String, tls: Bool)

        /// The check type as named in the file and the snapshot.
        public var typeName: String {
            switch self {
            case .http: "http"
            case .tcp: "tcp"
            case .exec: "exec"
            case .dns: "dns"
            case .ttl: "ttl"
            case .grpc: "grpc"
            }
        }

        /// The target as written: a URL, host:port, or the command line (arguments with spaces quoted).
        public var description: String {
            switch self {
            case .http(let url): url
            case .tcp(let host, let port): AddressSyntax.join(host, port)
            case .exec(let argv): argv.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
            case .dns(let name, let record, let server): "\(record) \(name)" + (server.map { " @\($0)" } ?? "")
            case .ttl(let ttl): "heartbeat every \(ttl.goString) or less"
            case .grpc(let host, let port, let service, let tls):
                AddressSyntax.join(host, port) + (service.isEmpty ? "" : "/\(service)") + (tls ? " (TLS)" : "")
            }
        }
    }

    public var name: String
    public var target: Target
    public var interval: Duration
    public var timeout: Duration
    /// Consecutive passing results needed before a non-passing check turns passing.
    public var successBeforePassing: Int
    /// Consecutive failing results needed before a non-critical check turns critical.
    public var failuresBeforeCritical: Int
    /// HTTP statuses that count as passing (empty: any 2xx).
    public var expectStatus: [Int]
    /// A substring the HTTP body must contain to pass.
    public var bodyContains: String?
    /// Slower than this is a warning even when the answer is right.
    public var responseTimeBelow: Duration?
    /// Extra attempts, within one round, before a round counts as failed.
    public var retries: Int
    /// Consecutive failures after which a passing check turns warning first (Consul's
    /// `failures_before_warning`); nil: straight to critical after `failuresBeforeCritical`.
    public var failuresBeforeWarning: Int?
    /// The status before the first result (Consul's `status`); nil: the first result is taken as it is.
    public var initialStatus: Status?
    /// Consul's `deregister_critical_service_after`: a service registered through the API is
    /// deregistered once this check has been critical this long; for the file's services Vitals
    /// only says when Consul would have.
    public var deregisterCriticalAfter: Duration?
    /// HTTP checks: the method (GET), extra headers, a request body, a regex the body must match,
    /// and a JSON value the body must hold at a path (`$.status` = `UP`).
    public var method = "GET"
    public var headers: [String: String] = [:]
    public var requestBody: String?
    public var bodyRegex: String?
    public var bodyJSON: JSONCondition?
    /// How https and gRPC-over-TLS checks trust the server.
    public var tls = TLSOptions()
    /// An https check whose certificate ends sooner than this is a warning (nil: never).
    public var tlsExpiryWarning: Duration? = .seconds(7 * 86_400)
    /// TCP checks: bytes written once connected, and text the answer must contain to pass.
    public var send: String?
    public var expect: String?

    public init(
        name: String, target: Target, interval: Duration = .seconds(5), timeout: Duration = .seconds(2),
        successBeforePassing: Int = 1, failuresBeforeCritical: Int = 1, expectStatus: [Int] = [],
        bodyContains: String? = nil, responseTimeBelow: Duration? = nil, retries: Int = 0
    ) {
        self.name = name
        self.target = target
        self.interval = interval
        self.timeout = timeout
        self.successBeforePassing = successBeforePassing
        self.failuresBeforeCritical = failuresBeforeCritical
        self.expectStatus = expectStatus
        self.bodyContains = bodyContains
        self.responseTimeBelow = responseTimeBelow
        self.retries = retries
    }
}

/// Where Vitals takes logs in: syslog listeners, an HTTP push endpoint, local files, and how
/// many bytes of lines it keeps.
/// What scraped metrics may cost, as Prometheus bounds a scrape: an exposition with more samples
/// than `sampleLimit`, or a new series with more labels than `labelLimit`, fails the scrape with
/// the reason and nothing of it is kept; every node's store together stays within `maxBytes`
/// (the oldest samples go first).
public struct MetricsLimits: Sendable, Equatable {
    public var maxBytes = 256 * 1024 * 1024
    public var sampleLimit = 50_000
    public var labelLimit = 64

    public init() {}
}

public struct LogIntakeConfig: Sendable, Equatable {
    public var syslogUDP: (host: String, port: Int)?
    public var syslogTCP: (host: String, port: Int)?
    /// Where `POST /v1/logs` (JSON lines) is served.
    public var http: (host: String, port: Int)?
    /// Files (globs allowed) whose lines name their node themselves, or are claimed by file name.
    public var files: [LogFileConfig]
    /// The most bytes of log lines kept; the oldest go first.
    public var maxBytes: Int

    public static let defaultMaxBytes = 64 * 1024 * 1024

    public init(
        syslogUDP: (host: String, port: Int)? = nil, syslogTCP: (host: String, port: Int)? = nil, http: (host: String, port: Int)? = nil,
        files: [LogFileConfig] = [], maxBytes: Int = defaultMaxBytes
    ) {
        self.syslogUDP = syslogUDP
        self.syslogTCP = syslogTCP
        self.http = http
        self.files = files
        self.maxBytes = maxBytes
    }

    public static func == (lhs: LogIntakeConfig, rhs: LogIntakeConfig) -> Bool {
        func same(_ a: (host: String, port: Int)?, _ b: (host: String, port: Int)?) -> Bool { a?.host == b?.host && a?.port == b?.port }
        return same(lhs.syslogUDP, rhs.syslogUDP) && same(lhs.syslogTCP, rhs.syslogTCP) && same(lhs.http, rhs.http)
            && lhs.files == rhs.files && lhs.maxBytes == rhs.maxBytes
    }
}

/// A log file to tail: a path (a glob under `log_intake`), read from its end (new lines only,
/// the default) or its beginning; its lines belong to `node` and `service` when given.
public struct LogFileConfig: Sendable, Equatable {
    public var path: String
    public var node: String?
    public var service: String?
    public var fromBeginning: Bool

    public init(path: String, node: String? = nil, service: String? = nil, fromBeginning: Bool = false) {
        self.path = path
        self.node = node
        self.service = service
        self.fromBeginning = fromBeginning
    }
}

/// Which nodes a file's simulator serves and which scenario it plays.
public struct SimulationConfig: Sendable, Equatable {
    /// Scenarios the simulator knows.
    public static let knownScenarios = ["steady", "cascading-failure", "lock-holder-dies", "traffic-surge"]

    /// Faults a simulated node can be given (the dashboard's fault menu offers the same).
    public static let knownFaults = ["down", "slow", "errors", "flapping", "hang"]

    /// `nil` means every node.
    public var nodes: [String]?
    public var scenario: String
    /// Faults injected when the simulation starts, by node name.
    public var faults: [String: String]
    /// Locks the simulated nodes contend for in the simulated etcd (served by simulated nodes
    /// that run a service called `etcd`).
    public var locks: [SimulatedLock]
    /// Services of which one more simulated instance starts and registers itself through the API
    /// (the dashboard then serves the API on loopback when `--listen` is not given).
    public var register: [String] = []

    public init(nodes: [String]? = nil, scenario: String = "steady", faults: [String: String] = [:], locks: [SimulatedLock] = []) {
        self.nodes = nodes
        self.scenario = scenario
        self.faults = faults
        self.locks = locks
    }

    /// Whether the simulator serves `node`.
    public func simulates(_ node: String) -> Bool { nodes?.contains(node) ?? true }
}

/// Names one check: the node, the service (or `nil` for a node check) and the check.
public struct CheckID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var node: String
    public var service: String?
    public var check: String

    public init(node: String, service: String?, check: String) {
        self.node = node
        self.service = service
        self.check = check
    }

    public var description: String { [node, service, check].compactMap { $0 }.joined(separator: "/") }

    public static func < (lhs: CheckID, rhs: CheckID) -> Bool { lhs.description < rhs.description }
}
