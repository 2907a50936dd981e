/// The health of a check, service or node, in Consul's vocabulary plus `maintenance` and `unknown`.
///
/// Aggregation takes the worst status in the order critical > warning > unknown > passing;
/// `maintenance` is set by a person and masks whatever lies beneath it.
public enum Status: String, Sendable, Codable, CaseIterable, Comparable {
    case passing
    case warning
    case critical
    case maintenance
    case unknown

    /// How bad a status is when statuses are combined; higher is worse.
    public var severity: Int {
        switch self {
        case .passing: 0
        case .unknown: 1
        case .warning: 2
        case .critical: 3
        case .maintenance: 4
        }
    }

    public static func < (lhs: Status, rhs: Status) -> Bool { lhs.severity < rhs.severity }

    /// How much a row with this status needs someone's attention, for worst-first lists; higher
    /// first. Maintenance comes last: a person is already on it.
    public var attention: Int {
        switch self {
        case .critical: 4
        case .warning: 3
        case .unknown: 2
        case .passing: 1
        case .maintenance: 0
        }
    }

    /// The position in `allCases`, for counting into an array.
    var countIndex: Int {
        switch self {
        case .passing: 0
        case .warning: 1
        case .critical: 2
        case .maintenance: 3
        case .unknown: 4
        }
    }

    /// The worst of `statuses` (critical > warning > unknown > passing); `passing` when empty.
    ///
    /// `maintenance` never comes from aggregation: it is applied on top by whoever owns the mask.
    public static func worst<S: Sequence>(_ statuses: S) -> Status where S.Element == Status {
        var result = Status.passing
        for status in statuses where status != .maintenance && status > result {
            result = status
        }
        return result
    }
}
