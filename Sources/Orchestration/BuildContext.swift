import DockerEngine
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Orchestration {
    /// The tar of a build context, honouring `.dockerignore` (patterns, `**`, `!` exceptions; the
    /// Dockerfile and .dockerignore themselves are always sent, as the docker CLI does).
    public enum BuildContext {
        public static func archive(directory: String, dockerfile: String = "Dockerfile") throws -> Data {
            var tar = DockerEngine.TarWriter()
            try tar.addContents(ofDirectory: URL(fileURLWithPath: directory), exclude: exclusion(directory: directory, dockerfile: dockerfile))
            return tar.finish()
        }

        /// The same archive, planned now and read from disk while it is uploaded (what `up` sends):
        /// memory stays flat however large the context is.
        public static func stream(directory: String, dockerfile: String = "Dockerfile") throws -> DockerEngine.TarStream {
            try DockerEngine.TarStream(directory: URL(fileURLWithPath: directory), exclude: exclusion(directory: directory, dockerfile: dockerfile))
        }

        static func exclusion(directory: String, dockerfile: String) -> (String) -> Bool {
            let ignore = DockerIgnore(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(".dockerignore").path)
            return { path in
                if path == dockerfile || path == ".dockerignore" { return false }
                return ignore.excludes(path)
            }
        }
    }

    /// `.dockerignore` rules: later rules win; `!` re-includes; a directory excluded excludes its contents.
    public struct DockerIgnore: Sendable {
        struct Rule: Sendable {
            var pattern: String
            var negated: Bool
        }
        var rules: [Rule] = []

        public init(patterns: [String]) {
            for raw in patterns {
                var line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                var negated = false
                if line.hasPrefix("!") {
                    negated = true
                    line = String(line.dropFirst()).trimmingCharacters(in: .whitespaces)
                }
                while line.hasPrefix("/") { line.removeFirst() }
                while line.hasPrefix("./") { line.removeFirst(2) }
                while line.hasSuffix("/") && line.count > 1 { line.removeLast() }
                if line.isEmpty { continue }
                rules.append(Rule(pattern: line, negated: negated))
            }
        }

        public init(contentsOf path: String) {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            self.init(patterns: text.components(separatedBy: .newlines))
        }

        /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
        public func excludes(_ path: String) -> Bool {
            var excluded = false
            // A path is also matched through each of its parent directories.
            let parts = path.split(separator: "/").map(String.init)
            var prefixes: [String] = []
            for i in 1...max(1, parts.count) { prefixes.append(parts.prefix(i).joined(separator: "/")) }
            for rule in rules {
                if prefixes.contains(where: { Self.match(rule.pattern, $0) }) { excluded = !rule.negated }
            }
            return excluded
        }

        static func match(_ pattern: String, _ path: String) -> Bool {
            if pattern.contains("**") {
                // `**` matches any number of directories: try it as nothing and as any prefix.
                let pieces = pattern.components(separatedBy: "**")
                return globstar(pieces, path)
            }
            return fnmatch(pattern, path, FNM_PATHNAME) == 0
        }

        private static func globstar(_ pieces: [String], _ path: String) -> Bool {
            // Build a regex from the pattern instead of nested fnmatch calls.
            var regex = "^"
            for (i, piece) in pieces.enumerated() {
                regex += piece.map { ch -> String in
                    switch ch {
                    case "*": return "[^/]*"
                    case "?": return "[^/]"
                    case ".", "+", "(", ")", "^", "$", "|", "{", "}", "[", "]", "\\": return "\\\(ch)"
                    default: return String(ch)
                    }
                }.joined()
                if i < pieces.count - 1 { regex += ".*" }
            }
            regex += "$"
            regex = regex.replacingOccurrences(of: "/.*/", with: "(/.*/|/)").replacingOccurrences(of: "^.*/", with: "^(.*/)?")
            return path.range(of: regex, options: .regularExpression) != nil
        }
    }
}
