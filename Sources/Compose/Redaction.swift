import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Secret redaction, by value: what `stackpilot config` prints and what errors quote.
///
/// A value is sensitive when it came from an env file (the interpolation `.env`/`--env-file`, or a
/// service's `env_file`), from a secret source (`secrets:` with `file`, `environment` or `content`, a
/// file named by a `*_FILE` variable), from a variable or key whose name looks secret
/// (`looksSecret`), or is the password of a `scheme://user:password@host` URL. A sensitive value is
/// masked wherever it appears in the rendered model, inside other strings too; the field it came from
/// (an environment entry, a build arg, a label) is masked whole. See the module README, "Redaction".
public enum Redaction {
    public static let marker = "********"

    /// A name looks secret when it contains one of these words (case-insensitive).
    public static let secretNameWords = [
        "PASS", "PWD", "SECRET", "TOKEN", "KEY", "CRED", "PRIVATE", "AUTH", "SALT", "COOKIE", "DSN", "CONNECTION_STRING",
    ]
    /// The shell's own variables that only look secret.
    static let notSecretNames: Set<String> = ["PWD", "OLDPWD"]

    /// Env-file variables whose values configure the stack rather than hold secrets (images, tags,
    /// versions, ports, compose's own settings): shown unless their name also looks secret.
    static let plainEnvFilePrefixes = ["COMPOSE_"]
    static let plainEnvFileSuffixes = ["_IMAGE", "_TAG", "_VERSION", "_PORT"]

    /// Values shorter than this are masked in their own field only, not inside other strings (where
    /// "1" or "abc" would mask half of the output); so are booleans.
    public static let minimumMaskedLength = 4
    /// Secret files (`secrets: file:`, `*_FILE`) are read up to this size; larger ones are not secrets.
    static let secretFileLimit = 64 * 1024

    public static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        guard !notSecretNames.contains(upper) else { return false }
        return secretNameWords.contains { upper.contains($0) }
    }

    /// Whether a value from an env file is masked: all are, except the plain configuration names above.
    static func isSensitiveEnvFileVariable(_ name: String) -> Bool {
        if looksSecret(name) { return true }
        let upper = name.uppercased()
        if plainEnvFilePrefixes.contains(where: { upper.hasPrefix($0) }) { return false }
        return !plainEnvFileSuffixes.contains { upper.hasSuffix($0) }
    }

    /// Whether a sensitive value is also masked inside other strings.
    static func isMaskedEverywhere(_ value: String) -> Bool {
        let trimmed = value.trimmingSpaces
        guard trimmed.count >= minimumMaskedLength else { return false }
        return !["true", "false", "yes", "no", "on", "off", "null"].contains(trimmed.lowercased())
    }
}

/// The sensitive values of a loaded project, gathered by the loader (it alone sees where values came
/// from). Never serialised: encoding writes null and decoding gives an empty set, so a project that is
/// encoded carries no secret.
public struct SensitiveValues: Sendable, Equatable, Codable {
    /// Values masked wherever they appear (when long enough, see `Redaction.isMaskedEverywhere`).
    public var values: Set<String>
    /// Per service, the environment keys whose value came from an env file: masked whole.
    public var environmentKeys: [String: Set<String>]

    public init(values: Set<String> = [], environmentKeys: [String: Set<String>] = [:]) {
        self.values = values
        self.environmentKeys = environmentKeys
    }

    public init(from decoder: Decoder) throws { self.init() }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}

/// Masks sensitive values in strings and in rendered values. Pure: built from the values to mask.
public struct Redactor: Sendable {
    /// Longest first, so a secret that contains another one is masked whole.
    let values: [String]

