extension AlertExpression {
    /// Status words an expression may use as numbers: `service_status == critical`.
    /// The numbers order statuses by how bad they are; `maintenance` is below everything.
    public static let statusConstants: [String: Double] = [
        "passing": 0, "unknown": 1, "warning": 2, "critical": 3, "maintenance": -1,
    ]

    /// Parses `text`.
    /// - Throws: `AlertExpressionError` with the character offset of the first mistake.
    public init(parsing text: String) throws(AlertExpressionError) {
        var parser = ExpressionParser(tokens: try ExpressionLexer.tokens(of: text), length: text.count)
        self = try parser.expression(minimumPrecedence: 1)
        if let extra = parser.peek {
            throw AlertExpressionError(offset: extra.offset, message: "unexpected \(extra.kind.description) after a complete expression")
        }
    }
}

struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        case number(Double)
        case identifier(String)
        case string(String)
        case symbol(String)
        /// `[5m]`, the text between the brackets.
        case range(String)

        var description: String {
            switch self {
            case .number(let value): "number \(value)"
            case .identifier(let name): "'\(name)'"
            case .string(let text): "string \"\(text)\""
            case .symbol(let symbol): "'\(symbol)'"
            case .range(let text): "'[\(text)]'"
            }
        }
    }

    var kind: Kind
    var offset: Int
}

enum ExpressionLexer {
    private static let symbols = ["==", "!=", ">=", "<=", "=~", "!~", ">", "<", "=", "+", "-", "*", "/", "(", ")", "{", "}", ","]

    static func tokens(of text: String) throws(AlertExpressionError) -> [ExpressionToken] {
        let characters = Array(text)
        var tokens: [ExpressionToken] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character.isASCII, character.isNumber || (character == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
                let start = index
                while index < characters.count, characters[index].isASCII,
                      characters[index].isNumber || characters[index] == "." || characters[index] == "e" || characters[index] == "E"
                        || ((characters[index] == "+" || characters[index] == "-") && (characters[index - 1] == "e" || characters[index - 1] == "E")) {
                    index += 1
                }
                let literal = String(characters[start..<index])
                guard let value = Double(literal), value.isFinite else {
                    throw AlertExpressionError(offset: start, message: "'\(literal)' is not a number")
                }
                tokens.append(ExpressionToken(kind: .number(value), offset: start))
            } else if character.isASCII, character.isLetter || character == "_" || character == ":" {
                let start = index
                while index < characters.count, characters[index].isASCII,
                      characters[index].isLetter || characters[index].isNumber || characters[index] == "_" || characters[index] == ":" {
                    index += 1
                }
                tokens.append(ExpressionToken(kind: .identifier(String(characters[start..<index])), offset: start))
            } else if character == "\"" || character == "'" {
                let start = index
                index += 1
                var value = ""
                while true {
                    guard index < characters.count else {
                        throw AlertExpressionError(offset: start, message: "string is not closed: add \(character)")
                    }
                    let next = characters[index]
                    if next == character { index += 1; break }
                    if next == "\\", index + 1 < characters.count {
                        let escaped = characters[index + 1]
                        switch escaped {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        default: value.append(escaped)
                        }
                        index += 2
                    } else {
                        value.append(next)
                        index += 1
                    }
                }
                tokens.append(ExpressionToken(kind: .string(value), offset: start))
            } else if character == "[" {
                let start = index
                guard let close = characters[index...].firstIndex(of: "]") else {
                    throw AlertExpressionError(offset: start, message: "a range like [5m] is not closed with ']'")
                }
                tokens.append(ExpressionToken(kind: .range(String(characters[(index + 1)..<close])), offset: start))
                index = close + 1
            } else if let symbol = symbols.first(where: { matches($0, at: index, in: characters) }) {
                tokens.append(ExpressionToken(kind: .symbol(symbol), offset: index))
                index += symbol.count
            } else {
                throw AlertExpressionError(offset: index, message: "unexpected character '\(character)'")
            }
        }
        return tokens
    }

    private static func matches(_ symbol: String, at index: Int, in characters: [Character]) -> Bool {
        let parts = Array(symbol)
        guard index + parts.count <= characters.count else { return false }
        return Array(characters[index..<index + parts.count]) == parts
    }
}

/// A precedence-climbing parser over the tokens.
struct ExpressionParser {
    let tokens: [ExpressionToken]
    let length: Int
    var position = 0
    /// How deep the tree may be: every walk over it (evaluation, validation) recurses, so a
    /// deeper one (100,000 `(`, `abs(` or `-`) would take the stack; refused with where.
    static let depthLimit = 100
    /// Calls of `unary` open now: the parser's own recursion.
    var level = 0
    /// The depth of the tree the last parsing function returned.
    var lastDepth = 0

