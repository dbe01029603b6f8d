/// Where something is in a compose or manifest file: path, 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a stack: file, line, column, key path (e.g. `services.api.ports[1]`) and what was expected.
public struct ComposeDiagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    public var location: SourceLocation
    /// Key path from the document root, e.g. `services.api.ports[1]`; empty for the whole document.
    public var path: String
    public var message: String
    /// Warnings (an unset variable, the obsolete `version`) travel in `ComposeError.invalid` after the
    /// errors, so a file that is also invalid still shows them.
    public var severity: Severity

    public init(location: SourceLocation, path: String, message: String, severity: Severity = .error) {
        self.location = location
        self.path = path
        self.message = message
        self.severity = severity
    }

    public var file: String { location.file }
    public var line: Int { location.line }
    public var column: Int { location.column }

    /// `file:line:column: path: message`, with control characters escaped (a diagnostic quotes user input,
    /// and an escape sequence in a file must not reach the terminal).
    public var description: String {
        let text = path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
        return Printable.escaping(text)
    }
}

/// Why a stack (or the manifest) could not be loaded. No engine call is ever made after one of these.
public enum ComposeError: Error, Sendable, CustomStringConvertible {
    /// The files were read but are invalid; every problem found is listed, in file order.
    case invalid([ComposeDiagnostic])
    /// A file could not be read (missing, unreadable, not UTF-8).
    case unreadable(path: String, reason: String)
    /// Bad options (no file given, project name invalid, unknown service asked for).
    case usage(String)

    /// The errors (what made the stack invalid).
    public var diagnostics: [ComposeDiagnostic] {
        if case .invalid(let list) = self { return list.filter { $0.severity == .error } }
        return []
    }

    /// The warnings found on the way (printed after the errors).
    public var warnings: [ComposeDiagnostic] {
        if case .invalid(let list) = self { return list.filter { $0.severity == .warning } }
        return []
    }

    public var description: String {
        switch self {
        case .invalid:
            let errors = diagnostics
            let noun = errors.count == 1 ? "error" : "errors"
            return "invalid stack (\(errors.count) \(noun)):\n"
                + (errors.map { "  " + $0.description }
                + warnings.map { "  warning: " + $0.description }).joined(separator: "\n")
        case .unreadable(let path, let reason):
            return Printable.escaping("cannot read \(path): \(reason)")
        case .usage(let message):
            return Printable.escaping(message)
        }
    }
}

/// Collects diagnostics while walking the files; warnings do not make a stack invalid.
struct DiagnosticSink {
    var errors: [ComposeDiagnostic] = []
    var warnings: [ComposeDiagnostic] = []

    mutating func error(_ node: YNode, _ path: String, _ message: String) {
        errors.append(ComposeDiagnostic(location: node.location, path: path, message: message))
    }

    mutating func error(_ location: SourceLocation, _ path: String, _ message: String) {
        errors.append(ComposeDiagnostic(location: location, path: path, message: message))
    }

    mutating func warning(_ node: YNode, _ path: String, _ message: String) {
        warnings.append(ComposeDiagnostic(location: node.location, path: path, message: message))
    }

    var sortedErrors: [ComposeDiagnostic] {
        // Stable: by file order of first appearance, then line, column.
        var fileRank: [String: Int] = [:]
        for d in errors where fileRank[d.file] == nil { fileRank[d.file] = fileRank.count }
        return errors.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.file != y.file { return fileRank[x.file]! < fileRank[y.file]! }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// Text quoted from user input, made safe to print: control characters (C0, DEL, C1) and the Unicode
/// bidirectional overrides are written as escapes (`\n`, `\t`, `\u{1B}`), so a value cannot move the
/// cursor, recolour the terminal or reorder what the reader sees.
public enum Printable {
    public static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else { out.append(scalar); continue }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\t": escaped = "\\t"
            case "\r": escaped = "\\r"
            default: escaped = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
