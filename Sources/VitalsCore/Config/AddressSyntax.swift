import Foundation

/// Syntax checks for the addresses a cluster file names.
public enum AddressSyntax {
    /// Whether `text` is an IPv4 address, an IPv6 address or a DNS host name.
    public static func isValidHost(_ text: String) -> Bool {
        if isIPv6(text) { return true }
        if text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) { return isIPv4(text) }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return text.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }

    public static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":") else { return false }
        var buffer = in6_addr()
        return inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// `host:port`, with brackets around an IPv6 host: the inverse of `hostPort`.
    public static func join(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Splits `host:port` (or `[v6]:port`) and checks both halves.
    public static func hostPort(_ text: String) -> (host: String, port: Int)? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (1...65535).contains(port), isValidHost(String(host)) else { return nil }
        return (String(host), port)
    }
}

/// An `http://host[:port]/path` URL taken apart, for probes and validation.
public struct HTTPTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var path: String
    /// An `https://` URL: the connection speaks TLS.
    public var tls: Bool

    public init?(_ text: String) {
        let lowered = text.lowercased()
        let scheme = lowered.hasPrefix("http://") ? "http://" : lowered.hasPrefix("https://") ? "https://" : nil
        guard let scheme else { return nil }
        tls = scheme == "https://"
        let rest = text.dropFirst(scheme.count)
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<slash])
        var pathPart = String(rest[slash...])
        if pathPart.isEmpty { pathPart = "/" } else if pathPart.hasPrefix("?") { pathPart = "/" + pathPart }
        guard !authority.isEmpty, !authority.contains("@"), !pathPart.contains(" ") else { return nil }
        if let (host, port) = AddressSyntax.hostPort(authority) {
            self.host = host
            self.port = port
        } else if AddressSyntax.isValidHost(authority.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) {
            self.host = authority.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            self.port = tls ? 443 : 80
        } else {
            return nil
        }
        self.path = pathPart
    }

    /// The `Host` header: the port left out when it is the scheme's own.
    public var hostHeader: String {
        port == (tls ? 443 : 80) ? (AddressSyntax.isIPv6(host) ? "[\(host)]" : host) : AddressSyntax.join(host, port)
    }
}
