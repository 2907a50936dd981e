import Foundation

/// The small part of JSONPath an HTTP check needs: `$.a.b`, `$.items[0].state`, `$['key']`.
public enum JSONPath {
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The steps of `path`, or nil when it is not of that shape.
    public static func parse(_ path: String) -> [Step]? {
        var characters = Substring(path)
        guard characters.hasPrefix("$") else { return nil }
        characters = characters.dropFirst()
        var steps: [Step] = []
        while let first = characters.first {
            if first == "." {
                characters = characters.dropFirst()
                let key = characters.prefix { $0 != "." && $0 != "[" }
                guard !key.isEmpty else { return nil }
                steps.append(.key(String(key)))
                characters = characters.dropFirst(key.count)
            } else if first == "[" {
                guard let close = characters.firstIndex(of: "]") else { return nil }
                let inside = characters[characters.index(after: characters.startIndex)..<close]
                if let number = Int(inside), number >= 0 {
                    steps.append(.index(number))
                } else if inside.count >= 2, let quote = inside.first, quote == "'" || quote == "\"", inside.last == quote {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    return nil
                }
                characters = characters[characters.index(after: close)...]
            } else {
                return nil
            }
        }
        return steps
    }

    /// The value at `path` in the JSON `body`, as text (strings as they are, numbers and booleans
    /// as written, null as "null", objects and arrays as compact JSON); nil when it is not there.
    public static func value(at path: String, in body: String) -> String? {
        guard let steps = parse(path), let data = body.data(using: .utf8),
              var current = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        for step in steps {
            switch step {
            case .key(let key):
                guard let object = current as? [String: Any], let next = object[key] else { return nil }
                current = next
            case .index(let index):
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        switch current {
        case let text as String: return text
        case is NSNull: return "null"
        case let number as NSNumber:
            // Booleans are numbers too; their type code ("c") tells them apart.
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        default:
            guard let data = try? JSONSerialization.data(withJSONObject: current, options: [.sortedKeys]) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
