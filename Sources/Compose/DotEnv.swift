/// `.env` / `env_file` parsing as compose does: `KEY=VALUE` lines, optional `export `, `#` comments,
/// single-quoted values literal, double-quoted values with escapes (`\n`, `\t`, `\"`, `\\`) that may
/// span lines, unquoted values trimmed with a trailing ` #comment` removed. Double-quoted and unquoted
/// values are interpolated (earlier keys of the same file first, then `lookup`). A bare `KEY` line takes
/// the value from `lookup` and is skipped when unset.
public enum DotEnv {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int
    }

    public static func parse(
        _ text: String, file: String, lookup: (String) -> String?
    ) throws(ComposeError) -> [Entry] {
        var entries: [Entry] = []
        var diagnostics: [ComposeDiagnostic] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        var own: [String: String] = [:]  // this file's values so far (last wins), for interpolation
        func resolve(_ name: String) -> String? { own[name] ?? lookup(name) }
        func fail(_ line: Int, _ column: Int, _ message: String) {
            diagnostics.append(
                ComposeDiagnostic(
                    location: SourceLocation(file: file, line: line, column: column),
                    path: "", message: message))
        }
        var index = 0
        while index < lines.count {
            let lineNumber = index + 1
            var line = Substring(lines[index])
            index += 1
            let indent = line.prefix(while: { $0 == " " || $0 == "\t" }).count
            line = line.dropFirst(indent)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop(while: { $0 == " " }) }
            guard let eq = line.firstIndex(of: "=") else {
                let key = line.trimmingSpaces
                if isValidKey(key) {
                    if let value = lookup(key) {
                        entries.append(Entry(key: key, value: value, line: lineNumber))
                        own[key] = value
                    }
                } else {
                    fail(lineNumber, indent + 1, "expected KEY=VALUE (the line is not shown: env files hold secrets)")
                }
                continue
            }
            let key = String(line[..<eq]).trimmingSpaces
            guard isValidKey(key) else {
                fail(
                    lineNumber, indent + 1,
                    "invalid variable name before `=` (expected letters, digits, _ . -, starting with a letter or _; the line is not shown)")
                continue
            }
            var raw = String(line[line.index(after: eq)...])
            raw = String(raw.drop(while: { $0 == " " || $0 == "\t" }))
            var value: String
            if raw.hasPrefix("'") {
                // Each added line is searched once: an unclosed quote costs one pass over the file.
                var body = String(raw.dropFirst())
                var closed = body.contains("'")
                while !closed, index < lines.count {
                    closed = lines[index].contains("'")
                    body += "\n" + lines[index]
                    index += 1
                }
                guard let end = body.firstIndex(of: "'") else {
                    fail(lineNumber, indent + 1, "unterminated single-quoted value for \(key)")
                    continue
                }
                value = String(body[..<end])
            } else if raw.hasPrefix("\"") {
                var pieces = [String(raw.dropFirst())]
                var escaped = false
                var closing = closingQuote(pieces[0], escaped: &escaped)
                while closing == nil, index < lines.count {
                    escaped = false  // a backslash before the line break escaped the newline
                    pieces.append(lines[index])
                    index += 1
                    closing = closingQuote(pieces[pieces.count - 1], escaped: &escaped)
                }
                guard let end = closing else {
                    fail(lineNumber, indent + 1, "unterminated double-quoted value for \(key)")
                    continue
                }
                let last = pieces.removeLast()
                pieces.append(String(last[..<end]))
                value = unescape(pieces.joined(separator: "\n"))
                do { value = try Interpolation.interpolate(value, lookup: resolve) } catch {
                    fail(lineNumber, indent + 1, Self.interpolationProblem(key, error))
                    continue
                }
            } else {
                if let hash = raw.range(of: " #") { raw = String(raw[..<hash.lowerBound]) }
                value = raw.trimmingSpaces
                do { value = try Interpolation.interpolate(value, lookup: resolve) } catch {
                    fail(lineNumber, indent + 1, Self.interpolationProblem(key, error))
                    continue
                }
            }
            entries.append(Entry(key: key, value: value, line: lineNumber))
            own[key] = value
        }
        if !diagnostics.isEmpty { throw .invalid(diagnostics) }
        return entries
    }

    /// What is wrong with a value's interpolation, naming the key and never quoting the value.
    static func interpolationProblem(_ key: String, _ failure: Interpolation.Failure) -> String {
        switch failure {
        case .required(let variable, _): return "\(key): required variable \(variable) is missing a value"
        case .invalidTemplate: return "\(key): invalid interpolation format in the value (a `${` without a valid name or closing `}`)"
        case .nestedTooDeep(let limit): return "\(key): defaults nested more than \(limit) levels deep in the value"
        }
    }

    /// Last value wins, as in compose.
    public static func dictionary(_ entries: [Entry]) -> [String: String] {
        var out: [String: String] = [:]
        for e in entries { out[e.key] = e.value }
        return out
    }

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, Interpolation.isNameStart(first) else { return false }
        return key.unicodeScalars.allSatisfy { Interpolation.isNameChar($0) || $0 == "." || $0 == "-" }
    }

    /// The first unescaped `"` in `s`; `escaped` carries a trailing backslash over to the next line.
    private static func closingQuote(_ s: String, escaped: inout Bool) -> String.Index? {
        for i in s.indices {
            let c = s[i]
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "\"" { return i }
        }
        return nil
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\"", "\\": out.append(c)
                case "$": out.append("$$")  // stays a literal dollar through interpolation
                default: out.append("\\"); out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(String.UnicodeScalarView(scalars[start...end]))
    }
}

/// Splits a command string the way compose does (POSIX-shell-like words: quotes, backslash escapes).
public enum ShellWords {
    public enum Failure: Error, Sendable, Equatable { case unterminatedQuote }

    public static func split(_ text: String) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escaped = true } else { current.append(c) }
                continue
            }
            switch c {
            case "\\":
                escaped = true
                inWord = true
            case "'", "\"":
                quote = c
                inWord = true
            case " ", "\t", "\n", "\r":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                current.append(c)
                inWord = true
            }
        }
        if quote != nil || escaped { throw .unterminatedQuote }
        if inWord { words.append(current) }
        return words
    }
}
