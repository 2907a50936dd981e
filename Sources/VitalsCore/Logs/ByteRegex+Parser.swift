/// The pattern's syntax tree and its parser: what `ByteRegex` compiles to states.
extension ByteRegex {
    indirect enum Node {
        /// Consecutive byte positions, each a set of byte ranges (a UTF-8 character is several).
        case sequence([[ClosedRange<UInt8>]])
        case concat([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?)
        /// A capturing group and its number (from 1).
        case group(Node, Int)
        case empty
    }

    struct Parser {
        let characters: [Character]
        let ignoresCase: Bool
        /// Whether `\s` takes the newline (it does unless lines are read one by one).
        let spaceTakesNewline: Bool
        var index = 0
        /// Capturing groups met so far.
        var groups = 0
        /// Groups open around `index`: bounded, so no pattern can take the stack.
        var depth = 0
        static let depthLimit = 100
        /// Why parsing stopped, once it has.
        var refusal: Refusal?

        init(characters: [Character], ignoresCase: Bool, spaceTakesNewline: Bool = false) {
            self.characters = characters
            self.ignoresCase = ignoresCase
            self.spaceTakesNewline = spaceTakesNewline
        }

        var peek: Character? { index < characters.count ? characters[index] : nil }

        /// Says why at `offset` (the current character unless given); returns nil to stop.
        mutating func refuse(_ message: String, at offset: Int? = nil) -> Node? {
            if refusal == nil { refusal = Refusal(offset: offset ?? index, message: message) }
            return nil
        }

        mutating func parseAlternation() -> Node? {
            var options: [Node] = []
            while true {
                guard let sequence = parseConcat() else { return nil }
                options.append(sequence)
                guard peek == "|" else { break }
                index += 1
            }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        mutating func parseConcat() -> Node? {
            var parts: [Node] = []
            while let character = peek, character != "|", character != ")" {
                guard var atom = parseAtom() else { return nil }
                while let quantifier = peek, "*+?{".contains(quantifier) {
                    let at = index
                    guard let (min, max) = parseQuantifier() else {
                        return refuse("a repetition is {n}, {n,} or {n,m} with n ≤ m ≤ 100", at: at)
                    }
                    atom = .repeated(atom, min: min, max: max)
                }
                parts.append(atom)
            }
            return parts.isEmpty ? .empty : .concat(parts)
        }

        mutating func parseQuantifier() -> (Int, Int?)? {
            let character = characters[index]
            index += 1
            var result: (Int, Int?)
            switch character {
            case "*": result = (0, nil)
            case "+": result = (1, nil)
            case "?": result = (0, 1)
            default:
                var numbers: [Int?] = [nil]
                var digits = ""
                while let next = peek, next != "}" {
                    index += 1
                    if next == "," {
                        numbers[numbers.count - 1] = Int(digits)
                        numbers.append(nil)
                        digits = ""
                    } else if next.isASCII, next.isNumber {
                        digits.append(next)
                    } else {
                        return nil
                    }
                }
                guard peek == "}" else { return nil }
                index += 1
                numbers[numbers.count - 1] = Int(digits)
                guard let min = numbers[0], numbers.count <= 2, min <= 100 else { return nil }
                let max: Int? = numbers.count == 1 ? min : numbers[1]
                if let max, max < min || max > 100 { return nil }
                result = (min, max)
            }
            if peek == "?" || peek == "+" { index += 1 }  // lazy and possessive forms match the same lines
            return result
        }

        mutating func parseAtom() -> Node? {
            let at = index
            let character = characters[index]
            index += 1
            switch character {
            case "(":
                guard depth < Self.depthLimit else { return refuse("groups nest deeper than \(Self.depthLimit)", at: at) }
                var number: Int?
                if peek == "?" {
                    let rest = String(characters[index...].prefix(3))
                    if rest.hasPrefix("?:") {
                        index += 2
                    } else if rest.hasPrefix("?P<") || rest.hasPrefix("?<"), !rest.hasPrefix("?<=") && !rest.hasPrefix("?<!") {
                        index += rest.hasPrefix("?P<") ? 3 : 2
                        while let next = peek, next != ">" {
                            guard next.isASCII, next.isLetter || next.isNumber || next == "_" else { return refuse("a group's name is letters, digits and _") }
                            index += 1
                        }
                        guard peek == ">" else { return refuse("a group's name ends with '>'") }
                        index += 1
                        groups += 1
                        number = groups
                    } else if rest.hasPrefix("?=") || rest.hasPrefix("?!") || rest.hasPrefix("?<") {
                        return refuse("look-around is not supported (RE2 syntax, as Prometheus has)", at: at)
                    } else {
                        return refuse("only (?:…), (?P<name>…) and a leading (?i) are supported", at: at)
                    }
                } else {
                    groups += 1
                    number = groups
                }
                depth += 1
                guard let inner = parseAlternation() else { return nil }
                depth -= 1
                guard peek == ")" else { return refuse("'(' is not closed", at: at) }
                index += 1
                return number.map { .group(inner, $0) } ?? inner
            case ".":
                return Self.anyCharacter(except: [10])
            case "[":
                return parseClass()
            case "\\":
                guard let escaped = peek else { return refuse("the pattern ends with a lone '\\'", at: at) }
                index += 1
                if let ranges = classEscape(escaped) { return ranges }
                switch escaped {
                case "n": return .sequence([[10...10]])
                case "t": return .sequence([[9...9]])
                case "r": return .sequence([[13...13]])
                case "b", "B": return refuse("\\\(escaped) (word boundary) is not supported; match the character around the word instead", at: at)
                case "1"..."9": return refuse("back-references are not supported (RE2 syntax, as Prometheus has)", at: at)
                default: break
                }
                guard escaped.isASCII, !escaped.isLetter, !escaped.isNumber else {
                    return refuse("'\\\(escaped)' is not supported", at: at)
                }
                return literal(escaped)
            case "^", "$":
                return refuse("'\(character)' is taken only at the start or end of the pattern", at: at)
            case "*", "+", "?", "{":
                return refuse("'\(character)' repeats nothing", at: at)
            case ")", "]":
                return refuse("unmatched '\(character)'", at: at)
            default:
                return literal(character)
            }
        }

        func literal(_ character: Character) -> Node {
            let bytes = Array(String(character).utf8)
            if bytes.count == 1, ignoresCase, character.isASCII, character.isLetter {
                let lower = bytes[0] | 0x20, upper = bytes[0] & ~0x20
                return .sequence([[lower...lower, upper...upper]])
            }
            return .sequence(bytes.map { [$0...$0] })
        }

        /// Any UTF-8 character, as byte sequences, leaving out the ASCII bytes in `except`.
        static func anyCharacter(except: Set<UInt8>) -> Node {
            var ascii: [ClosedRange<UInt8>] = []
            var low: UInt8? = nil
            for byte in UInt8(0)...0x7F {
                if except.contains(byte) {
                    if let start = low { ascii.append(start...(byte - 1)); low = nil }
                } else if low == nil {
                    low = byte
                }
            }
            if let start = low { ascii.append(start...0x7F) }
            let continuation: ClosedRange<UInt8> = 0x80...0xBF
            return .alternation([
                .sequence([ascii]),
                .sequence([[0xC2...0xDF], [continuation]]),
                .sequence([[0xE0...0xEF], [continuation], [continuation]]),
                .sequence([[0xF0...0xF4], [continuation], [continuation], [continuation]]),
            ])
        }

        func classRanges(_ escaped: Character) -> [ClosedRange<UInt8>]? {
            switch escaped {
            case "d": [48...57]
            case "w": [48...57, 65...90, 95...95, 97...122]
            // In lines, never the newline: it ends a line, and only `$` reads it.
            case "s": spaceTakesNewline ? [9...13, 32...32] : [9...9, 11...13, 32...32]
            default: nil
            }
        }

        func classEscape(_ escaped: Character) -> Node? {
            if let ranges = classRanges(escaped) { return .sequence([ranges]) }
            guard let positive = classRanges(Character(escaped.lowercased())), escaped.isUppercase else { return nil }
            var except = Set<UInt8>()
            for range in positive { for byte in range { except.insert(byte) } }
            except.insert(10)
            return Self.anyCharacter(except: except)
        }

        /// `[…]` with ASCII members; `[^…]` leaves them out of any character.
        mutating func parseClass() -> Node? {
            var negated = false
            if peek == "^" {
                negated = true
                index += 1
            }
            var bytes = Set<UInt8>()
            var first = true
            while let character = peek, character != "]" || first {
                first = false
                index += 1
                var low: UInt8
                if character == "\\" {
                    guard let escaped = peek else { return refuse("'[' is not closed") }
                    index += 1
                    if let ranges = classRanges(escaped) {
                        for range in ranges { for byte in range { bytes.insert(byte) } }
                        continue
                    }
                    guard escaped.isASCII, !escaped.isLetter || "nrt".contains(escaped) else {
                        return refuse("'\\\(escaped)' is not supported in a class")
                    }
                    low = switch escaped {
                    case "n": 10
                    case "r": 13
                    case "t": 9
                    default: escaped.asciiValue ?? 0
                    }
                } else {
                    guard character.isASCII, let value = character.asciiValue else {
                        return refuse("a class takes ASCII characters; write a non-ASCII one outside it or as an alternative")
                    }
                    low = value
                }
                var high = low
                if peek == "-", index + 1 < characters.count, characters[index + 1] != "]" {
                    let end = characters[index + 1]
                    guard end.isASCII, end != "\\", let value = end.asciiValue, value >= low else {
                        return refuse("a range in a class goes from a lower to a higher ASCII character")
                    }
                    high = value
                    index += 2
                }
                for byte in low...high {
                    bytes.insert(byte)
                    if ignoresCase, (byte | 0x20) >= 97, (byte | 0x20) <= 122 {
                        bytes.insert(byte | 0x20)
                        bytes.insert(byte & ~0x20)
                    }
                }
            }
            guard peek == "]" else { return refuse("'[' is not closed") }
            index += 1
            bytes.remove(10)
            if negated {
                bytes.insert(10)
                return Self.anyCharacter(except: bytes)
            }
            var ranges: [ClosedRange<UInt8>] = []
            for byte in bytes.sorted() {
                if let last = ranges.last, last.upperBound &+ 1 == byte { ranges[ranges.count - 1] = last.lowerBound...byte } else { ranges.append(byte...byte) }
            }
            return ranges.isEmpty ? refuse("an empty class matches nothing") : .sequence([ranges])
        }
    }
}
