import Foundation

/// Reads a JSON object body field by field, the way the cluster file is read: a wrong type names
/// the field, and a field nobody asked for is an error (a misspelt `commnet` must not vanish).
struct JSONFields {
    private let object: [String: Any]
    private var read: Set<String> = []

    /// - Throws: `APIError` `invalid_json` when the body is not a JSON object (an empty body is `{}`).
    init(_ body: [UInt8]) throws(APIError) {
        if body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) {
            object = [:]
            return
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body), options: [])
        } catch {
            throw APIError(.invalidJSON, "the body is not JSON: \((error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)")")
        }
        guard let object = parsed as? [String: Any] else { throw APIError(.invalidJSON, "the body must be a JSON object") }
        self.object = object
    }

    mutating func string(_ key: String, maxLength: Int = 4_096) throws(APIError) -> String? {
        read.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw APIError(.invalidField, "'\(key)' must be a string") }
        guard text.count <= maxLength else { throw APIError(.invalidField, "'\(key)' is longer than \(maxLength) characters") }
        return text
    }

    mutating func requiredString(_ key: String, maxLength: Int = 4_096) throws(APIError) -> String {
        guard let text = try string(key, maxLength: maxLength) else { throw APIError(.invalidField, "'\(key)' is required") }
        return text
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        read.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        // JSONSerialization gives true and false as NSNumbers of type "c" (and 1 `is Bool` too):
        // a boolean is not a count.
        guard let number = value as? NSNumber, number.objCType.pointee != CChar(UInt8(ascii: "c")), number.doubleValue == number.doubleValue.rounded(),
              let whole = Int(exactly: number.doubleValue), range.contains(whole) else {
            throw APIError(.invalidField, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return whole
    }

    mutating func stringMap(_ key: String) throws(APIError) -> [String: String]? {
        read.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let map = value as? [String: Any] else { throw APIError(.invalidField, "'\(key)' must be an object of strings") }
        var result: [String: String] = [:]
        for (name, item) in map {
            guard let text = item as? String else { throw APIError(.invalidField, "'\(key).\(name)' must be a string") }
            result[name] = text
        }
        return result
    }

    mutating func stringList(_ key: String) throws(APIError) -> [String]? {
        read.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let list = value as? [Any], let strings = list as? [String] else { throw APIError(.invalidField, "'\(key)' must be a list of strings") }
        return strings
    }

    /// - Throws: `unknown_field` naming the first field that was never asked for.
    func finish() throws(APIError) {
        if let unknown = object.keys.sorted().first(where: { !read.contains($0) }) {
            let known = read.sorted().joined(separator: ", ")
            throw APIError(.unknownField, "unknown field '\(unknown)' (fields here: \(known.isEmpty ? "none" : known))")
        }
    }
}