    public init(values: some Sequence<String>) {
        let kept = Set(values.filter(Redaction.isMaskedEverywhere))
        self.values = kept.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// `text` with every sensitive value, every URL password and every inline `SECRET_NAME=value`
    /// replaced by `********`.
    public func mask(_ text: String) -> String {
        Self.maskingInline(maskingValues(text))
    }

    /// `text` with every sensitive value and every URL password replaced by `********`.
    public func maskingValues(_ text: String) -> String {
        var out = text
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: Redaction.marker)
        }
        for range in Self.userinfoPasswordRanges(in: out).reversed() { out.replaceSubrange(range, with: Redaction.marker) }
        return out
    }

    /// Diagnostics with sensitive values masked in their messages and key paths (the messages are
    /// the loader's own words around quoted values, so only values are masked).
    public func mask(_ diagnostics: [ComposeDiagnostic]) -> [ComposeDiagnostic] {
        diagnostics.map { d in
            var copy = d
            copy.message = maskingValues(d.message)
            copy.path = maskingValues(d.path)
            return copy
        }
    }

    /// A rendered value with secrets masked: a string under a secret-looking key whole, a string that
    /// follows a secret-looking flag (`["--db-password", "x"]`) whole, any other string by `mask`.
    public func redact(_ value: ComposeValue) -> ComposeValue {
        switch value {
        case .string(let s): return .string(mask(s))
        case .array(let items):
            var out: [ComposeValue] = []
            for (i, item) in items.enumerated() {
                if i > 0, case .string(let flag) = items[i - 1], Self.isSecretFlag(flag), case .string = item {
                    out.append(.string(Redaction.marker))
                } else {
                    out.append(redact(item))
                }
            }
            return .array(out)
        case .object(let pairs):
            return .object(
                pairs.map { pair in
                    if case .string = pair.value, Redaction.looksSecret(pair.key) { return .init(pair.key, .string(Redaction.marker)) }
                    return .init(pair.key, redact(pair.value))
                })
        case .null, .bool, .int, .double: return value
        }
    }

    /// The strings of a rendered value that are secret by their key or flag, and URL passwords: masked
    /// everywhere else too.
    static func secrets(in value: ComposeValue) -> [String] {
        var found: [String] = []
        func walk(_ v: ComposeValue) {
            switch v {
            case .string(let s): found.append(contentsOf: urlPasswords(in: s))
            case .array(let items):
                for (i, item) in items.enumerated() {
                    if i > 0, case .string(let flag) = items[i - 1], isSecretFlag(flag), case .string(let s) = item { found.append(s) }
                    walk(item)
                }
            case .object(let pairs):
                for pair in pairs {
                    if case .string(let s) = pair.value, Redaction.looksSecret(pair.key) { found.append(s) }
                    walk(pair.value)
                }
            case .null, .bool, .int, .double: break
            }
        }
        walk(value)
        return found
    }

    /// `--db-password` or `-api-key` (no `=`): its value is the next argument.
    static func isSecretFlag(_ s: String) -> Bool {
        s.hasPrefix("-") && !s.contains("=") && !s.contains(" ") && Redaction.looksSecret(s)
    }

    /// The passwords of `scheme://user:password@host` URLs in `text`.
    static func urlPasswords(in text: String) -> [String] {
        userinfoPasswordRanges(in: text).map { String(text[$0]) }
    }

    private static func userinfoPasswordRanges(in text: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        var search = text.startIndex
        while let sep = text.range(of: "://", range: search..<text.endIndex) {
            let authorityEnd = text[sep.upperBound...].firstIndex { "/?# \t\n\"'".contains($0) } ?? text.endIndex
            let authority = text[sep.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                let password = text.index(after: colon)..<at
                if !password.isEmpty { ranges.append(password) }
            }
            search = sep.upperBound
        }
        return ranges
    }

    /// Masks the values of inline assignments and flags whose name looks secret:
    /// `PGPASSWORD=x psql`, `--api-token=x`, `--db-password x`.
    static func maskingInline(_ text: String) -> String {
        let out = text
        guard out.contains("=") || out.contains("-") else { return out }
        // Word by word, keeping the separators as they are.
        var result = ""
        var maskNext = false
        var index = out.startIndex
        while index < out.endIndex {
            let ch = out[index]
            if ch == " " || ch == "\t" || ch == "\n" || ch == ";" || ch == "&" || ch == "|" {
                result.append(ch)
                index = out.index(after: index)
                continue
            }
            let end = out[index...].firstIndex { " \t\n;&|".contains($0) } ?? out.endIndex
            let word = out[index..<end]
            if maskNext {
                result += Redaction.marker
                maskNext = false
            } else if let eq = word.firstIndex(of: "="), Redaction.looksSecret(String(word[..<eq])),
                isAssignmentName(word[..<eq]), word.index(after: eq) < word.endIndex
            {
                result += String(word[...eq]) + Redaction.marker
            } else {
                if isSecretFlag(String(word)) { maskNext = true }
                result += String(word)
            }
            index = end
        }
        return result
    }

    /// `NAME` or `--name.part` before an `=`: letters, digits, `_`, `.`, `-`, optionally dashed.
    private static func isAssignmentName(_ name: Substring) -> Bool {
        let body = name.drop { $0 == "-" }
        guard let first = body.unicodeScalars.first, Interpolation.isNameStart(first) else { return false }
        return body.unicodeScalars.allSatisfy { Interpolation.isNameChar($0) || $0 == "." || $0 == "-" }
    }
}

