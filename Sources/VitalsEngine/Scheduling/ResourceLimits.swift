#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open descriptors, which bounds how many probes may be in flight.
public enum ResourceLimits {
    /// Raises the soft limit on open files to the hard limit, as a server does at start.
    /// - Returns: the soft limit now in force.
    @discardableResult
    public static func raiseOpenFiles() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        return limits.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limits.rlim_cur)
    }

    /// How many probes may run at once under a limit of `openFiles` descriptors: half of them,
    /// leaving room for the simulator, the terminal and the rest; between 16 and 8,192.
    public static func probesInFlight(openFiles: Int) -> Int {
        max(16, min(8_192, (openFiles - 256) / 2))
    }
}