    var peek: ExpressionToken? { position < tokens.count ? tokens[position] : nil }
    private var here: Int { peek?.offset ?? length }

    /// Sets `lastDepth` to `depth`, or refuses a tree deeper than the limit at `offset`.
    private mutating func built(depth: Int, at offset: Int) throws(AlertExpressionError) {
        guard depth <= Self.depthLimit else {
            throw AlertExpressionError(offset: offset, message: "the expression nests deeper than \(Self.depthLimit) levels")
        }
        lastDepth = depth
    }

    mutating func expression(minimumPrecedence: Int) throws(AlertExpressionError) -> AlertExpression {
        var left = try unary()
        var leftDepth = lastDepth
        while let op = binaryOperator(), op.precedence >= minimumPrecedence {
            let opOffset = here
            position += 1
            var on: [String]?
            if case .identifier("on") = peek?.kind {
                position += 1
                on = try labelList(after: "on")
            }
            let right = try expression(minimumPrecedence: op.precedence + 1)
            try built(depth: max(leftDepth, lastDepth) + 1, at: opOffset)
            leftDepth = lastDepth
            if op.isSetOperation, !(left.isVector && right.isVector) {
                throw AlertExpressionError(offset: here, message: "'\(op.rawValue)' joins two series, not plain numbers")
            }
            left = .binary(op, left, right, on: on)
        }
        lastDepth = leftDepth
        return left
    }

    private func binaryOperator() -> AlertExpression.BinaryOperator? {
        switch peek?.kind {
        case .symbol(let symbol): AlertExpression.BinaryOperator(rawValue: symbol)
        case .identifier(let word) where ["and", "or", "unless"].contains(word): AlertExpression.BinaryOperator(rawValue: word)
        default: nil
        }
    }

    private mutating func unary() throws(AlertExpressionError) -> AlertExpression {
        level += 1
        defer { level -= 1 }
        guard level <= Self.depthLimit else {
            throw AlertExpressionError(offset: here, message: "the expression nests deeper than \(Self.depthLimit) levels")
        }
        if case .symbol("-") = peek?.kind {
            let offset = here
            position += 1
            let inner = try unary()
            try built(depth: lastDepth + 1, at: offset)
            return .negate(inner)
        }
        if case .symbol("+") = peek?.kind { position += 1 }
        return try primary()
    }

    private mutating func primary() throws(AlertExpressionError) -> AlertExpression {
        guard let token = peek else {
            throw AlertExpressionError(offset: length, message: length == 0 ? "the expression is empty" : "the expression ends too early")
        }
        position += 1
        lastDepth = 1
        switch token.kind {
        case .number(let value):
            return .number(value)
        case .symbol("("):
            let inner = try expression(minimumPrecedence: 1)
            try expect(")", opened: token.offset)
            return inner
        case .identifier(let name):
            if let aggregation = AlertExpression.Aggregation(rawValue: name), isNext("(") || isNextWord("by") {
                return try aggregate(aggregation)
            }
            if isNext("(") {
                if AlertExpression.rangeFunctions.contains(name) { return try rangeFunction(name, at: token.offset) }
                guard AlertExpression.functions.contains(name) else {
                    throw AlertExpressionError(offset: token.offset, message: "unknown function '\(name)' (known: \((AlertExpression.functions + AlertExpression.Aggregation.allCases.map(\.rawValue)).joined(separator: ", ")))")
                }
                let open = peek?.offset ?? length
                position += 1
                if name == "histogram_quantile" {
                    guard case .number(let phi) = peek?.kind else {
                        throw AlertExpressionError(offset: here, message: "histogram_quantile needs a quantile first, like histogram_quantile(0.9, rate(x_bucket[5m]))")
                    }
                    guard (0...1).contains(phi) else { throw AlertExpressionError(offset: here, message: "a quantile is from 0 to 1") }
                    position += 1
                    guard isNext(",") else { throw AlertExpressionError(offset: here, message: "expected ',' after the quantile") }
                    position += 1
                    let buckets = try expression(minimumPrecedence: 1)
                    try built(depth: lastDepth + 1, at: token.offset)
                    try expect(")", opened: open)
                    guard buckets.isVector else { throw AlertExpressionError(offset: open, message: "histogram_quantile needs bucket series") }
                    return .quantile(phi, buckets)
                }
                let inner = try expression(minimumPrecedence: 1)
                try built(depth: lastDepth + 1, at: token.offset)
                try expect(")", opened: open)
                return .function(name, inner)
            }
            if let value = AlertExpression.statusConstants[name] { return .constant(name, value) }
            if ["and", "or", "unless", "by", "on"].contains(name) {
                throw AlertExpressionError(offset: token.offset, message: "'\(name)' needs something before it")
            }
            var matchers: [LabelMatcher] = []
            if isNext("{") { matchers = try self.matchers() }
            lastDepth = 1
            return .selector(name: name, matchers: matchers)
        default:
            throw AlertExpressionError(offset: token.offset, message: "unexpected \(token.kind.description): expected a number, a name or '('")
        }
    }