extension ComposeProject {
    /// The project as plain values with every secret masked (what `stackpilot config` prints).
    public func redactedPlainValue() -> ComposeValue {
        var plain = self
        for index in plain.services.indices {
            let name = plain.services[index].name
            for key in sensitiveValues.environmentKeys[name] ?? [] where plain.services[index].environment[key] != nil {
                plain.services[index].environment[key] = Redaction.marker
            }
        }
        let value = plain.plainValue()
        let redactor = Redactor(values: sensitiveValues.values.union(Redactor.secrets(in: value)))
        return redactor.redact(value)
    }

    /// A copy with the values of secret-looking environment variables and build args, and of
    /// environment entries from env files, replaced by `********` (the fields only; for printing use
    /// `redactedPlainValue()`, which also masks by value).
    public func redactingSecrets() -> ComposeProject {
        var copy = self
        copy.services = services.map { service in
            var s = service.redactingSecrets()
            for key in sensitiveValues.environmentKeys[service.name] ?? [] where s.environment[key] != nil {
                s.environment[key] = Redaction.marker
            }
            return s
        }
        return copy
    }
}

extension ServiceConfig {
    public func redactingSecrets() -> ServiceConfig {
        var copy = self
        for key in environment.keys where Redaction.looksSecret(key) { copy.environment[key] = Redaction.marker }
        if var build = copy.build {
            for key in build.args.keys where Redaction.looksSecret(key) { build.args[key] = Redaction.marker }
            copy.build = build
        }
        return copy
    }
}

// MARK: - Gathering, at load time

extension Redaction {
    /// What is sensitive in the interpolation environment: values from env files (but the plain
    /// configuration names) and values of secret-looking variables (the shell's too). Known before the
    /// files are normalised, so errors can be masked with it.
    static func interpolationSecrets(environment: [String: String], envFileValues: [String: String]) -> Set<String> {
        var values = Set<String>()
        for (name, value) in envFileValues where isSensitiveEnvFileVariable(name) { values.insert(value) }
        for (name, value) in environment where looksSecret(name) { values.insert(value) }
        for (name, value) in environment where name.hasSuffix("_FILE") { values.formUnion(secretFileValues(value)) }
        return values
    }

    /// Everything sensitive in a loaded project: `known` (see `interpolationSecrets`), the values of
    /// each service's env files, its secret-looking and `*_FILE` environment entries and build args,
    /// and the project's secret sources.
    static func collect(project: ComposeProject, environment: [String: String], known: Set<String>) -> SensitiveValues {
        var result = SensitiveValues(values: known)
        for service in project.services {
            for path in service.envFiles {
                guard let text = try? ComposeLoader.read(path),
                    let entries = try? DotEnv.parse(text, file: path, lookup: { environment[$0] })
                else { continue }
                for entry in entries where isSensitiveEnvFileVariable(entry.key) {
                    result.values.insert(entry.value)
                    if service.environment[entry.key] == entry.value { result.environmentKeys[service.name, default: []].insert(entry.key) }
                }
            }
            for (key, value) in service.environment {
                if looksSecret(key) { result.values.insert(value) }
                if key.hasSuffix("_FILE") { result.values.formUnion(secretFileValues(value)) }
            }
            for (key, value) in service.build?.args ?? [:] where looksSecret(key) { result.values.insert(value) }
        }
        for secret in project.secrets.values {
            if let file = secret.file { result.values.formUnion(secretFileValues(file)) }
            if let variable = secret.environment, let value = environment[variable] { result.values.insert(value) }
            if let content = secret.content { result.values.insert(content) }
        }
        result.values.remove("")
        return result
    }

    /// The content of a small regular file (whole, trimmed, and line by line), or nothing. Opened
    /// without blocking and checked to be a regular file first, so a FIFO or /dev/zero costs nothing.
    static func secretFileValues(_ path: String) -> [String] {
        guard path.hasPrefix("/") else { return [] }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= secretFileLimit else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var total = 0
        while total < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            guard n > 0 else { break }
            total += n
        }
        let text = String(decoding: bytes[..<total], as: UTF8.self)
        var values = [text, text.trimmingCharacters(in: .whitespacesAndNewlines)]
        values += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        return values.filter { !$0.isEmpty }
    }
}
