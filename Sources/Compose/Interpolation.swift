/// Variable interpolation as the compose specification defines it, applied to values only.
///
/// Forms: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
/// `${VAR:?message}` / `${VAR?message}` (error when unset or empty / unset), `${VAR:+replacement}` /
/// `${VAR+replacement}` (replacement when set and non-empty / set). Defaults, messages and
/// replacements are interpolated themselves, so they nest. `$$` is a literal `$`; a `$` that is not
/// followed by a name, `{` or `$` stays as it is (bcrypt hashes such as `$2a$14$...`). A `${` that does
/// not open a valid substitution is an error, as in compose.
public enum Interpolation {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// `${VAR:?message}` or `${VAR?message}` with VAR missing.
        case required(variable: String, message: String)
        /// `${...}` that is not a valid substitution, e.g. `${}`, `${1X}`, `${VAR` (unclosed), `${VAR:x}`.
        case invalidTemplate(String)
        /// Defaults nested more than `maximumNesting` levels deep (`${A:-${B:-${C:-...}}}`).
        case nestedTooDeep(limit: Int)

        public var description: String {
            switch self {
            case .required(let variable, let message):
                return message.isEmpty
                    ? "required variable \(variable) is missing a value"
                    : "required variable \(variable) is missing a value: \(message)"
            case .invalidTemplate(let text):
                return "invalid interpolation format \"\(text)\""
            case .nestedTooDeep(let limit):
                return "interpolation nested more than \(limit) levels deep (${A:-${B:-...}})"
            }
        }
    }

    /// How deep defaults, messages and replacements may nest. Each level rescans its own text, so
    /// the bound keeps a hostile value linear in its length; real files nest two or three levels.
    public static let maximumNesting = 32

    /// Interpolates `text`. `lookup` returns a variable's value or nil when unset; `unset` is told about
    /// variables used without a default (compose substitutes an empty string and warns).
    public static func interpolate(
        _ text: String,
        lookup: (String) -> String?,
        unset: (String) -> Void = { _ in }
    ) throws(Failure) -> String {
        try interpolate(text, depth: 0, lookup: lookup, unset: unset)
    }

    private static func interpolate(
        _ text: String, depth: Int, lookup: (String) -> String?, unset: (String) -> Void
    ) throws(Failure) -> String {
        guard text.contains("$") else { return text }
        guard depth < maximumNesting else { throw .nestedTooDeep(limit: maximumNesting) }
        let chars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else {
                out.append(c)
                i += 1
                continue
            }
            let next = chars[i + 1]
            if next == "$" {
                out.append("$")
                i += 2
            } else if isNameStart(next) {
                var j = i + 1
                while j < chars.count, isNameChar(chars[j]) { j += 1 }
                let name = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                if let value = lookup(name) { out.append(contentsOf: value.unicodeScalars) } else { unset(name) }
                i = j
            } else if next == "{" {
                guard let close = matchingBrace(chars, from: i + 2) else {
                    throw .invalidTemplate(String(String.UnicodeScalarView(chars[i...])))
                }
                let body = String(String.UnicodeScalarView(chars[(i + 2)..<close]))
                let whole = String(String.UnicodeScalarView(chars[i...close]))
                let value = try substitute(body, whole: whole, depth: depth, lookup: lookup, unset: unset)
                out.append(contentsOf: value.unicodeScalars)
                i = close + 1
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }

    private static func substitute(
        _ body: String, whole: String, depth: Int, lookup: (String) -> String?, unset: (String) -> Void
    ) throws(Failure) -> String {
        let scalars = Array(body.unicodeScalars)
        guard let first = scalars.first, isNameStart(first) else { throw .invalidTemplate(whole) }
        var j = 1
        while j < scalars.count, isNameChar(scalars[j]) { j += 1 }
        let name = String(String.UnicodeScalarView(scalars[0..<j]))
        let value = lookup(name)
        if j == scalars.count {
            if value == nil { unset(name) }
            return value ?? ""
        }
        var k = j
        let colon = scalars[k] == ":"
        if colon { k += 1 }
        guard k < scalars.count, ["-", "?", "+"].contains(scalars[k]) else { throw .invalidTemplate(whole) }
        let op = scalars[k]
        let argument = String(String.UnicodeScalarView(scalars[(k + 1)...]))
        let missing = colon ? (value ?? "").isEmpty : value == nil
        func nested() throws(Failure) -> String { try interpolate(argument, depth: depth + 1, lookup: lookup, unset: unset) }
        switch op {
        case "-":
            return missing ? try nested() : value!
        case "?":
            if missing { throw .required(variable: name, message: try nested()) }
            return value!
        default:
            return missing ? "" : try nested()
        }
    }

    /// Index of the `}` closing a `${` whose body starts at `start`, counting nested `${`.
    private static func matchingBrace(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        var depth = 1
        var i = start
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "$" {
                i += 2
                continue
            }
            if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" {
                depth += 1
                i += 2
                continue
            }
            if chars[i] == "}" {
                depth -= 1
                if depth == 0 { return i }
            }
            i += 1
        }
        return nil
    }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }

    static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || (c >= "0" && c <= "9")
    }
}