    /// `rate(name{…}[5m])`: a scraped series' name, matchers, and a window.
    private mutating func rangeFunction(_ function: String, at offset: Int) throws(AlertExpressionError) -> AlertExpression {
        let open = here
        position += 1
        guard case .identifier(let name) = peek?.kind else {
            throw AlertExpressionError(offset: here, message: "'\(function)' needs a series name and a range, like \(function)(http_requests_total[5m])")
        }
        position += 1
        var matchers: [LabelMatcher] = []
        if isNext("{") { matchers = try self.matchers() }
        guard case .range(let text) = peek?.kind else {
            throw AlertExpressionError(offset: here, message: "'\(function)' needs a range after the series, like [5m]")
        }
        guard let window = Duration(goString: text), window > .zero else {
            throw AlertExpressionError(offset: here + 1, message: "'\(text)' is not a duration like 30s or 5m")
        }
        position += 1
        try expect(")", opened: open)
        lastDepth = 1
        return .range(function: function, name: name, matchers: matchers, window: window)
    }

    private mutating func aggregate(_ aggregation: AlertExpression.Aggregation) throws(AlertExpressionError) -> AlertExpression {
        var by: [String] = []
        if isNextWord("by") {
            position += 1
            by = try labelList(after: "by")
        }
        guard isNext("(") else {
            throw AlertExpressionError(offset: here, message: "'\(aggregation.rawValue)' needs '(' and a series")
        }
        let open = here
        position += 1
        let inner = try expression(minimumPrecedence: 1)
        try built(depth: lastDepth + 1, at: open)
        try expect(")", opened: open)
        guard inner.isVector else {
            throw AlertExpressionError(offset: open, message: "'\(aggregation.rawValue)' needs a series, not a plain number")
        }
        if by.isEmpty, isNextWord("by") {
            position += 1
            by = try labelList(after: "by")
        }
        return .aggregate(aggregation, by: by, inner)
    }

    private mutating func labelList(after word: String) throws(AlertExpressionError) -> [String] {
        guard isNext("(") else { throw AlertExpressionError(offset: here, message: "'\(word)' needs a list of labels in parentheses") }
        let open = here
        position += 1
        var labels: [String] = []
        while !isNext(")") {
            guard case .identifier(let label) = peek?.kind else {
                throw AlertExpressionError(offset: here, message: "expected a label name in '\(word) (…)'")
            }
            labels.append(label)
            position += 1
            if isNext(",") { position += 1 } else { break }
        }
        try expect(")", opened: open)
        return labels
    }

    private mutating func matchers() throws(AlertExpressionError) -> [LabelMatcher] {
        let open = here
        position += 1
        var result: [LabelMatcher] = []
        while !isNext("}") {
            guard case .identifier(let label) = peek?.kind else {
                throw AlertExpressionError(offset: here, message: "expected a label name in '{…}'")
            }
            position += 1
            guard case .symbol(let symbol) = peek?.kind, let kind = LabelMatcher.Kind(rawValue: symbol) else {
                throw AlertExpressionError(offset: here, message: "expected =, !=, =~ or !~ after label '\(label)'")
            }
            position += 1
            guard case .string(let value) = peek?.kind else {
                throw AlertExpressionError(offset: here, message: "the value of label '\(label)' must be a quoted string")
            }
            let valueOffset = here
            position += 1
            do {
                result.append(try LabelMatcher(label: label, kind: kind, value: value))
            } catch {
                throw AlertExpressionError(offset: valueOffset, message: error.message)
            }
            if isNext(",") { position += 1 } else { break }
        }
        try expect("}", opened: open)
        return result
    }

    private mutating func expect(_ symbol: String, opened: Int) throws(AlertExpressionError) {
        guard isNext(symbol) else {
            let found = peek.map { "found \($0.kind.description)" } ?? "the expression ends"
            throw AlertExpressionError(offset: here, message: "expected '\(symbol)' to close the one at column \(opened + 1); \(found)")
        }
        position += 1
    }

    private func isNext(_ symbol: String) -> Bool { peek?.kind == .symbol(symbol) }
    private func isNextWord(_ word: String) -> Bool { peek?.kind == .identifier(word) }
}
